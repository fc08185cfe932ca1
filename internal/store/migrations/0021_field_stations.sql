-- cityid schema 21: field stations and their packets (issue 15).
--
-- A field station is a laptop that takes applications offline and uploads
-- each as a sealed packet. field_stations holds its Ed25519 public key and
-- enrolment status; field_packets one row per packet received: imported
-- (the application it made; the bytes are not kept) or quarantined (the
-- bytes as received, still encrypted, with the reason). A packet is
-- imported at most once per (station, packet id). Times are the server's.
CREATE TABLE field_stations (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  public_key     BLOB NOT NULL UNIQUE,
  status         TEXT NOT NULL,
  site_id        TEXT NOT NULL DEFAULT '',
  created_at     BIGINT NOT NULL,
  decided_at     BIGINT NOT NULL DEFAULT 0,
  decided_by     TEXT NOT NULL DEFAULT '',
  revoked_at     BIGINT NOT NULL DEFAULT 0,
  revoked_by     TEXT NOT NULL DEFAULT '',
  accept_through BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE field_packets (
  id             TEXT PRIMARY KEY,
  station_id     TEXT NOT NULL,
  packet_id      TEXT NOT NULL,
  seq            BIGINT NOT NULL DEFAULT 0,
  received_at    BIGINT NOT NULL,
  station_time   BIGINT NOT NULL DEFAULT 0,
  status         TEXT NOT NULL,
  reason         TEXT NOT NULL DEFAULT '',
  application_id TEXT NOT NULL DEFAULT '',
  digest         BLOB NOT NULL,
  size           BIGINT NOT NULL,
  body           BLOB
);
CREATE UNIQUE INDEX field_packets_imported ON field_packets(station_id, packet_id) WHERE status = 'imported';
CREATE INDEX field_packets_digest ON field_packets(digest);
CREATE INDEX field_packets_station ON field_packets(station_id, received_at);
