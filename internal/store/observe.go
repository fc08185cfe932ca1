package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditedAction is what the commit hook learns of one audit event: its
// action code and whether it was refused, never ids or purposes.
type AuditedAction struct {
	Action string
	Denied bool // outcome audit.OutcomeDenied
}

// SetAuditHook makes every committed transaction report the action codes
// and outcomes of the audit events it appended: metrics count intakes,
// decisions, cards issued and refused sign-ins from the one place every
// such action passes. Set it once, before serving.
func (db *DB) SetAuditHook(fn func(actions []AuditedAction)) { db.audited = fn }

// PoolStats returns the connection pool's statistics (the write pool; on
// PostgreSQL the only one).
func (db *DB) PoolStats() sql.DBStats { return db.w.Stats() }

// CountBy counts the rows of cards or applications per status.
func (db *DB) CountBy(ctx context.Context, table string) (map[string]int, error) {
	if table != "cards" && table != "applications" {
		return nil, fmt.Errorf("count by status: table %q: %w", table, ErrNotFound)
	}
	rows, err := db.query(ctx, "SELECT status, COUNT(*) FROM "+table+" GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count %s by status: %w", table, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count %s by status: %w", table, err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// LastAudited returns the time of the latest audit event with this record
// type and action (zero when none); the record-type index finds it.
func (db *DB) LastAudited(ctx context.Context, recordType, action string) (time.Time, error) {
	var v sql.NullInt64
	err := db.queryRow(ctx, "SELECT MAX(at) FROM audit_events WHERE record_type = ? AND action = ?", recordType, action).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("last audited %s: %w", action, err)
	}
	return fromMicros(v.Int64), nil
}
