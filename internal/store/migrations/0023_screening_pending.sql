-- cityid schema 23: applications taken while a server's screening index was
-- still loading (review_reason 'screening_pending') are found again, once an
-- index is ready, without scanning the review queue: a partial index that
-- holds only them (none at all once they are screened).
CREATE INDEX applications_screening_pending ON applications (id) WHERE review_reason = 'screening_pending';
