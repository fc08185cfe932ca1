-- cityid schema 3: retention. Purge runs (counts only, never names or person
-- ids) and the keyed match encodings that "no list" mode keeps after a
-- cardholder's personal data is erased.

-- One row per purge run that changed (or tried to change) data. judged_at is
-- the instant due times were judged at; started_at is the server clock. The
-- clock-skew check refuses a run whose judged_at lies before an earlier run's.
CREATE TABLE retention_runs (
  id          TEXT PRIMARY KEY,
  started_at  BIGINT NOT NULL,
  judged_at   BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  no_list     INTEGER NOT NULL DEFAULT 0,
  erased      BIGINT NOT NULL DEFAULT 0,
  reduced     BIGINT NOT NULL DEFAULT 0,
  counts      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_runs_judged ON retention_runs(judged_at);

-- Keyed privacy-preserving match encodings (linkage.Encoding, JSON) of people
-- whose personal data was erased in "no list" mode, so duplicate detection
-- still catches a second application by the same person. No plaintext.
CREATE TABLE match_encodings (
  person_id  TEXT PRIMARY KEY REFERENCES persons(id),
  encoding   BLOB NOT NULL,
  created_at BIGINT NOT NULL
);

-- When a person's data key was destroyed while the person row had to stay
-- (cards refer to it): 0 while the person is whole.
ALTER TABLE persons ADD COLUMN erased_at BIGINT NOT NULL DEFAULT 0;

-- The purge's due queries walk these in due order. They also keep the
-- queries off the application rows themselves, whose time columns come
-- after the sealed columns (reading them would read every photo).
CREATE INDEX applications_retention_updated ON applications(status, updated_at, person_id);
CREATE INDEX applications_retention_decided ON applications(status, decided_at, person_id);
