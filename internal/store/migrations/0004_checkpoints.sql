-- cityid schema 4: signed checkpoints of the audit log. Each row is the
-- Merkle tree head of the first size audit events, signed as a note by the
-- checkpoint key (kept in meta, sealed under the master key). Rows hold
-- hashes and signatures only, never personal data.
CREATE TABLE audit_checkpoints (
  size       BIGINT PRIMARY KEY,
  root       BLOB NOT NULL,
  note       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
