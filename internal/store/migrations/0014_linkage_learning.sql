-- cityid schema 14: learning from reviewers. Every supervisor decision on a
-- possible duplicate ("same person", "different people") is kept as a label
-- (ids only; erased with either record), and models re-estimated from the
-- labels are kept as numbered versions, one of them active.
CREATE TABLE pair_decisions (
  application_id TEXT NOT NULL,
  candidate_id   TEXT NOT NULL,
  same           INTEGER NOT NULL,
  decided_by     TEXT NOT NULL,
  decided_at     BIGINT NOT NULL,
  PRIMARY KEY (application_id, candidate_id)
);
CREATE INDEX pair_decisions_candidate ON pair_decisions(candidate_id);
CREATE TABLE linkage_models (
  version      BIGINT PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  created_by   TEXT NOT NULL,
  source       TEXT NOT NULL,
  model        TEXT NOT NULL,
  report       TEXT NOT NULL,
  refused      INTEGER NOT NULL DEFAULT 0,
  active       INTEGER NOT NULL DEFAULT 0,
  activated_at BIGINT NOT NULL DEFAULT 0
);
