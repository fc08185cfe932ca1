-- cityid schema 11: what a resident needs to find and reach a site: phone,
-- opening hours per weekday (JSON, see store.WeekHours), languages spoken at
-- the desk (JSON list) and accessibility notes. Empty means "not given".
ALTER TABLE sites ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN accessibility TEXT NOT NULL DEFAULT '';
