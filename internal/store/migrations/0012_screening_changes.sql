-- cityid schema 12: the change feed that keeps every app server's duplicate
-- screening index fresh when several servers share one database. Every
-- write that can change what screening sees of an application (intake,
-- decision, erasure, "no list" reduction) adds a row in its transaction;
-- each server polls for rows after the last it applied and re-reads those
-- applications. Ids only: no personal data.
CREATE TABLE screening_changes (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id TEXT NOT NULL,
  person_id      TEXT NOT NULL
);
