package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

const apiTokenColumns = "id, token_hash, staff_id, name, created_at, last_used_at, revoked_at, expires_at"

func scanAPIToken(s scanner) (auth.TokenRecord, error) {
	var t auth.TokenRecord
	var created, used, revoked, expires int64
	if err := s.Scan(&t.ID, &t.TokenHash, &t.StaffID, &t.Name, &created, &used, &revoked, &expires); err != nil {
		return auth.TokenRecord{}, err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromMicros(used), fromMicros(revoked)
	t.ExpiresAt = fromMicros(expires)
	return t, nil
}

// CreateAPIToken inserts t.
func (tx *Tx) CreateAPIToken(ctx context.Context, t auth.TokenRecord) error {
	_, err := tx.exec(ctx, "INSERT INTO api_tokens ("+apiTokenColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.TokenHash, t.StaffID, t.Name, micros(t.CreatedAt), micros(t.LastUsedAt), micros(t.RevokedAt), micros(t.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("create API token: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	return nil
}

// APITokenByHash returns the token whose secret hashes to tokenHash, revoked or not.
func (db *DB) APITokenByHash(ctx context.Context, tokenHash []byte) (auth.TokenRecord, error) {
	t, err := scanAPIToken(db.queryRow(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE token_hash = ?", tokenHash))
	if err != nil {
		return auth.TokenRecord{}, notFound(err, "API token")
	}
	return t, nil
}

// APITokenByID returns one token by id.
func (db *DB) APITokenByID(ctx context.Context, id string) (auth.TokenRecord, error) {
	t, err := scanAPIToken(db.queryRow(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE id = ?", id))
	if err != nil {
		return auth.TokenRecord{}, notFound(err, "API token "+id)
	}
	return t, nil
}

// APITokens lists a staff member's tokens, newest first ("" lists everyone's).
func (db *DB) APITokens(ctx context.Context, staffID string) ([]auth.TokenRecord, error) {
	q := "SELECT " + apiTokenColumns + " FROM api_tokens"
	var args []any
	if staffID != "" {
		q += " WHERE staff_id = ?"
		args = append(args, staffID)
	}
	rows, err := db.query(ctx, q+" ORDER BY created_at DESC, id", args...)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.TokenRecord
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// TouchAPIToken records that a token was used at at.
func (tx *Tx) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", micros(at), id); err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// RevokeAPIToken revokes a token; revoking twice keeps the first time.
func (tx *Tx) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0", micros(at), id)
	if err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	} else if n == 0 {
		var exists int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM api_tokens WHERE id = ?", id).Scan(&exists); err != nil {
			return fmt.Errorf("revoke API token: %w", err)
		}
		if exists == 0 {
			return fmt.Errorf("revoke API token %s: %w", id, ErrNotFound)
		}
	}
	return nil
}

// RevokeStaffAPITokens revokes every live token of a staff member (the
// account was reset, disabled, changed its password or signed out
// everywhere) and returns the ids it revoked.
func (tx *Tx) RevokeStaffAPITokens(ctx context.Context, staffID string, at time.Time) ([]string, error) {
	rows, err := tx.query(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at = 0 RETURNING id", micros(at), staffID)
	if err != nil {
		return nil, fmt.Errorf("revoke API tokens: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("revoke API tokens: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoke API tokens: %w", err)
	}
	return ids, nil
}
