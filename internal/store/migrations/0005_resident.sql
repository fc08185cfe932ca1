-- cityid schema 5: the resident site. Pre-applications (sealed like
-- applications, expiring), appointment slots and bookings, waitlists, release
-- lotteries, holidays and walk-in tickets. No column holds plaintext personal
-- data: person_key is a keyed blind index (one booking per person) and every
-- personal field is vault ciphertext under the pre-application's person key.

-- A pre-application: what a resident typed at home, to be loaded by a clerk
-- by its reference code. ref_index is a keyed hash of the code, so a copy of
-- the database does not reveal valid codes.
CREATE TABLE preapplications (
  id              TEXT PRIMARY KEY,
  ref_index       BLOB NOT NULL UNIQUE,
  person_id       TEXT NOT NULL REFERENCES persons(id),
  person_key      BLOB NOT NULL,
  idempotency_key TEXT UNIQUE,
  language        TEXT NOT NULL DEFAULT '',
  remind          INTEGER NOT NULL DEFAULT 0,
  person          BLOB NOT NULL, -- sealed (JSON: person data)
  documents       BLOB NOT NULL, -- sealed (JSON: document types the resident will bring)
  application_id  TEXT NOT NULL DEFAULT '',
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  used_at         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX preapplications_expiry ON preapplications(expires_at);

-- A site's booking rules (opening hours, slot length, capacity, release
-- schedule, lottery) as JSON, edited by administrators.
CREATE TABLE booking_rules (
  site_id    TEXT PRIMARY KEY REFERENCES sites(id),
  rules      TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Days a site (or every site, site_id '') is closed.
CREATE TABLE holidays (
  site_id TEXT NOT NULL,
  day     TEXT NOT NULL,
  PRIMARY KEY (site_id, day)
);

-- Published appointment slots. booked never exceeds capacity: bookings
-- increment it with a guarded UPDATE in the booking's transaction.
CREATE TABLE slots (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites(id),
  starts_at  BIGINT NOT NULL,
  ends_at    BIGINT NOT NULL,
  capacity   INTEGER NOT NULL,
  booked     INTEGER NOT NULL DEFAULT 0,
  release_at BIGINT NOT NULL,
  lottery    INTEGER NOT NULL DEFAULT 0,
  drawn      INTEGER NOT NULL DEFAULT 0,
  UNIQUE (site_id, starts_at)
);
CREATE INDEX slots_open ON slots(site_id, release_at, starts_at);

-- Bookings. A partial unique index allows one live booking per person.
CREATE TABLE appointments (
  id              TEXT PRIMARY KEY,
  slot_id         TEXT NOT NULL REFERENCES slots(id),
  site_id         TEXT NOT NULL REFERENCES sites(id),
  preapp_id       TEXT NOT NULL,
  person_key      BLOB NOT NULL,
  status          TEXT NOT NULL,
  request_key     TEXT UNIQUE,
  reminded        INTEGER NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX appointments_one_per_person ON appointments(person_key) WHERE status = 'booked';
CREATE INDEX appointments_slot ON appointments(slot_id, status);
CREATE INDEX appointments_preapp ON appointments(preapp_id);

-- Waitlist when a site has no free slot; one live entry per person.
CREATE TABLE waitlist (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites(id),
  preapp_id  TEXT NOT NULL,
  person_key BLOB NOT NULL,
  status     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX waitlist_one_per_person ON waitlist(person_key) WHERE status = 'waiting';
CREATE INDEX waitlist_site ON waitlist(site_id, status, created_at);

-- Lottery entries for a release window (the release time of its slots).
CREATE TABLE lottery_entries (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites(id),
  window_at  BIGINT NOT NULL,
  preapp_id  TEXT NOT NULL,
  person_key BLOB NOT NULL,
  outcome    TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE (site_id, window_at, person_key)
);

-- Walk-in tickets, numbered per site and day.
CREATE TABLE ticket_counters (
  site_id TEXT NOT NULL,
  day     TEXT NOT NULL,
  last    INTEGER NOT NULL,
  PRIMARY KEY (site_id, day)
);
CREATE TABLE tickets (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites(id),
  day        TEXT NOT NULL,
  number     INTEGER NOT NULL,
  status     TEXT NOT NULL,
  desk       TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  called_at  BIGINT NOT NULL DEFAULT 0,
  UNIQUE (site_id, day, number)
);
CREATE INDEX tickets_queue ON tickets(site_id, day, status, number);
