package site

import (
	"context"

	"github.com/cityid/cityid/internal/audit"
)

// Store is the storage sites need; package store implements it
// (store.DB.SiteStorage). A site that is not there is an error wrapping
// errs.ErrNotFound; a name already taken is errs.ErrWriteConflict.
type Store interface {
	// InTx runs fn in one write transaction: a site change and its audit
	// event commit together or not at all.
	InTx(ctx context.Context, fn func(Tx) error) error
	Site(ctx context.Context, id string) (Site, error)
	Sites(ctx context.Context) ([]Site, error)
}

// Tx is what one write transaction of the site service does.
type Tx interface {
	CreateSite(ctx context.Context, s Site) error
	UpdateSite(ctx context.Context, s Site) error
	AppendAudit(ctx context.Context, e audit.Event) error
}
