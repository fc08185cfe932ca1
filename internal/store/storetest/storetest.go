// Package storetest opens fresh, migrated databases for tests: always SQLite
// in a temporary directory, and PostgreSQL in a schema of its own when
// CITYID_TEST_POSTGRES holds a connection URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityid/cityid/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test server URL.
const EnvPostgres = "CITYID_TEST_POSTGRES"

// SQLite opens a migrated SQLite database in t.TempDir().
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, filepath.Join(t.TempDir(), "cityid.db"))
}

// Postgres opens a migrated PostgreSQL database in a fresh schema, dropped at
// cleanup, or skips the test when CITYID_TEST_POSTGRES is unset.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn, ok := PostgresURL(t)
	if !ok {
		t.Skipf("%s not set: skipping the PostgreSQL run (.ci/run sets it)", EnvPostgres)
	}
	return openMigrated(t, dsn)
}

// PostgresURL creates a fresh schema on the test server and returns a URL
// whose search_path points at it; false when CITYID_TEST_POSTGRES is unset.
func PostgresURL(t testing.TB) (string, bool) {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return "", false
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), true
}

func openMigrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// Each runs fn as a subtest on SQLite and, when configured, on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachPair runs fn as a subtest on SQLite and, when configured, on
// PostgreSQL, with two handles opened separately on one migrated database:
// two app servers sharing it.
func EachPair(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cityid.db")
		fn(t, openMigrated(t, path), openMigrated(t, path))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, ok := PostgresURL(t)
		if !ok {
			t.Skipf("%s not set: skipping the PostgreSQL run (.ci/run sets it)", EnvPostgres)
		}
		fn(t, openMigrated(t, dsn), openMigrated(t, dsn))
	})
}
