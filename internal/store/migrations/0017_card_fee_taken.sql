-- cityid schema 17: who took a renewal or replacement fee at the card desk.
--
-- fee_taken_by is the staff id who issued the card and took the fee,
-- fee_site_id the site the money went into (the staff member's site, or
-- the application's site for staff without one), payment_method one of
-- the program's methods or 'waiver'. Rows from before this (and first
-- issues, which are paid at intake) keep '' and are not in the cash
-- reconciliation.
ALTER TABLE cards ADD COLUMN fee_taken_by TEXT NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN fee_site_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN payment_method TEXT NOT NULL DEFAULT '';
CREATE INDEX cards_fee_taken ON cards(created_at) WHERE fee_taken_by <> '';
