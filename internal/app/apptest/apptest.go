// Package apptest opens real cityid data directories for tests: SQLite in a
// temporary directory or a fresh PostgreSQL schema, cheap password hashing,
// and helpers for the sites and staff most tests need.
package apptest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store/storetest"
)

// Password is the password of every account Staff creates.
const Password = "tangerine lighthouse across seventeen rivers"

// Open opens a new data directory in t.TempDir() (on PostgreSQL when dbURL
// is set) with the given clock (nil: the real one) and closes it at cleanup.
func Open(t testing.TB, dbURL string, now func() time.Time) *app.App {
	t.Helper()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "data"), DBURL: dbURL, Create: true, Now: now, Auth: &opts})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// Each runs fn on SQLite and, when CITYID_TEST_POSTGRES is set, on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) {
		url, ok := storetest.PostgresURL(t)
		if !ok {
			t.Skipf("%s not set", storetest.EnvPostgres)
		}
		fn(t, url)
	})
}

// Site creates a site.
func Site(t testing.TB, a *app.App, name, kind string) site.Site {
	t.Helper()
	s, err := a.Sites.Create(context.Background(), auth.System(), site.Site{Name: name, Kind: kind})
	if err != nil {
		t.Fatalf("create site %s: %v", name, err)
	}
	return s
}

// Staff creates an account (password Password) and returns it as an actor.
func Staff(t testing.TB, a *app.App, username string, role auth.Role, siteID string) auth.Actor {
	t.Helper()
	s, err := a.Auth.CreateStaff(context.Background(), auth.System(), auth.NewStaff{Username: username, DisplayName: username, Role: role, SiteID: siteID, Password: Password})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", username, err)
	}
	return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
}
