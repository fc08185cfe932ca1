package enroll_test

import (
	"fmt"
	"testing"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestIntakeRoundTrips pins the PostgreSQL round trips of an intake's two
// service calls, counted on the wire: each costs the server and PostgreSQL
// a system call and a wake-up, most of a small statement's CPU. A submit is
// begin, the person with the application and its change-feed row (one
// statement) together with the audit chain's lock and head (one pipeline),
// the audit event, commit: 4 (it was 7: the idempotency key was looked up
// before every insert, and the person went in a statement of its own; then
// 5, the insert in a round trip of its own before the lock and head). The
// receipt's audited read is the row with its person's key (one statement),
// begin, lock and head, the event, commit: 5 (it was 6, the key read in a
// statement of its own). The least of a few tries is taken: a connection
// idle over a second is pinged when the pool hands it out, and a
// statement's first use on a connection prepares it.
func TestIntakeRoundTrips(t *testing.T) {
	dsn, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	proxied, trips := storetest.RoundTrips(t, dsn)
	e := newEnv(t, proxied)
	least := func(name string, want int64, fn func(i int) error) {
		t.Helper()
		best := int64(-1)
		for i := range 6 {
			before := trips.Load()
			if err := fn(i); err != nil {
				t.Fatalf("%s %d: %v", name, i, err)
			}
			if n := trips.Load() - before; best < 0 || n < best {
				best = n
			}
		}
		if best > want {
			t.Errorf("%s: %d round trips to PostgreSQL, want at most %d", name, best, want)
		}
		t.Logf("%s: %d round trips", name, best)
	}
	var ids []string
	least("submit", 4, func(i int) error {
		in := intake(t, fmt.Sprintf("Round%c", 'A'+i), "Trip")
		a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
		if err == nil {
			ids = append(ids, a.ID)
		}
		return err
	})
	least("receipt read", 5, func(i int) error {
		_, err := e.app.Enroll.GetWithoutPhoto(ctx, e.clerkA, ids[i], enroll.PurposeReceipt)
		return err
	})
}
