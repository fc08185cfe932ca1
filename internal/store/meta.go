package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta returns a value from the meta table (key check value, settings hash…).
func (db *DB) Meta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := db.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if err != nil {
		return nil, notFound(err, "meta "+key)
	}
	return v, nil
}

// SetMetaIfAbsent stores value under key unless the key exists, and returns
// the stored value either way (so two servers starting at once agree).
func (tx *Tx) SetMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error) {
	var v []byte
	err := tx.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("meta %s: %w", key, err)
	}
	if _, err := tx.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", key, value); err != nil {
		return nil, fmt.Errorf("meta %s: %w", key, err)
	}
	return value, nil
}

// SetMeta stores value under key, replacing any previous value.
func (tx *Tx) SetMeta(ctx context.Context, key string, value []byte) error {
	_, err := tx.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("meta %s: %w", key, err)
	}
	return nil
}
