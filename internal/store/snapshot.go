package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ScreeningSnapshot is the header of a sealed snapshot of the screening
// index (schema 18). The store keeps its chunks as opaque bytes; package
// dedup seals and opens them.
type ScreeningSnapshot struct {
	ID        string
	CreatedAt time.Time
	Mark      int64 // the change feed number it is current to
	Records   int
	Chunks    int // 0 while being written
	KEKID     string
	// WrappedKey is the snapshot's data key wrapped by the master key:
	// deleting the header destroys it.
	WrappedKey []byte
}

// BeginScreeningSnapshot stores the header of a snapshot about to be
// written (Chunks is ignored: it stays 0 until Finish).
func (db *DB) BeginScreeningSnapshot(ctx context.Context, s ScreeningSnapshot) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO screening_snapshots (id, created_at, mark, records, chunks, kek_id, wrapped_key)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, s.ID, micros(s.CreatedAt), s.Mark, s.Records, s.KEKID, s.WrappedKey)
		if err != nil {
			return fmt.Errorf("begin screening snapshot: %w", err)
		}
		return nil
	})
}

// PutScreeningSnapshotChunk stores chunk n of a snapshot being written. A
// snapshot deleted meanwhile (an erasure) refuses it with ErrNotFound.
func (db *DB) PutScreeningSnapshotChunk(ctx context.Context, id string, n int, data []byte) error {
	return db.InTx(ctx, func(tx *Tx) error {
		// The chunk's foreign key holds the header against a concurrent
		// erasure until this commits; one deleted before is gone here.
		var chunks int
		err := tx.queryRow(ctx, "SELECT chunks FROM screening_snapshots WHERE id = ?", id).Scan(&chunks)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && chunks != 0) {
			return fmt.Errorf("screening snapshot chunk %d: snapshot %s: %w", n, id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("screening snapshot chunk %d: %w", n, err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO screening_snapshot_chunks (snapshot_id, n, data) VALUES (?, ?, ?)", id, n, data); err != nil {
			return fmt.Errorf("screening snapshot chunk %d: %w", n, err)
		}
		return nil
	})
}

// FinishScreeningSnapshot marks a snapshot complete with its chunk count
// and deletes every other snapshot. If an erasure deleted it while it was
// being written (it may hold the erased), it stays deleted: ErrNotFound.
func (db *DB) FinishScreeningSnapshot(ctx context.Context, id string, chunks int) error {
	if chunks <= 0 {
		return fmt.Errorf("finish screening snapshot: %d chunks", chunks)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE screening_snapshots SET chunks = ? WHERE id = ? AND chunks = 0", chunks, id)
		if err != nil {
			return fmt.Errorf("finish screening snapshot: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("finish screening snapshot %s: %w", id, ErrNotFound)
		}
		if _, err := tx.exec(ctx, "DELETE FROM screening_snapshots WHERE id <> ?", id); err != nil {
			return fmt.Errorf("finish screening snapshot: drop older ones: %w", err)
		}
		return nil
	})
}

// DeleteScreeningSnapshots deletes every snapshot (complete or not) and
// returns how many there were.
func (db *DB) DeleteScreeningSnapshots(ctx context.Context) (int, error) {
	var n int
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.dropScreeningSnapshots(ctx)
		return err
	})
	return n, err
}

// dropScreeningSnapshots deletes every snapshot in tx: the erasures call it,
// so no snapshot keeps a person the database no longer keeps.
func (tx *Tx) dropScreeningSnapshots(ctx context.Context) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM screening_snapshots")
	if err != nil {
		return 0, fmt.Errorf("drop screening snapshots: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LatestScreeningSnapshot returns the newest complete snapshot's header
// (ErrNotFound when there is none).
func (db *DB) LatestScreeningSnapshot(ctx context.Context) (ScreeningSnapshot, error) {
	var s ScreeningSnapshot
	var at int64
	err := db.queryRow(ctx, `SELECT id, created_at, mark, records, chunks, kek_id, wrapped_key FROM screening_snapshots
		WHERE chunks > 0 ORDER BY created_at DESC, id LIMIT 1`).Scan(&s.ID, &at, &s.Mark, &s.Records, &s.Chunks, &s.KEKID, &s.WrappedKey)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("latest screening snapshot: %w", ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("latest screening snapshot: %w", err)
	}
	s.CreatedAt = fromMicros(at)
	return s, nil
}

// ScreeningSnapshotChunk returns chunk n of snapshot id (ErrNotFound when
// it is missing: the snapshot was deleted or is damaged).
func (db *DB) ScreeningSnapshotChunk(ctx context.Context, id string, n int) ([]byte, error) {
	var data []byte
	err := db.queryRow(ctx, "SELECT data FROM screening_snapshot_chunks WHERE snapshot_id = ? AND n = ?", id, n).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("screening snapshot %s chunk %d: %w", id, n, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("screening snapshot %s chunk %d: %w", id, n, err)
	}
	return data, nil
}

// DeleteScreeningSnapshot deletes one snapshot (a write that failed half
// way); a snapshot already gone is not an error.
func (db *DB) DeleteScreeningSnapshot(ctx context.Context, id string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM screening_snapshots WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete screening snapshot: %w", err)
		}
		return nil
	})
}
