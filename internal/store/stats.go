package store

import (
	"context"
	"fmt"
	"time"
)

// StatsApplication is the plain (never sealed) part of an application that
// aggregate statistics count: no ids, no personal data.
type StatsApplication struct {
	SiteID, Status, Language, AgeCategory string
	PaymentMethod, WaiverReason           string
	FeeCents                              int
	SubmittedAt, DecidedAt                time.Time
}

// WalkStatsApplications calls fn for every application submitted or decided
// in [from, to), streaming. Drafts are never counted.
func (db *DB) WalkStatsApplications(ctx context.Context, from, to time.Time, fn func(StatsApplication)) error {
	rows, err := db.query(ctx, `SELECT site_id, status, language, age_category, payment_method, waiver_reason, fee_cents,
		submitted_at, decided_at FROM applications
		WHERE status <> 'draft' AND ((submitted_at >= ? AND submitted_at < ?) OR (decided_at >= ? AND decided_at < ?))`,
		micros(from), micros(to), micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a StatsApplication
		var sub, dec int64
		if err := rows.Scan(&a.SiteID, &a.Status, &a.Language, &a.AgeCategory, &a.PaymentMethod, &a.WaiverReason,
			&a.FeeCents, &sub, &dec); err != nil {
			return fmt.Errorf("statistics: %w", err)
		}
		a.SubmittedAt, a.DecidedAt = fromMicros(sub), fromMicros(dec)
		fn(a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	return nil
}

// StatsCard is the plain part of an issued card and of the application it
// was issued from.
type StatsCard struct {
	SiteID, Language, AgeCategory string
	Kind, WaiverReason            string
	FeeCents                      int
	IssuedAt                      time.Time
}

// WalkStatsCards calls fn for every card created (issued) in [from, to),
// streaming.
func (db *DB) WalkStatsCards(ctx context.Context, from, to time.Time, fn func(StatsCard)) error {
	rows, err := db.query(ctx, `SELECT a.site_id, a.language, a.age_category, c.kind, c.waiver_reason, c.fee_cents, c.created_at
		FROM cards c JOIN applications a ON a.id = c.application_id
		WHERE c.created_at >= ? AND c.created_at < ?`, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c StatsCard
		var at int64
		if err := rows.Scan(&c.SiteID, &c.Language, &c.AgeCategory, &c.Kind, &c.WaiverReason, &c.FeeCents, &at); err != nil {
			return fmt.Errorf("statistics: %w", err)
		}
		c.IssuedAt = fromMicros(at)
		fn(c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	return nil
}
