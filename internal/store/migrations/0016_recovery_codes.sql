-- cityid schema 16: TOTP recovery codes.
--
-- Ten single-use codes per staff member, shown once when TOTP is enrolled
-- (or a new set is made, which deletes the old). code_id is the code's
-- first group, not secret, to find the row; code_hash is the whole code
-- hashed like a password (argon2id PHC string). used_at is 0 until the
-- code is used, then the time (microseconds).
CREATE TABLE staff_recovery_codes (
  staff_id    TEXT NOT NULL REFERENCES staff(id),
  code_id     TEXT NOT NULL,
  code_hash   TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  used_at     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (staff_id, code_id)
);
