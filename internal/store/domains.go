package store

import (
	"context"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/masterkey"
)

// The domain packages declare the storage they need as small interfaces
// over their own types (auth.Store, …); this file hands them a DB that
// satisfies each one. The transaction seam differs per domain only in the
// Tx interface the callback receives, which *Tx implements for all of them.

// Auth returns db as the storage of the auth service.
func (db *DB) Auth() auth.Store { return authStore{db} }

type authStore struct{ *DB }

func (s authStore) InTx(ctx context.Context, fn func(auth.Tx) error) error {
	return s.DB.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ auth.Tx = (*Tx)(nil)

// Enroll returns db as the storage of the application workflow.
func (db *DB) Enroll() enroll.Store { return enrollStore{db} }

type enrollStore struct{ *DB }

func (s enrollStore) InTx(ctx context.Context, fn func(enroll.Tx) error) error {
	return s.DB.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ enroll.Tx = (*Tx)(nil)

// Cards returns db as the storage of the card lifecycle.
func (db *DB) Cards() card.Store { return cardStore{db} }

type cardStore struct{ *DB }

func (s cardStore) InTx(ctx context.Context, fn func(card.Tx) error) error {
	return s.DB.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ card.Tx = (*Tx)(nil)

// MasterKey returns db as the storage of the master key's check and rotation.
func (db *DB) MasterKey() masterkey.Store { return masterKeyStore{db} }

type masterKeyStore struct{ *DB }

func (s masterKeyStore) InTx(ctx context.Context, fn func(masterkey.Tx) error) error {
	return s.DB.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ masterkey.Tx = (*Tx)(nil)
