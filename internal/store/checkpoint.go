package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/audit"
)

// AuditCheckpoint is one stored signed tree head of the audit log.
type AuditCheckpoint struct {
	Size      int64
	Root      []byte
	Note      []byte // the signed note, as audit.NewCheckpoint made it
	CreatedAt time.Time
}

// AddAuditCheckpoint stores c unless a checkpoint of the same size exists,
// and returns the one stored at that size either way: two servers signing
// the same tree head agree, and a caller can see when they did not.
func (db *DB) AddAuditCheckpoint(ctx context.Context, c AuditCheckpoint) (AuditCheckpoint, error) {
	var out AuditCheckpoint
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (size) DO NOTHING`, c.Size, c.Root, string(c.Note), micros(c.CreatedAt)); err != nil {
			return fmt.Errorf("add audit checkpoint: %w", err)
		}
		var err error
		out, err = scanCheckpoint(tx.queryRow(ctx, `SELECT size, root, note, created_at FROM audit_checkpoints WHERE size = ?`, c.Size))
		if err != nil {
			return notFound(err, "audit checkpoint")
		}
		return nil
	})
	return out, err
}

func scanCheckpoint(s scanner) (AuditCheckpoint, error) {
	var c AuditCheckpoint
	var note string
	var at int64
	if err := s.Scan(&c.Size, &c.Root, &note, &at); err != nil {
		return AuditCheckpoint{}, err
	}
	c.Note, c.CreatedAt = []byte(note), fromMicros(at)
	return c, nil
}

// AuditCheckpoints lists every stored checkpoint, smallest size first.
func (db *DB) AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error) {
	rows, err := db.query(ctx, `SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("list audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []AuditCheckpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit checkpoints: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestAuditCheckpoint returns the checkpoint of the largest size, or
// ErrNotFound when none was signed yet.
func (db *DB) LatestAuditCheckpoint(ctx context.Context) (AuditCheckpoint, error) {
	c, err := scanCheckpoint(db.queryRow(ctx, `SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1`))
	if err != nil {
		return AuditCheckpoint{}, notFound(err, "latest audit checkpoint")
	}
	return c, nil
}

// AuditHead returns the sequence number of the newest event (0 when the log
// is empty). Appenders are serialized and sequence numbers gapless, so every
// event up to the head is committed and visible.
func (db *DB) AuditHead(ctx context.Context) (int64, error) {
	var n int64
	if err := db.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_events").Scan(&n); err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	return n, nil
}

// AuditAfter returns up to limit events with seq > after, in order.
func (db *DB) AuditAfter(ctx context.Context, after int64, limit int) ([]audit.Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := db.query(ctx, `SELECT seq, at, actor, action, record_type, record_id, purpose, outcome, prev, hash
		FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("read audit events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
