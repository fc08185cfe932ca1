-- cityid schema 8: rate limits and spent proof-of-work challenges shared by
-- every app server on one database. Keys are keyed hashes (never a client
-- address); rows are pruned once idle or expired.

CREATE TABLE rate_buckets (
  name       TEXT NOT NULL,
  key_hash   BLOB NOT NULL,
  tokens     REAL NOT NULL,
  took       INTEGER NOT NULL DEFAULT 0, -- whether the last request got its tokens
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (name, key_hash)
);
CREATE INDEX rate_buckets_idle ON rate_buckets(updated_at);

CREATE TABLE pow_spent (
  challenge_hash BLOB PRIMARY KEY,
  expires_at     BIGINT NOT NULL
);
CREATE INDEX pow_spent_expiry ON pow_spent(expires_at);
