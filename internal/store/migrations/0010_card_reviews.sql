-- cityid schema 10: four eyes on every card. Where one person took, approved
-- and issued an application at a site the settings list as staffed by one
-- person, its card is listed here for a second review by someone else.
CREATE TABLE card_reviews (
  card_id     TEXT PRIMARY KEY REFERENCES cards(id) ON DELETE CASCADE,
  reason      TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  reviewed_by TEXT NOT NULL DEFAULT '',
  reviewed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX card_reviews_pending ON card_reviews(reviewed_at, created_at);
