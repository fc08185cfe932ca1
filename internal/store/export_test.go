package store

import (
	"context"
	"database/sql"
)

// Exec runs a statement in the transaction (tests only).
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.exec(ctx, q, args...)
}

// QueryForTest runs a read query (tests only).
func (db *DB) QueryForTest(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.query(ctx, q, args...)
}

// MigrationSQLForTest returns every migration's text for d.
func MigrationSQLForTest(d Dialect) []string {
	ms, _ := migrations(d)
	var out []string
	for _, m := range ms {
		out = append(out, m.sql)
	}
	return out
}

// SetBatchHookForTest makes fn run inside each batch of DB.Audit's events,
// after their insert and before the commit (an error rolls the batch back).
func (db *DB) SetBatchHookForTest(fn func(events int) error) { db.batchHook = fn }
