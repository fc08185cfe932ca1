package store

import (
	"context"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/masterkey"
	"github.com/cityid/cityid/internal/site"
)

// The domain packages declare the storage they need as small interfaces
// over their own types (auth.Store, enroll.Store, …); the methods below hand
// them db as each one. A domain's interfaces differ from *DB only in the
// transaction seam: InTx gives the callback the domain's own Tx interface,
// which *Tx implements for every domain (checked here at compile time).

// Auth returns db as the storage of the auth service.
func (db *DB) Auth() auth.Store { return domain[auth.Tx]{db} }

// Enroll returns db as the storage of the application workflow.
func (db *DB) Enroll() enroll.Store { return domain[enroll.Tx]{db} }

// Cards returns db as the storage of the card lifecycle.
func (db *DB) Cards() card.Store { return domain[card.Tx]{db} }

// SiteStorage returns db as the storage of the site service.
func (db *DB) SiteStorage() site.Store { return domain[site.Tx]{db} }

// MasterKey returns db as the storage of the master key's check and rotation.
func (db *DB) MasterKey() masterkey.Store { return domain[masterkey.Tx]{db} }

var (
	_ auth.Tx      = (*Tx)(nil)
	_ enroll.Tx    = (*Tx)(nil)
	_ card.Tx      = (*Tx)(nil)
	_ masterkey.Tx = (*Tx)(nil)
	_ site.Tx      = (*Tx)(nil)
)

// domain is db seen by a domain whose transactions are T.
type domain[T any] struct{ *DB }

// InTx runs fn in a write transaction (see DB.InTx), as the domain's Tx.
func (d domain[T]) InTx(ctx context.Context, fn func(T) error) error {
	return d.DB.InTx(ctx, func(tx *Tx) error { return fn(any(tx).(T)) })
}
