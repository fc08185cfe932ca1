-- cityid schema 13: a second administrator approves roles that read personal
-- data, and one-time passwords expire.
--
-- staff_requests holds what an administrator asked for and a second one
-- must approve: a new account with a role that reads personal data
-- (kind 'create', staff_id ''), such a role for an existing account
-- ('role'), or a new one-time password for an account that holds one
-- ('reset'). A decided request is deleted; the audit log keeps who asked
-- and who decided.
CREATE TABLE staff_requests (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  staff_id      TEXT NOT NULL DEFAULT '',
  username      TEXT NOT NULL,
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL,
  site_id       TEXT NOT NULL DEFAULT '',
  requested_by  TEXT NOT NULL REFERENCES staff(id),
  requested_at  BIGINT NOT NULL
);
CREATE INDEX staff_requests_at ON staff_requests(requested_at);

-- password_set_at: when the password was last set (microseconds). A
-- one-time password (must_change_password) stops working a day after it.
ALTER TABLE staff ADD COLUMN password_set_at BIGINT NOT NULL DEFAULT 0;
UPDATE staff SET password_set_at = updated_at;
