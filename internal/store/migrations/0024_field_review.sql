-- cityid schema 24: why a field station's application must be seen by a
-- supervisor (field_review, e.g. 'revoked_station': sealed after its
-- station was revoked) is kept apart from review_reason, which screening
-- overwrites (possible_duplicate, screening_pending): once its duplicates
-- are resolved or its screening is done, such an application goes back to
-- review for that reason, not to the normal queue.
ALTER TABLE applications ADD COLUMN field_review TEXT NOT NULL DEFAULT '';
UPDATE applications SET field_review = review_reason WHERE review_reason = 'revoked_station';
