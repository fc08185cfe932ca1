-- cityid schema 9: notes a reader leaves when opening a person's record.
-- The purpose of a read is chosen from a list and stored in the audit
-- event; anything more the reader wants to say is a note here, sealed with
-- the person's data key (so it is erased with the person) and never logged.
CREATE TABLE read_notes (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL,
  person_id      TEXT NOT NULL REFERENCES persons(id),
  actor          TEXT NOT NULL,
  at             BIGINT NOT NULL,
  note           BLOB NOT NULL
);
CREATE INDEX read_notes_application ON read_notes(application_id);
CREATE INDEX read_notes_person ON read_notes(person_id);
