-- cityid schema 2: cards, the status lists that revoke them, and verification
-- counters. A card row holds no personal data: the holder's data stays sealed
-- in applications (and is erased there on schedule); the card itself carries
-- the signed data.

-- IETF Token Status Lists. compressed is the zlib-compressed packed list, as
-- served; version increases with every change so writers can detect races.
CREATE TABLE status_lists (
  id         TEXT PRIMARY KEY,
  uri        TEXT NOT NULL UNIQUE,
  bits       INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  used       INTEGER NOT NULL DEFAULT 0,
  compressed BLOB NOT NULL,
  version    BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Cards. number is random (not derived from personal data); status_index is a
-- random entry in status_list_id (herd privacy). issued_at and expires_at are
-- midnight UTC of the printed dates.
CREATE TABLE cards (
  id             TEXT PRIMARY KEY,
  number         TEXT NOT NULL UNIQUE,
  application_id TEXT NOT NULL REFERENCES applications(id),
  person_id      TEXT NOT NULL REFERENCES persons(id),
  kind           TEXT NOT NULL,
  status         TEXT NOT NULL,
  status_list_id TEXT NOT NULL REFERENCES status_lists(id),
  status_index   INTEGER NOT NULL,
  key_id         TEXT NOT NULL,
  issued_at      BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  printed_at     BIGINT NOT NULL DEFAULT 0,
  print_count    INTEGER NOT NULL DEFAULT 0,
  handed_over_at BIGINT NOT NULL DEFAULT 0,
  replaces       TEXT,
  replaced_by    TEXT,
  fee_cents      INTEGER NOT NULL DEFAULT 0,
  waiver_reason  TEXT NOT NULL DEFAULT '',
  reason         TEXT NOT NULL DEFAULT '',
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  UNIQUE (status_list_id, status_index)
);
CREATE INDEX cards_application ON cards(application_id);
CREATE INDEX cards_person ON cards(person_id);
CREATE INDEX cards_queue ON cards(status, printed_at, created_at);

-- Verification counters: how many checks a partner made on a day, by outcome.
-- Never which card was checked.
CREATE TABLE verification_counters (
  day     TEXT NOT NULL,
  partner TEXT NOT NULL,
  outcome TEXT NOT NULL,
  checks  BIGINT NOT NULL,
  PRIMARY KEY (day, partner, outcome)
);
