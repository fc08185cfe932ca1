package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/card"
)

const offerColumns = `id, card_id, code_hash, tx_hash, tx_attempts, expires_at, redeemed_at,
	COALESCE(token_hash, ''), token_expires_at, issued_at, created_by, created_at`

func scanOffer(s scanner) (card.PhoneOfferRecord, error) {
	var o card.PhoneOfferRecord
	var expires, redeemed, tokenExp, issued, created int64
	err := s.Scan(&o.ID, &o.CardID, &o.CodeHash, &o.TxHash, &o.TxAttempts, &expires, &redeemed,
		&o.TokenHash, &tokenExp, &issued, &o.CreatedBy, &created)
	if err != nil {
		return card.PhoneOfferRecord{}, err
	}
	o.ExpiresAt, o.RedeemedAt, o.TokenExpiresAt = fromMicros(expires), fromMicros(redeemed), fromMicros(tokenExp)
	o.IssuedAt, o.CreatedAt = fromMicros(issued), fromMicros(created)
	return o, nil
}

// InsertPhoneOffer records a credential offer.
func (tx *Tx) InsertPhoneOffer(ctx context.Context, o card.PhoneOfferRecord) error {
	_, err := tx.exec(ctx, `INSERT INTO phone_offers (id, card_id, code_hash, tx_hash, expires_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, o.ID, o.CardID, o.CodeHash, o.TxHash, micros(o.ExpiresAt), o.CreatedBy, micros(o.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("phone offer: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert phone offer: %w", err)
	}
	return nil
}

// PhoneOfferForUpdate finds an offer by the hash of its pre-authorized code
// (column "code") or of its access token (column "token") and locks it until
// the transaction ends.
func (tx *Tx) PhoneOfferForUpdate(ctx context.Context, by card.OfferKey, hash string) (card.PhoneOfferRecord, error) {
	col := "code_hash"
	if by == card.ByToken {
		col = "token_hash"
	}
	q := "SELECT " + offerColumns + " FROM phone_offers WHERE " + col + " = ?"
	if tx.dialect == Postgres {
		q += " FOR UPDATE"
	}
	o, err := scanOffer(tx.queryRow(ctx, q, hash))
	if err != nil {
		return card.PhoneOfferRecord{}, notFound(err, "phone offer")
	}
	return o, nil
}

// UpdatePhoneOffer writes the offer's attempts, redemption, token and issue time.
func (tx *Tx) UpdatePhoneOffer(ctx context.Context, o card.PhoneOfferRecord) error {
	var token any
	if o.TokenHash != "" {
		token = o.TokenHash
	}
	res, err := tx.exec(ctx, `UPDATE phone_offers SET tx_attempts = ?, redeemed_at = ?, token_hash = ?,
		token_expires_at = ?, issued_at = ? WHERE id = ?`, o.TxAttempts, micros(o.RedeemedAt), token,
		micros(o.TokenExpiresAt), micros(o.IssuedAt), o.ID)
	if err != nil {
		return fmt.Errorf("update phone offer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("phone offer %s: %w", o.ID, ErrNotFound)
	}
	return nil
}

// InsertPhoneCredential records an issued phone credential's status entry.
func (tx *Tx) InsertPhoneCredential(ctx context.Context, c card.PhoneCredentialRecord) error {
	_, err := tx.exec(ctx, `INSERT INTO phone_credentials (id, card_id, offer_id, status_list_id, status_index, issued_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.CardID, c.OfferID, c.StatusListID, c.StatusIndex, micros(c.IssuedAt), micros(c.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("phone credential: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert phone credential: %w", err)
	}
	return nil
}

// PhoneCredentials lists the phone credentials of a card not yet revoked.
func (tx *Tx) PhoneCredentials(ctx context.Context, cardID string) ([]card.PhoneCredentialRecord, error) {
	rows, err := tx.query(ctx, `SELECT id, card_id, offer_id, status_list_id, status_index, issued_at, expires_at, revoked_at
		FROM phone_credentials WHERE card_id = ? AND revoked_at = 0 ORDER BY id`, cardID)
	if err != nil {
		return nil, fmt.Errorf("phone credentials: %w", err)
	}
	defer rows.Close()
	var out []card.PhoneCredentialRecord
	for rows.Next() {
		var c card.PhoneCredentialRecord
		var issued, expires, revoked int64
		if err := rows.Scan(&c.ID, &c.CardID, &c.OfferID, &c.StatusListID, &c.StatusIndex, &issued, &expires, &revoked); err != nil {
			return nil, fmt.Errorf("phone credentials: %w", err)
		}
		c.IssuedAt, c.ExpiresAt, c.RevokedAt = fromMicros(issued), fromMicros(expires), fromMicros(revoked)
		out = append(out, c)
	}
	return out, rows.Err()
}

// RevokePhoneCredential marks one phone credential revoked.
func (tx *Tx) RevokePhoneCredential(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE phone_credentials SET revoked_at = ? WHERE id = ? AND revoked_at = 0", micros(at), id); err != nil {
		return fmt.Errorf("revoke phone credential: %w", err)
	}
	return nil
}

// DeleteExpiredPhoneOffers removes offers past their expiry and their
// token's expiry.
func (tx *Tx) DeleteExpiredPhoneOffers(ctx context.Context, now time.Time) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM phone_offers WHERE expires_at < ? AND token_expires_at < ?", micros(now), micros(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired phone offers: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LivePhoneCredentials counts a card's phone credentials not revoked and
// says when the newest was issued (zero when none).
func (db *DB) LivePhoneCredentials(ctx context.Context, cardID string) (int, time.Time, error) {
	var n int
	var last int64
	err := db.queryRow(ctx, "SELECT COUNT(*), COALESCE(MAX(issued_at), 0) FROM phone_credentials WHERE card_id = ? AND revoked_at = 0", cardID).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("phone credentials of card: %w", err)
	}
	return n, fromMicros(last), nil
}
