// Package auditlog is the audit log as staff read it: the events, the
// chain's verification and the signed checkpoints, for auditors (and
// administrators). Events hold ids, never personal data, so reading them
// is not itself audited; the role is checked here, once, for every surface.
package auditlog

import (
	"context"
	"fmt"
	"io"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/checkpoint"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/store"
)

// Event is one audit event (see package audit).
type Event = audit.Event

// Filter selects events; empty fields match anything.
type Filter = audit.Filter

// OutcomeDenied marks an event that records a refusal.
const OutcomeDenied = audit.OutcomeDenied

// Report is the result of verifying the chain and its checkpoints.
type Report = checkpoint.Report

// ErrNoKey means no checkpoint has been signed yet.
var ErrNoKey = checkpoint.ErrNoKey

// Reader reads the audit log.
type Reader struct{ db *store.DB }

// New returns the reader of db's audit log.
func New(db *store.DB) *Reader { return &Reader{db: db} }

func canRead(by auth.Actor) error {
	if !by.Can(auth.RoleAuditor, auth.RoleAdmin) {
		return fmt.Errorf("read the audit log: %w", errs.ErrForbidden)
	}
	return nil
}

// Events lists events newest first.
func (r *Reader) Events(ctx context.Context, by auth.Actor, f Filter) ([]Event, error) {
	if err := canRead(by); err != nil {
		return nil, err
	}
	return r.db.AuditEvents(ctx, f)
}

// Verify checks the whole chain and the signed checkpoints and reports
// whether the log is intact or where it first breaks.
func (r *Reader) Verify(ctx context.Context, by auth.Actor) (Report, error) {
	if err := canRead(by); err != nil {
		return Report{}, err
	}
	return checkpoint.VerifyLog(ctx, r.db, nil, nil)
}

// ExportCheckpoints writes the log's verifier key and every signed
// checkpoint (the file `cityid audit export-checkpoints` writes) to w.
func (r *Reader) ExportCheckpoints(ctx context.Context, by auth.Actor, w io.Writer) (int, error) {
	if err := canRead(by); err != nil {
		return 0, err
	}
	return checkpoint.Export(ctx, r.db, w)
}
