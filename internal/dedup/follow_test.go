package dedup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/synth"
)

// twoServers opens two app servers on one database (one data directory
// for the keys, as a deployment shares its key file) with a site, a clerk
// and a supervisor; e submits through the first.
func twoServers(t testing.TB, dbURL string) (srvA, srvB *app.App, e *env) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	openServer := func() *app.App {
		opts := auth.DefaultOptions()
		opts.Argon = auth.TestParams()
		a, err := app.Open(ctx, app.Options{DataDir: dir, DBURL: dbURL, Create: true, Screening: true, Auth: &opts})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	srvA, srvB = openServer(), openServer()
	e = &env{app: srvA, photo: apptest.Photo(t), today: person.DateOf(time.Now())}
	st := apptest.Site(t, srvA, "City Hall", "city_hall")
	e.clerk = apptest.Staff(t, srvA, "clerk", auth.RoleClerk, st.ID)
	e.supervisor = apptest.Staff(t, srvA, "super", auth.RoleSupervisor, st.ID)
	return srvA, srvB, e
}

// TestTwoServersShareScreening runs two app servers on one database (one
// data directory for the keys, as a deployment shares its key file) and
// checks that each one's index follows the other's writes: an application
// taken on A is screened by B within a second, and a rejection, an erasure
// and a "no list" reduction on A reach B's indexes.
func TestTwoServersShareScreening(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		srvA, srvB, e := twoServers(t, dbURL)

		fctx, stop := context.WithCancel(ctx)
		defer stop()
		log := slog.New(slog.DiscardHandler)
		go srvA.Screener.Follow(fctx, srvA.Enroll, 0, log)
		go srvB.Screener.Follow(fctx, srvB.Enroll, 0, log)

		g := synth.New(41)
		p := g.Person()
		// B knows nobody yet.
		if got, err := srvB.Screener.Screen(ctx, "", p); err != nil || len(got) != 0 {
			t.Fatalf("B before any application: %d matches, %v; want none", len(got), err)
		}
		// seen submits x on A and says how long B took to screen it.
		seen := func(x person.Person, label string) (*enroll.Application, time.Duration) {
			app := e.submit(t, x, label)
			took := time.Now()
			waitFor(t, "B to see A's application "+label, func() bool {
				got, err := srvB.Screener.Screen(ctx, "", x)
				return err == nil && len(got) == 1 && got[0].ID == app.ID
			})
			return app, time.Since(took)
		}
		first, d := seen(p, "first") // on A
		// One late poll on a loaded machine (CI tests packages in
		// parallel) is not a server that lags: fail only if three
		// applications in a row take over a second.
		for try := 0; d > time.Second && try < 2; try++ {
			t.Logf("B screened application %d %v after it was taken; trying another", try+1, d)
			_, d = seen(synth.New(int64(4100+try)).Person(), fmt.Sprintf("timing-%d", try))
		}
		if d > time.Second {
			t.Errorf("B screened A's application %v after it was taken; want within 1s", d)
		} else {
			t.Logf("B screens A's application %v after it was taken", d.Round(time.Millisecond))
		}

		// The same person applies again on B: flagged.
		e.app = srvB
		second := e.submit(t, g.Duplicate(p), "second")
		if second.Status != enroll.StatusNeedsReview {
			t.Fatalf("a second application on B: status %s, want needs_review", second.Status)
		}
		// A rejects the first application: B drops it.
		e.app = srvA
		if err := srvA.Enroll.Reject(ctx, e.supervisor, first.ID, "not_resident", ""); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to drop the rejected application", func() bool {
			got, _ := srvB.Screener.Screen(ctx, "", p)
			for _, m := range got {
				if m.ID == first.ID {
					return false
				}
			}
			return true
		})

		// A third person, reduced to a "no list" encoding on A: B's plain
		// index drops them and B's Bloom index finds them.
		q := g.Person()
		third := e.submit(t, q, "third")
		waitFor(t, "B to see the third application", func() bool { return len(screen(t, srvB, q)) == 1 })
		enc, err := linkage.NewEncoder(srvA.Keys.MatchKey())
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(enc.Encode(linkage.FromPerson(third.PersonID, q)))
		if err != nil {
			t.Fatal(err)
		}
		lenB := srvB.Screener.Len()
		if err := srvA.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ReducePerson(ctx, third.PersonID, b, time.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to move the reduced person to its no-list index", func() bool {
			got := screen(t, srvB, q)
			return srvB.Screener.Len() == lenB-1 && len(got) == 1 && got[0].ID == third.ID
		})

		// The second applicant is erased on A: gone from B's index too.
		if err := srvA.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, second.PersonID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to drop the erased person", func() bool {
			for _, m := range screen(t, srvB, p) {
				if m.ID == second.ID {
					return false
				}
			}
			return true
		})
		// And erasing the reduced person drops their encoding on B.
		if err := srvA.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, third.PersonID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to drop the erased encoding", func() bool { return len(screen(t, srvB, q)) == 0 })
	})
}

func screen(t *testing.T, a *app.App, p person.Person) []enroll.Match {
	t.Helper()
	got, err := a.Screener.Screen(ctx, "", p)
	if err != nil {
		t.Fatalf("Screen: %v", err)
	}
	return got
}

// waitFor polls cond for up to 30 seconds (the feed is polled every 250 ms;
// the bound only keeps a broken test from hanging, on however loaded a
// machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSyncAppliesOtherServersWrites checks Sync alone (no timing): B's
// index holds A's application after one Sync, and not before.
func TestSyncAppliesOtherServersWrites(t *testing.T) {
	e := newEnv(t)
	b := open(t, e.dir)
	defer b.Close()
	g := synth.New(43)
	p := g.Person()
	first := e.submit(t, p, "one")
	if got := screen(t, b, p); len(got) != 0 {
		t.Fatalf("B before Sync: %d matches, want 0", len(got))
	}
	n, err := b.Screener.Sync(ctx, b.Enroll)
	if err != nil || n != 1 {
		t.Fatalf("Sync = %d, %v; want 1 application re-read", n, err)
	}
	if got := screen(t, b, p); len(got) != 1 || got[0].ID != first.ID {
		t.Fatalf("B after Sync: %v, want %s", got, first.ID)
	}
	if n, err := b.Screener.Sync(ctx, b.Enroll); err != nil || n != 0 {
		t.Errorf("a second Sync = %d, %v; want nothing new", n, err)
	}
	_ = dedup.FollowInterval
}

// TestSyncWaitsForLateCommits: on PostgreSQL a change numbered earlier can
// commit after one numbered later. Sync must not step over the earlier
// number for good: once it commits, the next Sync applies it.
func TestSyncWaitsForLateCommits(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	srvA, srvB, e := twoServers(t, url)
	g := synth.New(47)
	p, q := g.Person(), g.Person()
	early := e.submit(t, p, "early")
	if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
		t.Fatal(err)
	}
	if len(screen(t, srvB, p)) != 1 {
		t.Fatal("B does not see the first application after Sync")
	}

	// A slow transaction rejects the first application (taking its change
	// number) and waits; meanwhile a second application commits.
	numbered, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- srvA.DB.InTx(ctx, func(tx *store.Tx) error {
			err := tx.SetApplicationStatus(ctx, early.ID, enroll.StatusSubmitted, enroll.StatusRejected, "not_resident", e.supervisor.StaffID, nil, time.Now())
			close(numbered)
			if err != nil {
				return err
			}
			<-release
			return nil
		})
	}()
	<-numbered
	late := e.submit(t, q, "late")
	if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
		t.Fatal(err)
	}
	if got := screen(t, srvB, q); len(got) != 1 || got[0].ID != late.ID {
		t.Fatalf("B after the later commit: %v, want %s", got, late.ID)
	}
	if len(screen(t, srvB, p)) != 1 {
		t.Fatal("B dropped the first application before its rejection committed")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
		t.Fatal(err)
	}
	if got := screen(t, srvB, p); len(got) != 0 {
		t.Errorf("B after the earlier change committed late: still screens the rejected application (%v)", got)
	}
}

// TestSyncAfterRolledBackChange: a write that took a change number and
// rolled back leaves a hole in the feed that B waits for (ten minutes), and
// while it waits, a poll with nothing new reads nothing — it used to read
// every change since the hole again, four times a second.
func TestSyncAfterRolledBackChange(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	srvA, srvB, e := twoServers(t, url)
	g := synth.New(48)
	first := e.submit(t, g.Person(), "first")
	if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
		t.Fatal(err)
	}

	// A rejection takes a change number and rolls back; then 20 more
	// applications commit after it.
	rollback := errors.New("rolled back")
	err := srvA.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetApplicationStatus(ctx, first.ID, enroll.StatusSubmitted, enroll.StatusRejected, "not_resident", e.supervisor.StaffID, nil, time.Now()); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("the rejection's transaction: %v, want it rolled back", err)
	}
	var later []person.Person
	for i := range 20 {
		p := g.Person()
		later = append(later, p)
		e.submit(t, p, fmt.Sprintf("later-%d", i))
	}
	before := srvB.Screener.FeedRowsRead()
	if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
		t.Fatal(err)
	}
	if n := srvB.Screener.FeedRowsRead() - before; n < 20 {
		t.Fatalf("B read %d feed rows for 20 new applications", n)
	}
	if len(screen(t, srvB, later[19])) != 1 {
		t.Fatal("B does not see the applications written after the hole")
	}
	if len(screen(t, srvB, g.Person())) != 0 {
		t.Fatal("B screens a stranger as a candidate")
	}
	for poll := range 5 {
		before := srvB.Screener.FeedRowsRead()
		if _, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil {
			t.Fatal(err)
		}
		if n := srvB.Screener.FeedRowsRead() - before; n != 0 {
			t.Fatalf("poll %d with nothing new read %d feed rows (the changes since the rolled-back one, again)", poll+1, n)
		}
	}
	if len(screen(t, srvB, later[0])) != 1 {
		t.Fatal("B lost an application while waiting for the hole")
	}
}

// TestSyncSkipsOwnIntakes: a server put its own intake in its index as it
// took it, so following the feed does not read and decrypt it again; the
// other server does, and both screen the person alike. A later change to
// that application from the other server (a rejection) is still applied.
func TestSyncSkipsOwnIntakes(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		srvA, srvB, e := twoServers(t, dbURL)
		for _, s := range []*app.App{srvA, srvB} { // the feed so far: the setup's
			if _, err := s.Screener.Sync(ctx, s.Enroll); err != nil {
				t.Fatal(err)
			}
		}
		g := synth.New(49)
		p := g.Person()
		first := e.submit(t, p, "own") // on A
		rowsA := srvA.Screener.FeedRowsRead()
		if n, err := srvA.Screener.Sync(ctx, srvA.Enroll); err != nil || n != 0 {
			t.Fatalf("A's Sync after its own intake = %d, %v; want nothing re-read", n, err)
		}
		if srvA.Screener.FeedRowsRead() != rowsA+1 {
			t.Errorf("A read %d feed rows; want the one change, then skipped", srvA.Screener.FeedRowsRead()-rowsA)
		}
		if n, err := srvB.Screener.Sync(ctx, srvB.Enroll); err != nil || n != 1 {
			t.Fatalf("B's Sync after A's intake = %d, %v; want 1 re-read", n, err)
		}
		probe := g.Duplicate(p)
		onA, onB := screen(t, srvA, probe), screen(t, srvB, probe)
		if len(onA) != 1 || onA[0].ID != first.ID || fmt.Sprint(onA) != fmt.Sprint(onB) {
			t.Fatalf("a duplicate of A's applicant: A finds %v, B finds %v; want %s on both alike", onA, onB, first.ID)
		}

		if err := srvB.Enroll.Reject(ctx, e.supervisor, first.ID, "not_resident", ""); err != nil {
			t.Fatal(err)
		}
		if n, err := srvA.Screener.Sync(ctx, srvA.Enroll); err != nil || n != 1 {
			t.Fatalf("A's Sync after B's rejection = %d, %v; want 1 re-read", n, err)
		}
		if got := screen(t, srvA, probe); len(got) != 0 {
			t.Errorf("A still screens the application B rejected: %v", got)
		}
	})
}
