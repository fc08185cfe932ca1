package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// blobType matches the one type name our SQL spells differently in the two
// dialects. Migrations are written once, in types both accept (TEXT,
// INTEGER, BIGINT, REAL) plus BLOB, which PostgreSQL calls BYTEA; a test
// checks that both dialects end up with the same columns.
var blobType = regexp.MustCompile(`\bBLOB\b`)

func migrations(d Dialect) ([]migration, error) {
	dir := "migrations"
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		text := string(body)
		if d == Postgres {
			text = blobType.ReplaceAllString(text, "BYTEA")
		}
		ms = append(ms, migration{v, name, text})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations for %s: want version %d, found %s", d, i+1, m.name)
		}
	}
	return ms, nil
}

// SchemaVersion returns the latest migration version this binary knows.
func SchemaVersion() int {
	ms, err := migrations(SQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate brings the schema up to date, each migration in its own transaction.
// On PostgreSQL an advisory lock keeps several app servers from racing.
// It returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	return db.migrateTo(ctx, SchemaVersion())
}

// migrateTo applies the migrations up to version upto (a restore loads a
// backup into the schema it was made with, then migrates the rest).
func (db *DB) migrateTo(ctx context.Context, upto int) ([]int, error) {
	ms, err := migrations(db.dialect)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	ms = ms[:min(max(upto, 0), len(ms))]
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []int
	for _, m := range ms {
		err := db.InTx(ctx, func(tx *Tx) error {
			if db.dialect == Postgres {
				if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(7314001)"); err != nil {
					return err
				}
			}
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.exec(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w\nstatement: %s", m.name, err, stmt)
				}
			}
			if _, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.version, time.Now().UnixMicro()); err != nil {
				return err
			}
			applied = append(applied, m.version)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
	}
	return applied, nil
}

// CurrentVersion returns the highest applied migration (0 for an empty database).
func (db *DB) CurrentVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, nil //nolint:nilerr // no table yet means version 0
	}
	return v, nil
}

// splitStatements splits a migration on semicolons at line ends. Our
// migrations hold no procedural code, so this is enough.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}
