package checkpoint

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/vault"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newVault(t testing.TB) *vault.Vault {
	t.Helper()
	k, err := vault.GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return vault.New(k.KEK(), k.IndexKey(), rand.Reader)
}

func appendEvents(t testing.TB, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AppendAudit(ctx, audit.Event{Actor: "stf_test", Action: "application.read",
				RecordType: "application", RecordID: fmt.Sprintf("app_%d", i), Purpose: "review"})
		})
		if err != nil {
			t.Fatalf("append event %d: %v", i, err)
		}
	}
}

func sizes(cps []audit.Checkpoint) []int64 {
	var out []int64
	for _, c := range cps {
		out = append(out, c.Size)
	}
	return out
}

func storedSizes(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	rows, err := db.AuditCheckpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, r := range rows {
		out = append(out, r.Size)
	}
	return out
}

func TestTickSignsEveryNAndDaily(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &testClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
		s := New(db, newVault(t), Options{Origin: "id.example.gov/audit", Every: 10, Now: clk.Now})
		appendEvents(t, db, 25)
		got, err := s.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{10, 20}, sizes(got)); diff != "" {
			t.Errorf("first Tick signed sizes (-want +got):\n%s", diff)
		}
		if got, err := s.Tick(ctx); err != nil || len(got) != 0 {
			t.Errorf("Tick with nothing due = %v, %v; want none", sizes(got), err)
		}
		clk.Add(25 * time.Hour)
		if got, err := s.Tick(ctx); err != nil || !cmp.Equal(sizes(got), []int64{25}) {
			t.Errorf("Tick a day later = %v, %v; want [25]", sizes(got), err)
		}
		clk.Add(25 * time.Hour)
		if got, err := s.Tick(ctx); err != nil || len(got) != 0 {
			t.Errorf("Tick a day later without new events = %v, %v; want none", sizes(got), err)
		}
		// A second server (or a restart) picks up where the first stopped.
		appendEvents(t, db, 6)
		s2 := New(db, newVault(t), Options{Every: 10, Now: clk.Now})
		_ = s2 // a different master key cannot open the checkpoint key
		if _, err := s2.Tick(ctx); err == nil {
			t.Error("Tick with another master key succeeded, want an error")
		}
		s3 := New(db, s.vault, Options{Every: 10, Now: clk.Now})
		if got, err := s3.Tick(ctx); err != nil || !cmp.Equal(sizes(got), []int64{30}) {
			t.Errorf("restarted Tick = %v, %v; want [30]", sizes(got), err)
		}
		if diff := cmp.Diff([]int64{10, 20, 25, 30}, storedSizes(t, db)); diff != "" {
			t.Errorf("stored checkpoints (-want +got):\n%s", diff)
		}
		cp, err := s3.Sign(ctx)
		if err != nil || cp.Size != 31 {
			t.Errorf("Sign = size %d, %v; want 31", cp.Size, err)
		}
		again, err := s3.Sign(ctx)
		if err != nil || again.Size != 31 || !bytes.Equal(again.Note, cp.Note) {
			t.Errorf("Sign with nothing new = size %d, %v; want the same checkpoint", again.Size, err)
		}
		r, err := VerifyLog(ctx, db, nil, nil)
		if err != nil || r.Problem != nil || r.Events != 31 || r.Checkpoints != 5 || r.Latest != 31 {
			t.Errorf("VerifyLog = %+v, %v; want 31 events, 5 checkpoints, no problem", r, err)
		}
	})
}

func TestCheckpointRootMatchesTlog(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	s := New(db, newVault(t), Options{Every: 7})
	appendEvents(t, db, 7)
	cps, err := s.Tick(ctx)
	if err != nil || len(cps) != 1 {
		t.Fatalf("Tick = %v, %v", sizes(cps), err)
	}
	var tree audit.Tree
	events, _ := db.AuditAfter(ctx, 0, 100)
	for _, e := range events {
		tree.Add(e.Hash)
	}
	if cps[0].Root != tree.Root() {
		t.Errorf("checkpoint root = %x, want the tree head %x", cps[0].Root, tree.Root())
	}
	pub, err := LoadPublic(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.VerifyCheckpoint(cps[0].Note, pub.Origin, pub.Verifier); err != nil {
		t.Errorf("the stored note does not verify with the public key: %v", err)
	}
}

// raw opens the SQLite file behind db for tampering, as an attacker with
// file access would.
func raw(t *testing.T, db *store.DB) *sql.DB {
	t.Helper()
	r, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func mustExec(t *testing.T, r *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := r.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rewriteFrom changes event seq's actor and re-chains every later event, so
// the chain is consistent with itself again.
func rewriteFrom(t *testing.T, db *store.DB, r *sql.DB, seq int64) {
	t.Helper()
	events, err := db.AuditAfter(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var prev *audit.Event
	for i, e := range events {
		if e.Seq >= seq {
			if e.Seq == seq {
				e.Actor = "stf_someone_else"
			}
			e = audit.Next(prev, e)
			mustExec(t, r, "UPDATE audit_events SET actor = ?, prev = ?, hash = ? WHERE seq = ?", e.Actor, e.Prev, e.Hash, e.Seq)
		}
		prev = &events[i]
		*prev = e
	}
}

func TestVerifyLogFindsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, db *store.DB, r *sql.DB)
		wantSeq int64
		want    string
	}{
		{"intact", func(*testing.T, *store.DB, *sql.DB) {}, 0, ""},
		{"event altered", func(t *testing.T, _ *store.DB, r *sql.DB) {
			mustExec(t, r, "UPDATE audit_events SET purpose = 'fraud_review' WHERE seq = 5")
		}, 5, "hash mismatch"},
		{"event removed", func(t *testing.T, _ *store.DB, r *sql.DB) {
			mustExec(t, r, "DELETE FROM audit_events WHERE seq = 12")
		}, 12, "gap"},
		{"log truncated below a checkpoint", func(t *testing.T, _ *store.DB, r *sql.DB) {
			mustExec(t, r, "DELETE FROM audit_events WHERE seq > 15")
		}, 16, "log truncated"},
		{"history rewritten consistently", func(t *testing.T, db *store.DB, r *sql.DB) {
			rewriteFrom(t, db, r, 3)
		}, 10, "rewritten"},
		{"checkpoint row forged", func(t *testing.T, _ *store.DB, r *sql.DB) {
			mustExec(t, r, "UPDATE audit_checkpoints SET note = replace(note, '\n20\n', '\n21\n') WHERE size = 20")
		}, 20, "does not verify"},
		{"checkpoint key removed", func(t *testing.T, _ *store.DB, r *sql.DB) {
			mustExec(t, r, "DELETE FROM meta WHERE key = 'audit_checkpoint_key'")
		}, 10, "key record is gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.SQLite(t)
			s := New(db, newVault(t), Options{Every: 10})
			appendEvents(t, db, 24)
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			tt.tamper(t, db, raw(t, db))
			r, err := VerifyLog(ctx, db, nil, nil)
			if err != nil {
				t.Fatalf("VerifyLog: %v", err)
			}
			if tt.want == "" {
				if r.Problem != nil {
					t.Errorf("VerifyLog = %v, want no problem", r.Problem)
				}
				return
			}
			if r.Problem == nil || r.Problem.Seq != tt.wantSeq || !strings.Contains(r.Problem.Reason, tt.want) {
				t.Errorf("VerifyLog problem = %v, want at %d containing %q", r.Problem, tt.wantSeq, tt.want)
			}
			// A signer started on the tampered log refuses to sign over it
			// (with the key record removed it makes a new key, under which
			// the stored checkpoints do not verify).
			appendEvents(t, db, 1)
			if _, err := New(db, s.vault, Options{Every: 10}).Sign(ctx); !errors.Is(err, ErrBroken) {
				t.Errorf("Sign on a tampered log = %v, want ErrBroken", err)
			}
		})
	}
}

func TestExternalCheckpointsCatchWholesaleDeletion(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := New(db, newVault(t), Options{Every: 10})
	appendEvents(t, db, 30)
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	n, err := Export(ctx, db, &file)
	if err != nil || n != 3 {
		t.Fatalf("Export = %d, %v; want 3", n, err)
	}
	ex, err := ParseExport(bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatalf("ParseExport: %v\n%s", err, file.String())
	}
	pub, _ := LoadPublic(ctx, db)
	if ex.VerifierKey != pub.Key || ex.Origin != pub.Origin || !cmp.Equal(sizes(ex.Checkpoints), []int64{10, 20, 30}) {
		t.Errorf("parsed export = %q %q %v, want the log's key and sizes 10, 20, 30", ex.Origin, ex.VerifierKey, sizes(ex.Checkpoints))
	}
	// Someone with database access cuts the log and its checkpoints.
	r := raw(t, db)
	mustExec(t, r, "DELETE FROM audit_events WHERE seq > 22")
	mustExec(t, r, "DELETE FROM audit_checkpoints WHERE size > 20")
	rep, err := VerifyLog(ctx, db, nil, nil)
	if err != nil || rep.Problem != nil {
		t.Fatalf("without the export: %+v, %v; want no problem visible", rep, err)
	}
	rep, err = VerifyLog(ctx, db, ex.Checkpoints, nil)
	if err != nil || rep.Problem == nil || rep.Problem.Seq != 23 {
		t.Errorf("with the export = %+v, %v; want truncation found at 23", rep.Problem, err)
	}
}

func TestConcurrentSignersAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v := newVault(t)
		appendEvents(t, db, 40)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = New(db, v, Options{Every: 10}).Tick(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("signer %d: %v", i, err)
			}
		}
		if diff := cmp.Diff([]int64{10, 20, 30, 40}, storedSizes(t, db)); diff != "" {
			t.Errorf("stored checkpoints (-want +got):\n%s", diff)
		}
	})
}

func TestRewrapKeepsTheKey(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	v1 := newVault(t)
	k2, _ := vault.GenerateKeys(rand.Reader)
	v2 := vault.New(k2.KEK(), k2.IndexKey(), rand.Reader)
	s := New(db, v1, Options{Every: 5})
	appendEvents(t, db, 5)
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := LoadPublic(ctx, db)
	err := db.InTx(ctx, func(tx *store.Tx) error { return Rewrap(ctx, tx, db, v1, k2.KEK()) })
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, db, 5)
	got, err := New(db, v2, Options{Every: 5}).Tick(ctx)
	if err != nil || !cmp.Equal(sizes(got), []int64{10}) {
		t.Fatalf("Tick after rewrap = %v, %v; want [10]", sizes(got), err)
	}
	after, _ := LoadPublic(ctx, db)
	if after.Key != before.Key {
		t.Errorf("verifier key changed by rewrap: %q → %q", before.Key, after.Key)
	}
	if _, err := New(db, v1, Options{}).Sign(ctx); err == nil {
		t.Error("the old master key still opens the checkpoint key after rewrap")
	}
}

func TestRunSignsAfterNotify(t *testing.T) {
	db := storetest.SQLite(t)
	s := New(db, newVault(t), Options{Every: 3, Poll: time.Hour, Gap: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	appendEvents(t, db, 3)
	go func() { done <- s.Run(ctx) }()
	waitFor := func(want []int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cmp.Equal(storedSizes(t, db), want) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := storedSizes(t, db); !cmp.Equal(got, want) {
			t.Errorf("checkpoints = %v, want %v", got, want)
		}
	}
	waitFor([]int64{3}) // at start
	appendEvents(t, db, 3)
	s.Notify() // long before the next poll
	waitFor([]int64{3, 6})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestOrigin(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://id.newhaven.gov", "id.newhaven.gov/audit"},
		{"https://id.newhaven.gov:8443/cards", "id.newhaven.gov/audit"},
		{"", "cityid/audit"},
		{"not a url", "cityid/audit"},
	} {
		if got := Origin(tt.in); got != tt.want {
			t.Errorf("Origin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOneDailyCheckpointAcrossServers(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	v := newVault(t)
	a := New(db, v, Options{Every: 1000, Now: clk.Now})
	b := New(db, v, Options{Every: 1000, Now: clk.Now})
	appendEvents(t, db, 3)
	for _, s := range []*Service{a, b} {
		if _, err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(25 * time.Hour)
	appendEvents(t, db, 2)
	if got, err := a.Tick(ctx); err != nil || !cmp.Equal(sizes(got), []int64{5}) {
		t.Errorf("server A's daily Tick = %v, %v; want [5]", sizes(got), err)
	}
	appendEvents(t, db, 1)
	if got, err := b.Tick(ctx); err != nil || len(got) != 0 {
		t.Errorf("server B's Tick just after A's daily checkpoint = %v, %v; want none", sizes(got), err)
	}
	if diff := cmp.Diff([]int64{3, 5}, storedSizes(t, db)); diff != "" {
		t.Errorf("stored checkpoints (-want +got):\n%s", diff)
	}
}

func TestSignerChecksOtherServersCheckpoints(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	v := newVault(t)
	a := New(db, v, Options{Every: 10})
	b := New(db, v, Options{Every: 10})
	appendEvents(t, db, 3)
	if _, err := b.Tick(ctx); err != nil { // B has seen events 1–3
		t.Fatal(err)
	}
	appendEvents(t, db, 3)
	if _, err := a.Sign(ctx); err != nil { // A pins 6
		t.Fatal(err)
	}
	rewriteFrom(t, db, raw(t, db), 5) // then events 5–6 are rewritten
	appendEvents(t, db, 4)
	if _, err := b.Tick(ctx); !errors.Is(err, ErrBroken) {
		t.Errorf("B's Tick over the rewritten events = %v, want ErrBroken", err)
	}
	if got := storedSizes(t, db); !cmp.Equal(got, []int64{3, 6}) {
		t.Errorf("stored checkpoints = %v, want [3 6] (none over the rewritten log)", got)
	}
}
