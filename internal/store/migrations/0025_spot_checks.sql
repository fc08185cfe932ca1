-- cityid schema 25: spot checks of the duplicate model. Supervisors decide
-- only the pairs screening flags, so their decisions cannot show the
-- duplicates it missed. An administrator draws pairs that screening scored
-- under the review threshold but not far under it (from auto_clear up),
-- chosen at random; a supervisor decides each. Ids only, erased with either
-- record; band_pairs is how many such pairs the drawn record had (the pair
-- stands for them all).
CREATE TABLE spot_checks (
  application_id TEXT NOT NULL,
  candidate_id   TEXT NOT NULL,
  probability    REAL NOT NULL,
  band_pairs     INTEGER NOT NULL,
  drawn_by       TEXT NOT NULL,
  drawn_at       BIGINT NOT NULL,
  same           INTEGER,
  decided_by     TEXT NOT NULL DEFAULT '',
  decided_at     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (application_id, candidate_id)
);
CREATE INDEX spot_checks_candidate ON spot_checks(candidate_id);
