-- cityid schema 1. Times are UTC microseconds since the epoch (BIGINT).
-- Booleans are INTEGER 0/1. Columns ending in a sealed-data comment hold
-- AES-256-GCM ciphertext made by the vault; the database never sees plaintext PII.
-- There is deliberately no column for immigration status, citizenship,
-- nationality, country of birth, SSN or document numbers (a test enforces it).

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,
  address    TEXT NOT NULL DEFAULT '',
  active     INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL
);

CREATE TABLE staff (
  id                   TEXT PRIMARY KEY,
  username             TEXT NOT NULL UNIQUE,
  display_name         TEXT NOT NULL,
  role                 TEXT NOT NULL,
  site_id              TEXT REFERENCES sites(id),
  password_hash        TEXT NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 1,
  totp_secret          BLOB,
  totp_last_step       BIGINT NOT NULL DEFAULT 0,
  disabled             INTEGER NOT NULL DEFAULT 0,
  failed_logins        INTEGER NOT NULL DEFAULT 0,
  locked_until         BIGINT NOT NULL DEFAULT 0,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);

CREATE TABLE sessions (
  id_hash    BLOB PRIMARY KEY,
  staff_id   TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  mfa_done   INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  last_seen  BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_staff ON sessions(staff_id);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  token_hash   BLOB NOT NULL UNIQUE,
  staff_id     TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL DEFAULT 0,
  revoked_at   BIGINT NOT NULL DEFAULT 0
);

-- A person's data key, wrapped by the master key. Destroying it (crypto-shredding)
-- makes every sealed column of that person unreadable.
CREATE TABLE persons (
  id          TEXT PRIMARY KEY,
  wrapped_key BLOB,
  kek_id      TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE applications (
  id              TEXT PRIMARY KEY,
  reference       TEXT NOT NULL UNIQUE,
  person_id       TEXT NOT NULL REFERENCES persons(id),
  site_id         TEXT NOT NULL REFERENCES sites(id),
  clerk_id        TEXT NOT NULL REFERENCES staff(id),
  status          TEXT NOT NULL,
  idempotency_key TEXT,
  language        TEXT NOT NULL DEFAULT '',
  age_category    TEXT NOT NULL DEFAULT '',
  evidence_ok     INTEGER NOT NULL DEFAULT 0,
  fee_kind        TEXT NOT NULL DEFAULT '',
  fee_cents       INTEGER NOT NULL DEFAULT 0,
  payment_method  TEXT NOT NULL DEFAULT '',
  waiver_reason   TEXT NOT NULL DEFAULT '',
  decision_reason TEXT NOT NULL DEFAULT '',
  review_reason   TEXT NOT NULL DEFAULT '',
  decided_by      TEXT REFERENCES staff(id),
  name_dob_index  BLOB,
  given_names     BLOB, -- sealed
  first_surname   BLOB, -- sealed
  second_surname  BLOB, -- sealed
  date_of_birth   BLOB, -- sealed
  sex             BLOB, -- sealed
  address         BLOB, -- sealed (JSON)
  contact         BLOB, -- sealed (JSON)
  extras          BLOB, -- sealed (JSON)
  documents       BLOB, -- sealed (JSON: types, issuers, expiry dates; never numbers)
  photo           BLOB, -- sealed (JPEG, re-encoded, no metadata)
  notes           BLOB, -- sealed (JSON: waiver note, decision note)
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  submitted_at    BIGINT NOT NULL DEFAULT 0,
  decided_at      BIGINT NOT NULL DEFAULT 0,
  UNIQUE (clerk_id, idempotency_key)
);
CREATE INDEX applications_queue ON applications(status, submitted_at);
CREATE INDEX applications_site ON applications(site_id, status, updated_at);
CREATE INDEX applications_name_dob ON applications(name_dob_index);
CREATE INDEX applications_person ON applications(person_id);

-- Possible duplicates found by screening at submission, for the supervisor.
CREATE TABLE duplicate_candidates (
  application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  candidate_id   TEXT NOT NULL,
  probability    REAL NOT NULL,
  created_at     BIGINT NOT NULL,
  PRIMARY KEY (application_id, candidate_id)
);

-- Pairs a supervisor decided are different people, so they are not flagged again.
CREATE TABLE distinct_people (
  first_id   TEXT NOT NULL,
  second_id  TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at BIGINT NOT NULL,
  PRIMARY KEY (first_id, second_id)
);

-- The hash-chained audit log. Ids and action codes only; never personal data.
CREATE TABLE audit_events (
  seq         BIGINT PRIMARY KEY,
  at          BIGINT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id   TEXT NOT NULL,
  purpose     TEXT NOT NULL DEFAULT '',
  outcome     TEXT NOT NULL,
  prev        BLOB NOT NULL,
  hash        BLOB NOT NULL
);
CREATE INDEX audit_record ON audit_events(record_type, record_id);
