package store

import (
	"context"
	"fmt"
	"time"
)

// CashEntry is the money part of one submitted application, or of one
// renewed or replaced card whose fee was taken at the card desk, for the
// daily cash reconciliation: who took it (the staff member's username, not
// a resident), where, how, and how much. No ids of people, no personal data.
type CashEntry struct {
	// Kind is "" for an application's intake fee, or the card kind
	// ("renewal", "replacement") of a fee taken at the card desk.
	Kind                           string
	ClerkID, ClerkUsername, SiteID string
	Method, WaiverReason           string
	FeeClass                       string // the age category the fee was computed for ("" for cards)
	Cents                          int
	At                             time.Time // when the application was submitted (the fee taken)
}

// WalkCashEntries calls fn for every application submitted in [from, to),
// then for every renewal or replacement card made in [from, to) whose fee
// taker was recorded, streaming. Drafts (nothing taken yet) are not
// counted, nor cards from before the taker was recorded (schema 17).
func (db *DB) WalkCashEntries(ctx context.Context, from, to time.Time, fn func(CashEntry)) error {
	if err := db.walkApplicationCash(ctx, from, to, fn); err != nil {
		return err
	}
	return db.walkCardCash(ctx, from, to, fn)
}

func (db *DB) walkApplicationCash(ctx context.Context, from, to time.Time, fn func(CashEntry)) error {
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

func (db *DB) walkCardCash(ctx context.Context, from, to time.Time, fn func(CashEntry)) error {
	rows, err := db.query(ctx, `SELECT c.kind, c.fee_taken_by, COALESCE(s.username, ''), c.fee_site_id, c.payment_method, c.waiver_reason,
		c.fee_cents, c.created_at
		FROM cards c LEFT JOIN staff s ON s.id = c.fee_taken_by
		WHERE c.fee_taken_by <> '' AND c.created_at >= ? AND c.created_at < ?`, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("card cash entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e CashEntry
		var at int64
		if err := rows.Scan(&e.Kind, &e.ClerkID, &e.ClerkUsername, &e.SiteID, &e.Method, &e.WaiverReason, &e.Cents, &at); err != nil {
			return fmt.Errorf("card cash entries: %w", err)
		}
		e.At = fromMicros(at)
		fn(e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("card cash entries: %w", err)
	}
	return nil
}
