package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Backups. SQLite is copied whole with VACUUM INTO (a consistent, compact
// file; no free page keeps an erased row); PostgreSQL is dumped logically,
// table by table, from one repeatable-read snapshot, and loaded back into a
// fresh schema in one transaction. Nothing here decrypts anything: the rows
// hold the same sealed bytes as the database.

// migrationsTable is the schema bookkeeping, which a restore rebuilds
// rather than copies.
const migrationsTable = "schema_migrations"

// SnapshotSQLite writes a consistent copy of a SQLite database to path
// (which must not exist), while the server keeps running.
func (db *DB) SnapshotSQLite(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errors.New("snapshot: not a SQLite database")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("snapshot: %s exists", path)
	}
	// VACUUM INTO reads in one transaction; on the writer connection it
	// waits for a write in progress and holds later ones briefly.
	if _, err := db.w.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// IntegrityCheck runs SQLite's integrity check ("ok" or the problems).
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	rows, err := db.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// DumpWriter receives a logical dump: each table's columns, then its rows.
// Values are nil, int64, float64, string or []byte.
type DumpWriter interface {
	Table(name string, columns []string) error
	Row(values []any) error
}

// Dump writes every table (parents before the tables that refer to them)
// from one consistent snapshot, and returns the schema version it read.
func (db *DB) Dump(ctx context.Context, w DumpWriter) (int, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("dump: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM "+migrationsTable).Scan(&version); err != nil {
		return 0, fmt.Errorf("dump: schema version: %w", err)
	}
	order, err := db.tableOrder(ctx, tx)
	if err != nil {
		return 0, err
	}
	for _, t := range order {
		if t == migrationsTable {
			continue
		}
		if err := dumpTable(ctx, tx, t, w); err != nil {
			return 0, fmt.Errorf("dump %s: %w", t, err)
		}
	}
	return version, nil
}

// derivedTables are rebuilt from the others, so a dump keeps their columns
// and none of their rows: a restored database's first server rebuilds its
// screening index, and no backup carries an index snapshot.
var derivedTables = map[string]bool{"screening_snapshots": true, "screening_snapshot_chunks": true}

func dumpTable(ctx context.Context, tx *sql.Tx, table string, w DumpWriter) error {
	q := "SELECT * FROM " + table
	if derivedTables[table] {
		q += " WHERE 1 = 0"
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if err := w.Table(table, cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil, int64, float64, string:
				out[i] = v
			case []byte:
				out[i] = slices.Clone(v)
			case int32:
				out[i] = int64(v)
			case int:
				out[i] = int64(v)
			case bool:
				out[i] = int64(boolInt(v))
			default:
				return fmt.Errorf("column %s: unexpected type %T", cols[i], v)
			}
		}
		if err := w.Row(out); err != nil {
			return err
		}
	}
	return rows.Err()
}

// tableOrder lists the tables so that every table comes after the tables
// its foreign keys refer to.
func (db *DB) tableOrder(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	var s string
	if db.dialect == Postgres {
		s = `SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc
			JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
			WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`
	} else {
		s = `SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`
	}
	rows, err := q.QueryContext(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("table order: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, fmt.Errorf("table order: %w", err)
		}
		if child != parent {
			deps[child] = append(deps[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table order: %w", err)
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("table order: foreign keys form a cycle at %s", t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, p := range deps[t] {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[t] = 2
		order = append(order, t)
		return nil
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Empty reports whether no table but the schema bookkeeping holds a row
// (a fresh database, or one that does not exist yet).
func (db *DB) Empty(ctx context.Context) (bool, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		if t == migrationsTable {
			continue
		}
		var one int
		err := db.queryRow(ctx, "SELECT 1 FROM "+t+" LIMIT 1").Scan(&one)
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("empty: %s: %w", t, err)
		}
	}
	return true, nil
}

// DumpReader yields a logical dump as Dump wrote it: Next returns the next
// table's name and columns (io.EOF after the last) and Row its next row
// (io.EOF at the table's end).
type DumpReader interface {
	Next() (table string, columns []string, err error)
	Row() ([]any, error)
}

// LoadOptions tune Load.
type LoadOptions struct {
	// Replace deletes every row of every table first (a restore over a
	// database that is not empty, asked for explicitly).
	Replace bool
	// Progress, when set, is called every few thousand rows with the total.
	Progress func(rows int64)
}

// ErrNotEmpty: a restore target already holds data.
var ErrNotEmpty = errors.New("the database is not empty")

// Load migrates the schema to version, loads a dump in one transaction
// (all or nothing: a damaged dump leaves the database as it was), then
// migrates to the latest version.
func (db *DB) Load(ctx context.Context, version int, r DumpReader, o LoadOptions) error {
	if version > SchemaVersion() {
		return fmt.Errorf("load: the backup has schema version %d, this cityid knows %d: restore with a newer cityid", version, SchemaVersion())
	}
	if _, err := db.migrateTo(ctx, version); err != nil {
		return err
	}
	if !o.Replace {
		empty, err := db.Empty(ctx)
		if err != nil {
			return err
		}
		if !empty {
			return ErrNotEmpty
		}
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		order, err := db.tableOrder(ctx, tx.tx)
		if err != nil {
			return err
		}
		if o.Replace {
			for i := len(order) - 1; i >= 0; i-- {
				if order[i] == migrationsTable {
					continue
				}
				if _, err := tx.exec(ctx, "DELETE FROM "+order[i]); err != nil {
					return fmt.Errorf("load: clear %s: %w", order[i], err)
				}
			}
		}
		known := map[string]bool{}
		for _, t := range order {
			known[t] = true
		}
		var total int64
		for {
			table, cols, err := r.Next()
			if errors.Is(err, errEOF) {
				return tx.resumeIdentities(ctx)
			}
			if err != nil {
				return fmt.Errorf("load: %w", err)
			}
			if !known[table] || table == migrationsTable {
				return fmt.Errorf("load: the dump names an unknown table %q", table)
			}
			if err := loadTable(ctx, tx, table, cols, r, &total, o.Progress); err != nil {
				return fmt.Errorf("load %s: %w", table, err)
			}
		}
	})
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx)
	return err
}

// errEOF ends a table's rows and the dump's tables.
var errEOF = io.EOF

func loadTable(ctx context.Context, tx *Tx, table string, cols []string, r DumpReader, total *int64, progress func(int64)) error {
	for _, c := range cols {
		if !identifier(c) {
			return fmt.Errorf("bad column name %q", c)
		}
	}
	const batch = 200
	rowSQL := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	var pending []any
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := head + strings.TrimSuffix(strings.Repeat(rowSQL+", ", n), ", ")
		if _, err := tx.exec(ctx, q, pending...); err != nil {
			return err
		}
		*total += int64(n)
		if progress != nil {
			progress(*total)
		}
		pending, n = pending[:0], 0
		return nil
	}
	for {
		row, err := r.Row()
		if errors.Is(err, errEOF) {
			return flush()
		}
		if err != nil {
			return err
		}
		if len(row) != len(cols) {
			return fmt.Errorf("a row has %d values for %d columns", len(row), len(cols))
		}
		pending = append(pending, row...)
		n++
		if n == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// identifier reports whether s is a plain SQL identifier.
func identifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// resumeIdentities moves PostgreSQL's identity sequences past the numbers a
// load wrote explicitly, so the next insert does not reuse one. (SQLite's
// AUTOINCREMENT follows inserted values by itself.)
func (tx *Tx) resumeIdentities(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("load: identity columns: %w", err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("load: identity columns: %w", err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load: identity columns: %w", err)
	}
	for _, tc := range cols {
		if !identifier(tc[0]) || !identifier(tc[1]) {
			return fmt.Errorf("load: bad identity column %s.%s", tc[0], tc[1])
		}
		// Names come from the schema itself (checked above), never input.
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s", tc[0], tc[1], tc[1], tc[0])
		if _, err := tx.exec(ctx, q); err != nil {
			return fmt.Errorf("load: resume identity of %s: %w", tc[0], err)
		}
	}
	return nil
}
