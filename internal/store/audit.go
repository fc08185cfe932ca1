package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// AppendAudit chains e after the last event and inserts it in this
// transaction, so the event commits if and only if the change it records does.
// e.At defaults to now; Seq, Prev and Hash are filled in here.
func (tx *Tx) AppendAudit(ctx context.Context, e audit.Event) error {
	return tx.AppendAudits(ctx, []audit.Event{e})
}

// Audit chains e onto the log on its own, outside any transaction, and
// returns once it is committed: for an event that records no change (a
// read, a refusal), which must be durable before the caller goes on.
// Concurrent calls on one DB are written together, a batch per
// transaction (audit.Group), so readers take one turn on the chain's lock
// per batch, not one each. e.At defaults to now; an invalid event is
// refused here, before it can fail a batch.
func (db *DB) Audit(ctx context.Context, e audit.Event) error {
	e, err := prepareAudit(e)
	if err != nil {
		return err
	}
	return db.reads.Append(ctx, e)
}

// appendBatch writes one batch of DB.Audit's events: all or none.
func (db *DB) appendBatch(ctx context.Context, es []audit.Event) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if err := tx.AppendAudits(ctx, es); err != nil {
			return err
		}
		if db.batchHook != nil {
			return db.batchHook(len(es))
		}
		return nil
	})
}

// prepareAudit fills in e's defaults (At now, Outcome ok) and validates it.
func prepareAudit(e audit.Event) (audit.Event, error) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeOK
	}
	if err := audit.Validate(e); err != nil {
		return e, fmt.Errorf("audit: %w", err)
	}
	return e, nil
}

// auditHead reads the newest audit event.
const auditHead = `SELECT seq, at, actor, action, record_type, record_id, purpose, outcome, prev, hash
	FROM audit_events ORDER BY seq DESC LIMIT 1`

// auditLock is the PostgreSQL advisory lock that makes appenders of the
// chain, on any server, take turns until they commit.
const auditLock = "SELECT pg_advisory_xact_lock(7314002)"

// pipelined is a statement of the transaction's own that goes to
// PostgreSQL in the same round trip as the audit chain's lock and head,
// ahead of them; its one row is scanned into dest, and wrap makes its
// error (the lock and head are then not taken).
type pipelined struct {
	q    string
	args []any
	dest []any
	wrap func(error) error
}

// lockAuditHeadAfter takes the chain's turn and returns its newest event
// (nil when there is none), after running before (if not nil). On SQLite
// the one write connection is the turn. On PostgreSQL before, the lock and
// the read go in one round trip (a pipeline, run in that order: the read's
// snapshot is taken after the lock is held, so it sees the head the
// previous holder committed).
func (tx *Tx) lockAuditHeadAfter(ctx context.Context, before *pipelined) (*audit.Event, error) {
	if tx.dialect != Postgres || tx.conn == nil {
		if before != nil {
			if err := tx.queryRow(ctx, before.q, before.args...).Scan(before.dest...); err != nil {
				return nil, before.wrap(err)
			}
		}
		return headOf(tx.queryRow(ctx, auditHead))
	}
	var head *audit.Event
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not pgx", dc)
		}
		b := &pgx.Batch{}
		if before != nil {
			b.Queue(rebind(Postgres, before.q), before.args...)
		}
		b.Queue(auditLock)
		b.Queue(auditHead)
		res := c.Conn().SendBatch(ctx, b)
		if before != nil {
			if err := res.QueryRow().Scan(before.dest...); err != nil {
				res.Close()
				return before.wrap(err)
			}
		}
		if _, err := res.Exec(); err != nil {
			res.Close()
			return fmt.Errorf("audit lock: %w", err)
		}
		var err error
		head, err = headOf(res.QueryRow())
		if cerr := res.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("read audit head: %w", cerr)
		}
		return err
	})
	return head, err
}

// headOf scans the head read by row (nil when the chain is empty).
func headOf(row scanner) (*audit.Event, error) {
	e, err := scanAudit(row)
	if errors.Is(err, sql.ErrNoRows) { // pgx.ErrNoRows wraps it
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit head: %w", err)
	}
	return &e, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanAudit(s scanner) (audit.Event, error) {
	var e audit.Event
	var at int64
	err := s.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.RecordType, &e.RecordID, &e.Purpose, &e.Outcome, &e.Prev, &e.Hash)
	e.At = fromMicros(at)
	return e, err
}

// AuditEvents lists events newest first.
func (db *DB) AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	q := `SELECT seq, at, actor, action, record_type, record_id, purpose, outcome, prev, hash FROM audit_events WHERE 1=1`
	var args []any
	if f.RecordType != "" {
		q += " AND record_type = ?"
		args = append(args, f.RecordType)
	}
	if f.RecordID != "" {
		q += " AND record_id = ?"
		args = append(args, f.RecordID)
	}
	if f.Actor != "" {
		q += " AND actor = ?"
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	if f.BeforeSeq > 0 {
		q += " AND seq < ?"
		args = append(args, f.BeforeSeq)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// WalkAudit calls fn for every event in sequence order, streaming, for verification.
func (db *DB) WalkAudit(ctx context.Context, fn func(audit.Event) error) error {
	const page = 5000
	var after int64
	for {
		rows, err := db.query(ctx, `SELECT seq, at, actor, action, record_type, record_id, purpose, outcome, prev, hash
			FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, page)
		if err != nil {
			return fmt.Errorf("walk audit: %w", err)
		}
		n := 0
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("walk audit: %w", err)
			}
			n++
			after = e.Seq
			if err := fn(e); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("walk audit: %w", err)
		}
		rows.Close()
		if n < page {
			return nil
		}
	}
}

// AuditCount returns the number of events.
func (db *DB) AuditCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM audit_events").Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}
