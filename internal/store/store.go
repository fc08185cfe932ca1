// Package store is cityid's SQL storage for SQLite and PostgreSQL: one set of
// hand-written SQL, migrations embedded for both dialects. It is the only
// package that imports database drivers. It stores personal data only as the
// sealed bytes the domain packages hand it; it never sees plaintext.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/errs"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// The store's errors; check with errors.Is. A missing row, and a unique-key
// or serialization clash (which domain code may retry). They wrap the shared
// sentinels of package errs, so the HTTP layer maps them like any refusal,
// while a domain refusal (errs.ErrConflict for a record in the wrong state)
// is never mistaken for a store clash worth retrying.
var (
	ErrNotFound = fmt.Errorf("no such row: %w", errs.ErrNotFound)
	ErrConflict = errs.ErrWriteConflict
)

// Dialect names the SQL flavour of a database.
type Dialect string

// The two supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open cityid database.
type DB struct {
	dialect Dialect
	w       *sql.DB // writes: one connection on SQLite (one writer), the pool on PostgreSQL
	r       *sql.DB // reads: a small pool on SQLite, the same pool on PostgreSQL
	path    string  // SQLite file path, for secure-delete checks and backups
	// audited, when set, is told the action codes of the audit events of
	// each committed transaction (metrics count them; see SetAuditHook).
	audited func(actions []AuditedAction)
	// reads chains the events of audited reads in batches (DB.Audit):
	// one appender per DB, so per server.
	reads *audit.Group
	// batchHook, set by tests only, runs after a batch of reads' events is
	// inserted and before it commits; an error rolls the batch back.
	batchHook func(events int) error
}

// Open opens the database named by dsn: a postgres:// or postgresql:// URL, or
// a SQLite file path (optionally prefixed "sqlite:"). It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	// secure_delete overwrites deleted content so erased people leave no trace in the file.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_pragma=cache_size(-16384)&_time_format=sqlite"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := newDB(SQLite, w, r, path)
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// The database holds sealed personal data and password hashes: owner only.
	// Run a write so the WAL and shared-memory files exist, then restrict all three.
	if _, err := w.ExecContext(ctx, "PRAGMA user_version"); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("restrict database file permissions: %w", err)
		}
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	p.SetMaxOpenConns(maxPostgresConns)
	p.SetMaxIdleConns(maxPostgresConns)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("open database %s: %w", redact(dsn), err)
	}
	return newDB(Postgres, p, p, ""), nil
}

func newDB(d Dialect, w, r *sql.DB, path string) *DB {
	db := &DB{dialect: d, w: w, r: r, path: path}
	db.reads = audit.NewGroup(db.appendBatch)
	return db
}

// Warm opens up to n of the pool's connections before they are needed, so
// the first burst of requests after a start (fifty clerks whose pages
// reload at once) does not wait while PostgreSQL forks a backend for each.
// SQLite's pools are small and cheap to open: it does nothing there.
func (db *DB) Warm(ctx context.Context, n int) error {
	if db.dialect != Postgres {
		return nil
	}
	// Only the connections no one holds: the job leader keeps one for its
	// advisory lock for the server's life, so asking for the whole pool
	// waited for ever and the server never listened. Warming is an
	// optimisation: past a few seconds it gives up, not the start.
	n = min(n, maxPostgresConns-db.r.Stats().InUse)
	wctx, cancel := context.WithTimeout(ctx, warmWait)
	defer cancel()
	conns := make([]*sql.Conn, 0, max(n, 0))
	defer func() {
		for _, c := range conns {
			c.Close() // back to the pool, open and idle
		}
	}()
	for range n {
		c, err := db.r.Conn(wctx)
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil {
				return nil // the pool is busy: what is open stays open
			}
			return fmt.Errorf("warm the database pool: %w", err)
		}
		conns = append(conns, c)
	}
	return nil
}

// warmWait bounds how long Warm waits for the pool.
var warmWait = 5 * time.Second

// maxPostgresConns bounds each server's PostgreSQL pool.
const maxPostgresConns = 20

// redact hides a password in a database URL for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// Dialect reports which SQL flavour db speaks.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path returns the SQLite file path ("" on PostgreSQL).
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Ping checks the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// Checkpoint folds the SQLite WAL into the main file and truncates it, so
// erased data does not linger in the WAL. It is a no-op on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	_, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// Tx is a write transaction. Every domain write goes through one, together
// with its audit event, so a crash leaves either both or neither.
type Tx struct {
	tx *sql.Tx
	// conn is the connection a PostgreSQL transaction runs on, for COPY
	// (insertRows); nil on SQLite.
	conn    *sql.Conn
	dialect Dialect
	actions []AuditedAction // audit actions appended, for the commit hook
}

// InTx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	var conn *sql.Conn
	var sqlTx *sql.Tx
	if db.dialect == Postgres {
		// Hold the connection itself so a bulk write can COPY on it.
		if conn, err = db.w.Conn(ctx); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer conn.Close()
		sqlTx, err = conn.BeginTx(ctx, nil)
	} else {
		sqlTx, err = db.w.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	tx := &Tx{tx: sqlTx, conn: conn, dialect: db.dialect}
	if err := fn(tx); err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if db.audited != nil && len(tx.actions) > 0 {
		db.audited(tx.actions)
	}
	return nil
}

// rebind turns the ? placeholders of our SQL into $1, $2… for PostgreSQL.
// Our SQL never has a literal ? inside strings.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, rebind(tx.dialect, q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, rebind(tx.dialect, q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, rebind(tx.dialect, q), args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, rebind(db.dialect, q), args...)
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.r.QueryContext(ctx, rebind(db.dialect, q), args...)
}

// micros stores times as UTC microseconds since the epoch, the same in both dialects.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUnique reports whether err is a unique-constraint violation in either dialect.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") ||
		strings.Contains(s, "duplicate key value")
}

// notFound maps sql.ErrNoRows to ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
