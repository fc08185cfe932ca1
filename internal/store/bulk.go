package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk writes for loading many records in one transaction (enroll.Import):
// one statement (or COPY) per table and batch instead of one per row, which
// is what makes a million-resident load take minutes on PostgreSQL, where
// every statement is a round trip.

// maxParams keeps a statement under both dialects' bound-parameter limits
// (SQLite 32766, PostgreSQL 65535).
const maxParams = 30000

// copyMin is the smallest batch loaded with COPY on PostgreSQL: below it
// the extra round trip COPY takes to learn the column types costs more
// than the INSERT it replaces (a single intake's audit event).
const copyMin = 16

// insertRows inserts rows (one value per column of cols, a comma-separated
// list) into table: with COPY on PostgreSQL for a batch of copyMin or
// more, which streams the rows in bounded buffers where a multi-row INSERT
// of a batch with photos builds one parameter buffer of megabytes per
// statement (a fifth of the loader's CPU went to growing it); otherwise
// with as few multi-row INSERTs as fit.
func (tx *Tx) insertRows(ctx context.Context, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.conn != nil && len(rows) >= copyMin {
		return tx.copyRows(ctx, table, cols, rows)
	}
	width := len(rows[0])
	head := "INSERT INTO " + table + " (" + cols + ")"
	per := max(1, maxParams/width)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*width)
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")
		if _, err := tx.exec(ctx, q, args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("%s: %w", head, ErrConflict)
			}
			return err
		}
	}
	return nil
}

// copyRows loads rows with COPY FROM STDIN (binary) on the connection the
// transaction runs on, so they commit or roll back with it.
func (tx *Tx) copyRows(ctx context.Context, table, cols string, rows [][]any) error {
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not pgx", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("copy into %s: %w", table, ErrConflict)
		}
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// InsertPersons is InsertPerson for many.
func (tx *Tx) InsertPersons(ctx context.Context, ps []enroll.PersonKey) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.ID, p.WrappedKey, p.KEKID, micros(p.CreatedAt)}
	}
	if err := tx.insertRows(ctx, "persons", "id, wrapped_key, kek_id, created_at", rows); err != nil {
		return fmt.Errorf("insert persons: %w", err)
	}
	return nil
}

// InsertApplications is InsertApplication for many; a reused reference or
// idempotency key is ErrConflict (and nothing of the batch stays, with the
// transaction).
func (tx *Tx) InsertApplications(ctx context.Context, as []enroll.Record) error {
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = appArgs(a)
	}
	if err := tx.insertRows(ctx, "applications", appColumns, rows); err != nil {
		return fmt.Errorf("insert applications: %w", err)
	}
	return tx.noteScreening(ctx, as...)
}

// AppendAudits appends events to the hash chain in order, in one statement
// per batch, after one read of the chain's head (under the same lock as
// AppendAudit).
func (tx *Tx) AppendAudits(ctx context.Context, es []audit.Event) error {
	if len(es) == 0 {
		return nil
	}
	return tx.appendAuditsAfter(ctx, es, nil)
}

// appendAuditsAfter is AppendAudits with before run first, in the round
// trip that takes the chain's lock and head (lockAuditHeadAfter).
func (tx *Tx) appendAuditsAfter(ctx context.Context, es []audit.Event, before *pipelined) error {
	prev, err := tx.lockAuditHeadAfter(ctx, before)
	if err != nil {
		return err
	}
	rows := make([][]any, len(es))
	for i, e := range es {
		e, err := prepareAudit(e)
		if err != nil {
			return err
		}
		e = audit.Next(prev, e)
		prev = &e
		rows[i] = []any{e.Seq, micros(e.At), e.Actor, e.Action, e.RecordType, e.RecordID, e.Purpose, e.Outcome, e.Prev, e.Hash}
	}
	if err := tx.insertRows(ctx, "audit_events", "seq, at, actor, action, record_type, record_id, purpose, outcome, prev, hash", rows); err != nil {
		return fmt.Errorf("append audit events: %w", err)
	}
	for _, e := range es {
		tx.actions = append(tx.actions, AuditedAction{Action: e.Action, Denied: e.Outcome == audit.OutcomeDenied})
	}
	return nil
}

// Analyze refreshes the query planner's statistics after a bulk load: on
// PostgreSQL a table loaded faster than autovacuum samples it keeps the
// statistics of an empty one, and the planner then picks plans that read
// every row (the applications list, the index walk).
func (db *DB) Analyze(ctx context.Context) error {
	q := "ANALYZE"
	if db.dialect == SQLite {
		q = "PRAGMA optimize"
	}
	if _, err := db.w.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
