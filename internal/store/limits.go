package store

import (
	"context"
	"fmt"
	"time"
)

// TakeTokens is a token bucket kept in the database, so every app server
// on it enforces one limit. In one atomic statement it refills the bucket
// (name, keyHash) at rate tokens a second up to burst, takes cost tokens
// when there are enough, and reports whether it did and how many tokens
// are left. A new bucket starts full.
func (db *DB) TakeTokens(ctx context.Context, name string, keyHash []byte, rate, burst, cost float64, now time.Time) (bool, float64, error) {
	n := micros(now)
	least, greatest := "LEAST", "GREATEST"
	if db.dialect == SQLite {
		least, greatest = "MIN", "MAX"
	}
	// refilled: the bucket's tokens after refilling up to now.
	refilled := least + "(?, rate_buckets.tokens + " + greatest + "(? - rate_buckets.updated_at, 0) / 1000000.0 * ?)"
	q := `INSERT INTO rate_buckets (name, key_hash, tokens, took, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name, key_hash) DO UPDATE SET
		tokens = CASE WHEN ` + refilled + ` >= ? THEN ` + refilled + ` - ? ELSE ` + refilled + ` END,
		took = CASE WHEN ` + refilled + ` >= ? THEN 1 ELSE 0 END,
		updated_at = ?
		RETURNING took, tokens`
	fresh := 0
	start := burst
	if burst >= cost {
		fresh, start = 1, burst-cost
	}
	args := []any{name, keyHash, start, fresh, n,
		burst, n, rate, cost, burst, n, rate, cost, burst, n, rate,
		burst, n, rate, cost,
		n}
	var took int
	var left float64
	if err := db.w.QueryRowContext(ctx, rebind(db.dialect, q), args...).Scan(&took, &left); err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	return took == 1, left, nil
}

// SpendChallenge records a proof-of-work challenge (its hash) as spent
// until expires; false when any server spent it before.
func (db *DB) SpendChallenge(ctx context.Context, hash []byte, expires time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, rebind(db.dialect,
		"INSERT INTO pow_spent (challenge_hash, expires_at) VALUES (?, ?) ON CONFLICT (challenge_hash) DO NOTHING"), hash, micros(expires))
	if err != nil {
		return false, fmt.Errorf("spend challenge: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PruneShared deletes rate buckets idle since before idleBefore (they
// have refilled: they hold no information) and challenges expired before
// now; it returns how many rows it removed.
func (db *DB) PruneShared(ctx context.Context, idleBefore, now time.Time) (int, error) {
	total := 0
	for _, s := range []struct {
		q string
		t time.Time
	}{{"DELETE FROM rate_buckets WHERE updated_at < ?", idleBefore}, {"DELETE FROM pow_spent WHERE expires_at < ?", now}} {
		res, err := db.w.ExecContext(ctx, rebind(db.dialect, s.q), micros(s.t))
		if err != nil {
			return total, fmt.Errorf("prune shared limits: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
