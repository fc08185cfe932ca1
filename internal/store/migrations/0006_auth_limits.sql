-- cityid schema 6: second-factor failures counted on their own, and API
-- tokens that expire.
--
-- failed_totp counts wrong TOTP codes separately from wrong passwords: a
-- right password must not reset it (that let a guesser who knew the
-- password try codes without limit). Only a right code, a reset or an
-- administrator's enable clears it.
ALTER TABLE staff ADD COLUMN failed_totp INTEGER NOT NULL DEFAULT 0;

-- expires_at: a token stops working at this time (microseconds). Tokens
-- made before this migration get the default lifetime of 90 days from
-- their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = created_at + 7776000000000;
