package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/throttle"
)

// TestShareLimitAcrossServers: two app servers on one PostgreSQL database
// (one data directory's keys, as a deployment copies them) count a client's
// verifications once: what server A spent, server B does not grant again.
// On SQLite, where one server runs, limits stay in memory.
func TestShareLimitAcrossServers(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set: shared limits are for several servers on PostgreSQL", storetest.EnvPostgres)
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	now := func() time.Time { return time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) }
	open := func(create bool) *app.App {
		opts := auth.DefaultOptions()
		opts.Argon = auth.TestParams()
		a, err := app.Open(ctx, app.Options{DataDir: dir, DBURL: url, Create: create, Now: now, Auth: &opts})
		if err != nil {
			t.Fatalf("app.Open: %v", err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	a, b := open(true), open(false)
	la, lb := throttle.New(3, 3, 100, now), throttle.New(3, 3, 100, now)
	a.ShareLimit(la, "test.verify")
	b.ShareLimit(lb, "test.verify")
	for i := range 3 {
		if ok, _ := la.Allow("203.0.113.7"); !ok {
			t.Fatalf("check #%d on server A refused", i+1)
		}
	}
	if ok, _ := lb.Allow("203.0.113.7"); ok {
		t.Error("check #4 from the same client on server B allowed; the limit is per server")
	}
	if ok, _ := lb.Allow("203.0.113.8"); !ok {
		t.Error("another client on server B refused")
	}
}
