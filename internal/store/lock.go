package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SessionLock is a PostgreSQL session-level advisory lock held on a
// connection of its own: it lasts until Release, or until the connection
// dies with the process that holds it (kill -9, a crashed host, a restarted
// database), when PostgreSQL frees it for another server. On SQLite (one
// server per database file) every TryLock succeeds.
type SessionLock struct {
	conn *sql.Conn // nil on SQLite
	key  int64
}

// TryLock takes the advisory lock key if no other session holds it.
func (db *DB) TryLock(ctx context.Context, key int64) (*SessionLock, bool, error) {
	if db.dialect != Postgres {
		return &SessionLock{key: key}, true, nil
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("advisory lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("advisory lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &SessionLock{conn: conn, key: key}, true, nil
}

// Alive checks that the lock's connection (and so the lock) still stands.
func (l *SessionLock) Alive(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	var held bool
	// The lock is ours while this session's row in pg_locks is granted.
	err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
		AND pid = pg_backend_pid() AND granted AND ((classid::bigint << 32) | objid::bigint) = $1)`, l.key).Scan(&held)
	if err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	if !held {
		return fmt.Errorf("advisory lock %d: no longer held", l.key)
	}
	return nil
}

// Release frees the lock and its connection.
func (l *SessionLock) Release(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	_, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.key)
	if cerr := l.conn.Close(); err == nil {
		err = cerr
	}
	return err
}
