package store

import (
	"context"
	"fmt"
	"time"
)

// CashEntry is the money part of one submitted application, for the daily
// cash reconciliation: who took it (the clerk's username, not a resident),
// where, how, and how much. No ids of people, no personal data.
type CashEntry struct {
	ClerkID, ClerkUsername, SiteID string
	Method, WaiverReason           string
	FeeClass                       string // the age category the fee was computed for
	Cents                          int
	At                             time.Time // when the application was submitted (the fee taken)
}

// WalkCashEntries calls fn for every application submitted in [from, to),
// streaming. Drafts (nothing taken yet) are not counted.
func (db *DB) WalkCashEntries(ctx context.Context, from, to time.Time, fn func(CashEntry)) error {
	rows, err := db.query(ctx, `SELECT a.clerk_id, COALESCE(s.username, ''), a.site_id, a.payment_method, a.waiver_reason,
		a.age_category, a.fee_cents, a.submitted_at
		FROM applications a LEFT JOIN staff s ON s.id = a.clerk_id
		WHERE a.status <> 'draft' AND a.submitted_at >= ? AND a.submitted_at < ?`, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("cash entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e CashEntry
		var at int64
		if err := rows.Scan(&e.ClerkID, &e.ClerkUsername, &e.SiteID, &e.Method, &e.WaiverReason, &e.FeeClass, &e.Cents, &at); err != nil {
			return fmt.Errorf("cash entries: %w", err)
		}
		e.At = fromMicros(at)
		fn(e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cash entries: %w", err)
	}
	return nil
}
