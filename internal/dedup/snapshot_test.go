package dedup_test

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/synth"
	"github.com/cityid/cityid/internal/vault"
)

// start loads a new Screener on a's database as a starting server would:
// from the newest snapshot when snapshots is true, else rebuilt.
func start(t *testing.T, a *app.App, snapshots bool) (*dedup.Screener, dedup.Stats) {
	t.Helper()
	sc, err := dedup.New(a.Settings.Linkage, a.DB, a.Keys.MatchKey())
	if err != nil {
		t.Fatal(err)
	}
	if snapshots {
		sc.UseSnapshots(a.Vault, time.Now, rand.Reader)
	}
	st, err := sc.Load(ctx, a.Enroll)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return sc, st
}

func ids(ms []enroll.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// TestSnapshotStart: a server started from the leader's snapshot screens
// like one rebuilt from the database, sees what changed after the
// snapshot, and falls back to a rebuild when the snapshot is tampered
// with, sealed under another key, or deleted by an erasure.
func TestSnapshotStart(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		dir := filepath.Join(t.TempDir(), "data")
		opts := auth.DefaultOptions()
		opts.Argon = auth.TestParams()
		leader, err := app.Open(ctx, app.Options{DataDir: dir, DBURL: dbURL, Create: true, Screening: true, Auth: &opts})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { leader.Close() })
		e := &env{app: leader, photo: apptest.Photo(t), today: person.DateOf(time.Now())}
		st := apptest.Site(t, leader, "City Hall", "city_hall")
		e.clerk = apptest.Staff(t, leader, "clerk", auth.RoleClerk, st.ID)
		e.supervisor = apptest.Staff(t, leader, "super", auth.RoleSupervisor, st.ID)

		g := synth.New(53)
		var people []person.Person
		var apps []*enroll.Application
		for i := range 12 {
			p := g.Person()
			people = append(people, p)
			apps = append(apps, e.submit(t, p, "k"+string(rune('a'+i))))
		}
		if _, st := start(t, leader, true); st.Rebuilt != "no snapshot" {
			t.Errorf("start without a snapshot: Rebuilt = %q, want %q", st.Rebuilt, "no snapshot")
		}
		// The leader follows the feed (Follow, in a server); its mark is
		// what it has applied.
		if _, err := leader.Screener.Sync(ctx, leader.Enroll); err != nil {
			t.Fatal(err)
		}
		ws, err := leader.Screener.WriteSnapshot(ctx)
		if err != nil {
			t.Fatalf("WriteSnapshot: %v", err)
		}
		if ws.Records != 12 || ws.Chunks != 1 {
			t.Errorf("WriteSnapshot = %+v, want 12 records in 1 chunk", ws)
		}
		if cur, err := leader.Screener.SnapshotCurrent(ctx); err != nil || !cur {
			t.Errorf("SnapshotCurrent just after writing = %v, %v; want true (a shutdown now need not write again)", cur, err)
		}

		// After the snapshot: a new application, and a rejection.
		late := g.Person()
		people = append(people, late)
		lateApp := e.submit(t, late, "late")
		if err := leader.Enroll.Reject(ctx, e.supervisor, apps[3].ID, "not_resident", ""); err != nil {
			t.Fatal(err)
		}

		if _, err := leader.Screener.Sync(ctx, leader.Enroll); err != nil {
			t.Fatal(err)
		}
		if cur, err := leader.Screener.SnapshotCurrent(ctx); err != nil || cur {
			t.Errorf("SnapshotCurrent after two changes = %v, %v; want false", cur, err)
		}

		fromSnap, sst := start(t, leader, true)
		if sst.Snapshot == "" || sst.Rebuilt != "" {
			t.Fatalf("start with a snapshot: %+v, want it used", sst)
		}
		if sst.Replayed != 2 {
			t.Errorf("replayed %d applications after the snapshot, want 2 (the late one and the rejected one)", sst.Replayed)
		}
		rebuilt, _ := start(t, leader, false)
		if fromSnap.Len() != rebuilt.Len() {
			t.Errorf("from the snapshot %d records, rebuilt %d", fromSnap.Len(), rebuilt.Len())
		}
		for i, p := range people {
			for _, q := range []person.Person{p, g.Duplicate(p)} {
				got, err := fromSnap.Screen(ctx, "", q)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := rebuilt.Screen(ctx, "", q)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("person %d: Screen differs (-rebuilt +from snapshot):\n%s", i, diff)
				}
			}
		}
		if got := ids(must(fromSnap.Screen(ctx, "", late))); !slices.Equal(got, []string{lateApp.ID}) {
			t.Errorf("the application taken after the snapshot: screened as %v, want [%s]", got, lateApp.ID)
		}
		if got := ids(must(fromSnap.Screen(ctx, "", people[3]))); slices.Contains(got, apps[3].ID) {
			t.Errorf("the application rejected after the snapshot is still screened: %v", got)
		}

		hdr, err := leader.DB.LatestScreeningSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := leader.DB.ScreeningSnapshotChunk(ctx, hdr.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Tampered: the same header, one byte of the chunk flipped.
		rewrite := func(h store.ScreeningSnapshot, data []byte) {
			t.Helper()
			if err := leader.DB.DeleteScreeningSnapshot(ctx, hdr.ID); err != nil {
				t.Fatal(err)
			}
			if err := leader.DB.BeginScreeningSnapshot(ctx, h); err != nil {
				t.Fatal(err)
			}
			if err := leader.DB.PutScreeningSnapshotChunk(ctx, h.ID, 0, data); err != nil {
				t.Fatal(err)
			}
			if err := leader.DB.FinishScreeningSnapshot(ctx, h.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
		bad := slices.Clone(chunk)
		bad[len(bad)/2] ^= 1
		rewrite(hdr, bad)
		if sc, st := start(t, leader, true); st.Snapshot != "" || st.Rebuilt == "" || sc.Len() != rebuilt.Len() {
			t.Errorf("tampered snapshot: %+v with %d records, want a rebuild of %d", st, sc.Len(), rebuilt.Len())
		} else {
			t.Logf("tampered: %s", st.Rebuilt)
		}
		// Another mark in the header than the chunks were sealed with.
		moved := hdr
		moved.Mark--
		rewrite(moved, chunk)
		if _, st := start(t, leader, true); st.Snapshot != "" {
			t.Errorf("snapshot with another mark than sealed: used, want a rebuild")
		}
		// Sealed under another master key.
		kek, err := vault.NewAESKEK(slices.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		_, wrapped, err := vault.New(kek, vault.IndexKey{}, rand.Reader).NewDataKey()
		if err != nil {
			t.Fatal(err)
		}
		foreign := hdr
		foreign.WrappedKey, foreign.KEKID = wrapped, kek.ID()
		rewrite(foreign, chunk)
		if _, st := start(t, leader, true); st.Snapshot != "" || st.Rebuilt == "" {
			t.Errorf("snapshot under another key: %+v, want a rebuild", st)
		} else {
			t.Logf("other key: %s", st.Rebuilt)
		}
		if due, err := leader.Screener.SnapshotDue(ctx, time.Hour); err != nil || !due {
			t.Errorf("SnapshotDue with the newest under another master key = %v, %v; want true", due, err)
		}
		rewrite(hdr, chunk)
		if due, err := leader.Screener.SnapshotDue(ctx, time.Hour); err != nil || due {
			t.Errorf("SnapshotDue with a fresh snapshot = %v, %v; want false", due, err)
		}
		if due, _ := leader.Screener.SnapshotDue(ctx, 0); !due {
			t.Error("SnapshotDue(maxAge 0) = false, want true")
		}
		if _, st := start(t, leader, true); st.Snapshot != hdr.ID {
			t.Fatalf("the original snapshot put back: %+v, want it used", st)
		}

		// An erasure deletes every snapshot; the erased person is found by
		// no server started afterwards.
		if err := leader.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, apps[5].PersonID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := leader.DB.LatestScreeningSnapshot(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after an erasure LatestScreeningSnapshot err = %v, want ErrNotFound", err)
		}
		after, st2 := start(t, leader, true)
		if st2.Snapshot != "" {
			t.Errorf("after an erasure a server started from snapshot %s", st2.Snapshot)
		}
		if got := ids(must(after.Screen(ctx, "", people[5]))); slices.Contains(got, apps[5].ID) {
			t.Errorf("the erased person is screened after a restart: %v", got)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSnapshotReplacedWhileRead: a server that starts while the one it
// replaces writes its shutdown snapshot begins to read the older snapshot,
// which completing the new one deletes. It must load the new one, not
// rebuild (as it did: 77 s at 1.5 M residents instead of 19), and screen as
// a rebuilt server does.
func TestSnapshotReplacedWhileRead(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		dir := filepath.Join(t.TempDir(), "data")
		opts := auth.DefaultOptions()
		opts.Argon = auth.TestParams()
		old, err := app.Open(ctx, app.Options{DataDir: dir, DBURL: dbURL, Create: true, Screening: true, Auth: &opts})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { old.Close() })
		e := &env{app: old, photo: apptest.Photo(t), today: person.DateOf(time.Now())}
		st := apptest.Site(t, old, "City Hall", "city_hall")
		e.clerk = apptest.Staff(t, old, "clerk", auth.RoleClerk, st.ID)
		e.supervisor = apptest.Staff(t, old, "super", auth.RoleSupervisor, st.ID)
		g := synth.New(61)
		var people []person.Person
		for i := range 8 {
			p := g.Person()
			people = append(people, p)
			e.submit(t, p, "r"+string(rune('a'+i)))
		}
		if _, err := old.Screener.Sync(ctx, old.Enroll); err != nil {
			t.Fatal(err)
		}
		first, err := old.Screener.WriteSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		firstHdr := must(old.DB.LatestScreeningSnapshot(ctx))

		// The new server has the older snapshot's header and is about to read
		// its first chunk when the old server's shutdown snapshot completes.
		var read []string
		var second string
		restore := dedup.SetBeforeChunk(func(id string, n int) {
			read = append(read, id)
			if second == "" {
				if _, err := old.Screener.WriteSnapshot(ctx); err != nil {
					t.Errorf("shutdown snapshot: %v", err)
				}
				second = must(old.DB.LatestScreeningSnapshot(ctx)).ID
			}
		})
		sc, sst := start(t, old, true)
		restore()
		if second == "" || second == firstHdr.ID {
			t.Fatalf("no second snapshot was written during the read (first %s, second %q)", firstHdr.ID, second)
		}
		if sst.Rebuilt != "" || sst.Snapshot != second {
			t.Fatalf("start while the snapshot was replaced: %+v, want snapshot %s loaded (reads: %v)", sst, second, read)
		}
		if !slices.Equal(read, []string{firstHdr.ID, second}) {
			t.Errorf("chunks read from %v, want the first snapshot's, then the second's", read)
		}
		if sc.Len() != first.Records {
			t.Errorf("loaded %d records, want %d", sc.Len(), first.Records)
		}
		rebuilt, _ := start(t, old, false)
		for i, p := range people {
			q := g.Duplicate(p)
			if diff := cmp.Diff(must(rebuilt.Screen(ctx, "", q)), must(sc.Screen(ctx, "", q))); diff != "" {
				t.Errorf("person %d: Screen differs (-rebuilt +from the second snapshot):\n%s", i, diff)
			}
		}
	})
}
