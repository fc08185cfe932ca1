-- cityid schema 22: phone-credential presentation requests (issue 14).
--
-- A verifier's OpenID4VP request lives here for minutes so that any app
-- server can take the wallet's answer and any can show it. No personal
-- data is readable here: the answer (the disclosed claims) is sealed with
-- HPKE to a key derived from the asker's handle, which only the asker holds
-- (the row has the handle's hash and the public key). presentation_seen
-- holds digests of presentations already used, to refuse replays.
CREATE TABLE presentation_requests (
  id          TEXT PRIMARY KEY,
  handle_hash BLOB NOT NULL UNIQUE,
  partner     TEXT NOT NULL,
  request     TEXT NOT NULL,
  answer_key  BLOB NOT NULL,
  expires_at  BIGINT NOT NULL,
  forget_at   BIGINT NOT NULL,
  busy        INTEGER NOT NULL DEFAULT 0,
  answer      BLOB
);
CREATE INDEX presentation_requests_forget ON presentation_requests (forget_at);
CREATE TABLE presentation_seen (
  digest     BLOB PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
