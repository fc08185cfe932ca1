package leader

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// server is one app server's elector and what it saw.
type server struct {
	name    string
	mu      sync.Mutex
	leading bool
	led     int // times it became leader
}

func (s *server) set(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading = v
	if v {
		s.led++
	}
}

func (s *server) is() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.leading }

// waitFor polls cond for up to 20 s (the hand-over is asynchronous).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJobsLockBlocksNoWrite: while a server leads with the real jobs key,
// another server's writes that take the store's transaction locks (audit
// appends, migrations, status lists) go through.
func TestJobsLockBlocksNoWrite(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leaderDB := storetest.Postgres(t) // its own schema: migrated
	s := &server{}
	go (&Elector{DB: leaderDB, Key: JobsLock, Poll: 50 * time.Millisecond, OnChange: s.set}).Run(ctx, func(ctx context.Context) { <-ctx.Done() })
	waitFor(t, "the leader", s.is)
	other, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if _, err := other.Migrate(wctx); err != nil {
		t.Fatalf("migrate while a leader holds the jobs lock: %v", err)
	}
	err = other.InTx(wctx, func(tx *store.Tx) error {
		if err := tx.LockStatusLists(wctx); err != nil {
			return err
		}
		return tx.AppendAudit(wctx, audit.Event{At: time.Now(), Actor: "system", Action: "test.write"})
	})
	if err != nil {
		t.Fatalf("an audit append and a status-list lock while a leader holds the jobs lock: %v", err)
	}
}

// TestOneLeaderAndHandOver: two servers on one PostgreSQL database; exactly
// one runs the jobs; when the leader's database session dies (as when its
// process is killed), the other takes over; when a leader stops cleanly,
// the other takes over too.
func TestOneLeaderAndHandOver(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key := time.Now().UnixNano() & 0x3fffffff // not shared with other tests on the server
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := &server{name: "a"}, &server{name: "b"}
	runs := map[*server]*int{a: new(int), b: new(int)}
	var mu sync.Mutex
	start := func(s *server, ctx context.Context) {
		e := &Elector{DB: open(), Key: key, Poll: 50 * time.Millisecond, OnChange: s.set}
		go e.Run(ctx, func(ctx context.Context) {
			mu.Lock()
			*runs[s]++
			mu.Unlock()
			<-ctx.Done()
		})
	}
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	start(a, actx)
	waitFor(t, "a to lead", a.is)
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	start(b, bctx)
	time.Sleep(300 * time.Millisecond) // six polls of b's
	if b.is() {
		t.Fatal("b leads while a holds the lock")
	}

	// a's session dies as if its process were killed.
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvPostgres))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted`, key).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the leader's session: %d sessions, %v", n, err)
	}
	waitFor(t, "b to take over", b.is)
	waitFor(t, "a to notice it lost the lead", func() bool { return !a.is() })
	if a.is() && b.is() {
		t.Fatal("two leaders")
	}

	// a campaigns again but b holds the lock; b stops cleanly: a takes over.
	time.Sleep(300 * time.Millisecond)
	if a.is() {
		t.Fatal("a leads again while b holds the lock")
	}
	stopB()
	waitFor(t, "a to take over from b stopping", a.is)
	mu.Lock()
	defer mu.Unlock()
	if *runs[a] != 2 || *runs[b] != 1 {
		t.Errorf("jobs ran %d times on a and %d on b, want 2 and 1", *runs[a], *runs[b])
	}
}
