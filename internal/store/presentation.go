package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/wallet/present"
)

// PutPresentation stores a new presentation request.
func (db *DB) PutPresentation(ctx context.Context, r present.Stored) error {
	_, err := db.w.ExecContext(ctx, rebind(db.dialect, `INSERT INTO presentation_requests
		(id, handle_hash, partner, request, answer_key, expires_at, forget_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.HandleHash, r.Partner, r.Request, r.AnswerKey, micros(r.Expires), micros(r.ForgetAt))
	if isUnique(err) {
		return fmt.Errorf("presentation request: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert presentation request: %w", err)
	}
	return nil
}

const presentationColumns = "id, handle_hash, partner, request, answer_key, expires_at, forget_at, busy, answer"

func scanPresentation(s scanner) (present.Stored, error) {
	var r present.Stored
	var expires, forget int64
	var busy int
	if err := s.Scan(&r.ID, &r.HandleHash, &r.Partner, &r.Request, &r.AnswerKey, &expires, &forget, &busy, &r.Answer); err != nil {
		return present.Stored{}, notFound(err, "presentation request")
	}
	r.Expires, r.ForgetAt, r.Busy = fromMicros(expires), fromMicros(forget), busy != 0
	return r, nil
}

// PresentationByID finds a request by its id (the wallet's response URI).
func (db *DB) PresentationByID(ctx context.Context, id string) (present.Stored, error) {
	return scanPresentation(db.queryRow(ctx, "SELECT "+presentationColumns+" FROM presentation_requests WHERE id = ?", id))
}

// PresentationByHandle finds a request by the hash of its asker's handle.
func (db *DB) PresentationByHandle(ctx context.Context, handleHash []byte) (present.Stored, error) {
	return scanPresentation(db.queryRow(ctx, "SELECT "+presentationColumns+" FROM presentation_requests WHERE handle_hash = ?", handleHash))
}

// ClaimPresentation marks request id as being answered, if no answer came
// before and it has not expired at now; false when another answer (on any
// server) was first or it expired.
func (db *DB) ClaimPresentation(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, rebind(db.dialect,
		"UPDATE presentation_requests SET busy = 1 WHERE id = ? AND busy = 0 AND expires_at >= ?"), id, micros(now))
	if err != nil {
		return false, fmt.Errorf("claim presentation request: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AnswerPresentation stores a request's sealed answer and when to forget it.
func (db *DB) AnswerPresentation(ctx context.Context, id string, sealed []byte, forgetAt time.Time) error {
	_, err := db.w.ExecContext(ctx, rebind(db.dialect,
		"UPDATE presentation_requests SET answer = ?, forget_at = ? WHERE id = ?"), sealed, micros(forgetAt), id)
	if err != nil {
		return fmt.Errorf("answer presentation request: %w", err)
	}
	return nil
}

// SeenPresentation records a presentation's digest until expires; false
// when it was seen before (a replay).
func (db *DB) SeenPresentation(ctx context.Context, digest []byte, expires time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, rebind(db.dialect,
		"INSERT INTO presentation_seen (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING"), digest, micros(expires))
	if err != nil {
		return false, fmt.Errorf("record presentation: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ForgetPresentations deletes requests and replay digests past their time.
func (db *DB) ForgetPresentations(ctx context.Context, now time.Time) error {
	for _, q := range []string{"DELETE FROM presentation_requests WHERE forget_at < ?", "DELETE FROM presentation_seen WHERE expires_at < ?"} {
		if _, err := db.w.ExecContext(ctx, rebind(db.dialect, q), micros(now)); err != nil {
			return fmt.Errorf("forget presentations: %w", err)
		}
	}
	return nil
}
