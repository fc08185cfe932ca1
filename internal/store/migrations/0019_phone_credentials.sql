-- cityid schema 19: the card on the resident's phone (issue 14).
--
-- phone_offers is one OpenID4VCI credential offer made at the card desk:
-- only hashes of the pre-authorized code, of the code with the transaction
-- code, and of the access token are kept, never the codes themselves. An
-- offer is single use (redeemed_at), lives minutes (expires_at), and dies
-- after a few wrong transaction codes (tx_attempts).
CREATE TABLE phone_offers (
  id               TEXT PRIMARY KEY,
  card_id          TEXT NOT NULL,
  code_hash        TEXT NOT NULL UNIQUE,
  tx_hash          TEXT NOT NULL,
  tx_attempts      INTEGER NOT NULL DEFAULT 0,
  expires_at       BIGINT NOT NULL,
  redeemed_at      BIGINT NOT NULL DEFAULT 0,
  token_hash       TEXT UNIQUE,
  token_expires_at BIGINT NOT NULL DEFAULT 0,
  issued_at        BIGINT NOT NULL DEFAULT 0,
  created_by       TEXT NOT NULL,
  created_at       BIGINT NOT NULL
);
CREATE INDEX phone_offers_card ON phone_offers(card_id);
CREATE INDEX phone_offers_expiry ON phone_offers(expires_at);

-- phone_credentials: each SD-JWT VC issued, by its own status-list entry
-- (in the same lists as the cards), so a card's status change reaches its
-- phone credentials. No claim values are stored.
CREATE TABLE phone_credentials (
  id             TEXT PRIMARY KEY,
  card_id        TEXT NOT NULL,
  offer_id       TEXT NOT NULL,
  status_list_id TEXT NOT NULL REFERENCES status_lists(id),
  status_index   INTEGER NOT NULL,
  issued_at      BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  revoked_at     BIGINT NOT NULL DEFAULT 0,
  UNIQUE (status_list_id, status_index)
);
CREATE INDEX phone_credentials_card ON phone_credentials(card_id);
