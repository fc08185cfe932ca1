-- cityid schema 7: a booking belongs to the pre-application that made it.
--
-- Bookings, waitlist places and lottery entries were unique per person key
-- (a keyed hash of name and date of birth), and a rebook cancelled any live
-- booking with that key: anyone who knew a resident's name and date of
-- birth could pre-apply as her and cancel her appointment, block her
-- waitlist or lottery entry, and learn that she was applying. Now each is
-- unique per pre-application; a second pre-application with the same person
-- key gets an ordinary booking, flagged for staff (appointments.flag).
DROP INDEX appointments_one_per_person;
CREATE UNIQUE INDEX appointments_one_per_preapp ON appointments(preapp_id) WHERE status = 'booked';
CREATE INDEX appointments_person ON appointments(person_key, status);
ALTER TABLE appointments ADD COLUMN flag TEXT NOT NULL DEFAULT '';

DROP INDEX waitlist_one_per_person;
CREATE UNIQUE INDEX waitlist_one_per_preapp ON waitlist(preapp_id) WHERE status = 'waiting';

-- A table constraint cannot be dropped in SQLite: the lottery table is made
-- again with one entry per pre-application and window.
CREATE TABLE lottery_entries_v7 (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites(id),
  window_at  BIGINT NOT NULL,
  preapp_id  TEXT NOT NULL,
  person_key BLOB NOT NULL,
  outcome    TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE (site_id, window_at, preapp_id)
);
INSERT INTO lottery_entries_v7 (id, site_id, window_at, preapp_id, person_key, outcome, created_at)
  SELECT id, site_id, window_at, preapp_id, person_key, outcome, created_at FROM lottery_entries;
DROP TABLE lottery_entries;
ALTER TABLE lottery_entries_v7 RENAME TO lottery_entries;
