-- cityid schema 18: sealed snapshots of the duplicate-screening index, so
-- an app server starts by reading one snapshot instead of decrypting every
-- pending application and cardholder (docs/operations.md "Server start").
--
-- The job leader writes a snapshot: a header row, then its chunks, each
-- sealed (AES-256-GCM) under a data key made for that snapshot and wrapped
-- by the master key (wrapped_key); chunks = 0 until the last chunk is in.
-- mark is the change-feed number (screening_changes.seq) the snapshot is
-- current to: a starting server replays the changes after it. Any erasure
-- or "no list" reduction deletes every snapshot in its transaction (the
-- chunks follow by cascade), so an erased person's data never survives in
-- one; a new snapshot replaces the older ones.
CREATE TABLE screening_snapshots (
  id          TEXT PRIMARY KEY,
  created_at  BIGINT NOT NULL,
  mark        BIGINT NOT NULL,
  records     BIGINT NOT NULL,
  chunks      BIGINT NOT NULL DEFAULT 0,
  kek_id      TEXT NOT NULL,
  wrapped_key BLOB NOT NULL
);
CREATE TABLE screening_snapshot_chunks (
  snapshot_id TEXT NOT NULL REFERENCES screening_snapshots(id) ON DELETE CASCADE,
  n           BIGINT NOT NULL,
  data        BLOB NOT NULL,
  PRIMARY KEY (snapshot_id, n)
);
