package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/cityid/cityid/internal/card"
)

// Tables returns the names of cityid's tables, sorted (migrations'
// bookkeeping included), for reports and backup checks.
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if db.dialect == Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	rows, err := db.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("tables: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CountRows counts the rows of one of cityid's tables.
func (db *DB) CountRows(ctx context.Context, table string) (int, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return 0, err
	}
	if !slices.Contains(tables, table) {
		return 0, fmt.Errorf("count rows: no table %q: %w", table, ErrNotFound)
	}
	var n int
	// table is one of the schema's own names (checked above), never input.
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// EachCard calls fn for every card, in id order, a page at a time (for
// checks over all cards, such as after a restore).
func (db *DB) EachCard(ctx context.Context, fn func(card.Record) error) error {
	after := ""
	for {
		rows, err := db.query(ctx, "SELECT "+cardColumns+" FROM cards WHERE id > ? ORDER BY id LIMIT 1000", after)
		if err != nil {
			return fmt.Errorf("each card: %w", err)
		}
		var page []card.Record
		for rows.Next() {
			c, err := scanCard(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("each card: %w", err)
			}
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("each card: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}
