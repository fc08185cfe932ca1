package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

const margin = 24 * time.Hour

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// TestDueTimes checks, for each class, that a purge one minute before the
// due time (retention period + safety margin) keeps the person and one
// minute after erases them.
func TestDueTimes(t *testing.T) {
	type setup func(t *testing.T, e *env) (appID string, due time.Time)
	cases := []struct {
		name   string
		policy Policy
		setup  setup
		gone   bool // after the due time: row gone (true) or only personal data (false)
	}{
		{"draft 30 days after last change", defaultPolicy, func(t *testing.T, e *env) (string, time.Time) {
			e.clock.AddDays(3)
			a := e.draft(t, resident(1, "Ada"))
			return a.ID, e.clock.Now().Add(days(30) + margin)
		}, true},
		{"rejected 90 days after decision", defaultPolicy, func(t *testing.T, e *env) (string, time.Time) {
			a := e.submitted(t, resident(2, "Bea"))
			e.clock.AddDays(5) // decided later than submitted: the decision counts
			if err := e.app.Enroll.Reject(ctx, e.supervisor, a.ID, "not_resident", ""); err != nil {
				t.Fatal(err)
			}
			return a.ID, e.clock.Now().Add(days(90) + margin)
		}, true},
		{"cardholder 365 days after card expiry", defaultPolicy, func(t *testing.T, e *env) (string, time.Time) {
			a, c := e.cardholder(t, resident(3, "Cruz"), true)
			return a.ID, c.ExpiresOn.Time().Add(days(365) + margin)
		}, true},
		{"pending 365 days after submission", fullPolicy, func(t *testing.T, e *env) (string, time.Time) {
			a := e.submitted(t, resident(5, "Elsa"))
			return a.ID, e.clock.Now().Add(days(365) + margin)
		}, true},
		{"approved, no card, 180 days after approval", fullPolicy, func(t *testing.T, e *env) (string, time.Time) {
			a := e.submitted(t, resident(6, "Fabi"))
			e.clock.AddDays(10) // the approval counts, not the submission
			if err := e.app.Enroll.Approve(ctx, e.supervisor, a.ID, ""); err != nil {
				t.Fatal(err)
			}
			return a.ID, e.clock.Now().Add(days(180) + margin)
		}, true},
		{"card never collected, 90 days after printing", fullPolicy, func(t *testing.T, e *env) (string, time.Time) {
			a := e.approved(t, resident(7, "Gina"))
			c, err := e.cards.Issue(ctx, e.supervisor, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.AddDays(20) // printed later than issued: the print counts
			if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error { return tx.MarkCardPrinted(ctx, c.ID, c.KeyID, e.clock.Now()) }); err != nil {
				t.Fatal(err)
			}
			return a.ID, e.clock.Now().Add(days(90) + margin)
		}, true},
		{"no list: 30 days after hand-over", Policy{DraftDays: 30, RejectedDays: 90, CardholderAfterExpiryDays: 365, NoList: true, NoListGraceDays: 30},
			func(t *testing.T, e *env) (string, time.Time) {
				a, _ := e.cardholder(t, resident(4, "Dalia"), true)
				return a.ID, e.clock.Now().Add(days(30) + margin)
			}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				id, due := tc.setup(t, e)
				eng := e.engine(t, tc.policy, Options{})
				e.clock.Set(due.Add(-time.Minute))
				if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
					t.Fatal(err)
				}
				if !e.whole(id) {
					t.Fatalf("Purge 1 minute before due %s erased application %s", due, id)
				}
				e.clock.Set(due.Add(time.Minute))
				res, err := eng.Purge(ctx, e.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				if e.whole(id) {
					t.Fatalf("Purge 1 minute after due %s kept application %s whole (result %+v)", due, id, res.Done)
				}
				if got := e.exists(t, id); got == tc.gone {
					t.Errorf("application row exists = %v after purge, want %v", got, !tc.gone)
				}
				if res.Plan.Total() != 1 || !res.Finished {
					t.Errorf("Purge plan total = %d finished %v, want 1 and true", res.Plan.Total(), res.Finished)
				}
			})
		})
	}
}

// TestPendingAndApprovedAreKept: with their rules off, work in progress is
// never purged (the settings never turn them off; see TestDueTimes).
func TestPendingAndApprovedAreKept(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		p := e.submitted(t, resident(1, "Eva"))
		a := e.approved(t, resident(2, "Flor"))
		_, c := e.cardholder(t, resident(3, "Gala"), false) // never handed over
		e.clock.AddDays(400)
		eng := e.engine(t, Policy{DraftDays: 1, RejectedDays: 1, CardholderAfterExpiryDays: 365, NoList: true}, Options{})
		if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{p.ID, a.ID, c.ApplicationID} {
			if !e.whole(id) {
				t.Errorf("application %s was erased; pending, approved and not-handed-over cards must be kept", id)
			}
		}
	})
}

// TestDryRunChangesNothing: Plan counts what is due and writes nothing,
// not even an audit event; a later Purge erases exactly that.
func TestDryRunChangesNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		d := e.draft(t, resident(1, "Hana"))
		r := e.rejected(t, resident(2, "Iris"))
		keep := e.submitted(t, resident(3, "Juana"))
		e.clock.AddDays(100)
		eng := e.engine(t, defaultPolicy, Options{})
		before, err := e.app.DB.AuditEvents(ctx, audit.Filter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		// A dry run may look further ahead than a real purge could.
		plan, err := eng.Plan(ctx, e.clock.Now().Add(days(3650)))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Due[store.DueDraft] != 1 || plan.Due[store.DueRejected] != 1 || plan.Total() != 2 {
			t.Errorf("Plan due = %v, want 1 draft and 1 rejected", plan.Due)
		}
		after, _ := e.app.DB.AuditEvents(ctx, audit.Filter{Limit: 1})
		if after[0].Seq != before[0].Seq {
			t.Errorf("Plan wrote audit event %d", after[0].Seq)
		}
		for _, id := range []string{d.ID, r.ID, keep.ID} {
			if !e.whole(id) {
				t.Errorf("Plan erased application %s", id)
			}
		}
		runs, _ := e.app.DB.RetentionRuns(ctx, 5)
		if len(runs) != 0 {
			t.Errorf("Plan recorded %d runs, want 0", len(runs))
		}
		res, err := eng.Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Done[store.DueDraft] != 1 || res.Done[store.DueRejected] != 1 || e.exists(t, d.ID) || e.exists(t, r.ID) || !e.whole(keep.ID) {
			t.Errorf("Purge done = %v; want the draft and the rejected application gone, the pending one kept", res.Done)
		}
	})
}

// TestPurgeIdempotent: a second purge at the same time erases nothing and
// both runs are audited with counts.
func TestPurgeIdempotent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := range 3 {
			e.rejected(t, resident(i, "Karen"))
		}
		e.clock.AddDays(92)
		var dropped []string
		eng := e.engine(t, defaultPolicy, Options{Erased: func(ids []string) { dropped = append(dropped, ids...) }})
		first, err := eng.Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		second, err := eng.Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(dropped) != 3 {
			t.Errorf("Erased hook got %v, want the 3 application ids", dropped)
		}
		if first.Done[store.DueRejected] != 3 || second.Plan.Total() != 0 || second.Done[store.DueRejected] != 0 {
			t.Errorf("first purge erased %v, second planned %d and erased %v; want 3 then 0", first.Done, second.Plan.Total(), second.Done)
		}
		runs, err := e.app.DB.RetentionRuns(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[1].Erased != 3 || runs[0].Erased != 0 || runs[1].FinishedAt.IsZero() {
			t.Fatalf("runs = %+v, want two finished runs erasing 3 then 0", runs)
		}
		var counts map[string]int
		if err := json.Unmarshal([]byte(runs[1].Counts), &counts); err != nil || counts["rejected"] != 3 || counts["applications"] != 3 {
			t.Errorf("run counts = %s (%v), want rejected 3, applications 3", runs[1].Counts, err)
		}
		ev, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "retention.erase"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) != 1 || ev[0].RecordID != first.RunID || ev[0].Purpose != "rejected.3" {
			t.Errorf("retention.erase events = %+v, want one for run %s, purpose rejected.3", ev, first.RunID)
		}
	})
}

// TestInterruptedPurgeResumes cancels a purge after its first batch: every
// person is either whole or gone, and the next run finishes the job.
func TestInterruptedPurgeResumes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 5 {
			ids = append(ids, e.rejected(t, resident(i, "Lucia")).ID)
		}
		e.clock.AddDays(92)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		eng := e.engine(t, defaultPolicy, Options{BatchSize: 2, AfterBatch: func(store.DueClass, int) { cancel() }})
		res, err := eng.Purge(cctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Finished || res.Done[store.DueRejected] != 2 {
			t.Fatalf("interrupted purge finished=%v done=%v, want unfinished after 2", res.Finished, res.Done)
		}
		gone, whole := 0, 0
		for _, id := range ids {
			switch {
			case !e.exists(t, id):
				gone++
			case e.whole(id):
				whole++
			default:
				t.Errorf("application %s is half erased", id)
			}
		}
		if gone != 2 || whole != 3 {
			t.Errorf("after interruption gone=%d whole=%d, want 2 and 3", gone, whole)
		}
		res, err = e.engine(t, defaultPolicy, Options{BatchSize: 2}).Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Finished || res.Done[store.DueRejected] != 3 {
			t.Errorf("resumed purge finished=%v done=%v, want the remaining 3", res.Finished, res.Done)
		}
		for _, id := range ids {
			if e.exists(t, id) {
				t.Errorf("application %s survived the resumed purge", id)
			}
		}
	})
}

// TestNoListErasure: after hand-over and the grace period the person's data
// goes but the card, its status-list index and the match encoding stay, and
// duplicate detection still finds a second application by the same person.
func TestNoListErasure(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		in := resident(7, "María Fernanda")
		a, c := e.cardholder(t, in, true)
		e.clock.AddDays(31)
		e.clock.Add(2 * time.Hour)
		eng := e.engine(t, Policy{DraftDays: 30, RejectedDays: 90, CardholderAfterExpiryDays: 365, NoList: true, NoListGraceDays: 30}, Options{})
		res, err := eng.Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Done[store.DueNoList] != 1 || !res.Plan.ModeChange {
			t.Fatalf("Purge done = %v mode change %v, want 1 no-list erasure and a mode change", res.Done, res.Plan.ModeChange)
		}
		if e.whole(a.ID) {
			t.Fatal("application still opens after no-list erasure")
		}
		row, err := e.app.DB.Application(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := row.Sealed; s.GivenNames != nil || s.DateOfBirth != nil || s.Address != nil || s.Contact != nil || s.Photo != nil {
			t.Errorf("sealed columns survive no-list erasure: %+v", s)
		}
		pr, err := e.app.DB.Person(ctx, a.PersonID)
		if err != nil || pr.WrappedKey != nil {
			t.Errorf("person after erasure = %+v, %v; want the row without a data key", pr, err)
		}
		got, err := e.cards.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != c.Number || got.Status != c.Status || got.StatusIndex != c.StatusIndex || got.ExpiresOn != c.ExpiresOn || got.IssuedOn != c.IssuedOn {
			t.Errorf("card after erasure = %+v, want number, status, index and validity of %+v", got, c)
		}
		encs, err := e.app.DB.MatchEncodings(ctx, "", 10)
		if err != nil || len(encs) != 1 || encs[0].PersonID != a.PersonID {
			t.Fatalf("match encodings = %v, %v; want one for the person", encs, err)
		}
		var enc linkage.Encoding
		if err := json.Unmarshal(encs[0].Encoding, &enc); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(encs[0].Encoding, []byte("Fernanda")) || bytes.Contains(encs[0].Encoding, []byte("Quispe")) {
			t.Error("match encoding holds a plaintext name")
		}
		ix, err := linkage.NewIndex(linkage.Options{Mode: linkage.ModeBloom, Key: e.app.Keys.MatchKey()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.AddEncoding(a.PersonID, enc); err != nil {
			t.Fatal(err)
		}
		again := in.Person
		again.GivenNames = "Maria Fernanda" // typed without the accent the second time
		cands := ix.Screen(linkage.FromPerson("new", again))
		if len(cands) == 0 || cands[0].ID != a.PersonID || cands[0].Probability < 0.5 {
			t.Errorf("Screen(second application) = %+v, want the erased cardholder %s first with p >= 0.5", cands, a.PersonID)
		}
		other := resident(99, "Rosa").Person
		other.FirstSurname, other.SecondSurname = "Okafor", "Adeyemi"
		if cands := ix.Screen(linkage.FromPerson("other", other)); len(cands) > 0 && cands[0].Probability >= 0.5 {
			t.Errorf("Screen(someone else) = %+v, want no likely match", cands)
		}
		ev, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "retention.mode_change"})
		if err != nil || len(ev) != 1 || ev[0].Purpose != "no_list_on" {
			t.Errorf("mode change events = %+v, %v; want one no_list_on", ev, err)
		}
		// Switching back is audited once more, and reduced people stay reduced.
		off := e.engine(t, defaultPolicy, Options{})
		e.clock.AddDays(1)
		if _, err := off.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		ev, _ = e.app.DB.AuditEvents(ctx, audit.Filter{Action: "retention.mode_change"})
		if len(ev) != 2 || ev[0].Purpose != "no_list_off" {
			t.Errorf("mode change events after switching off = %+v, want no_list_off newest", ev)
		}
		// Cardholder expiry still erases the reduced person entirely.
		e.clock.Set(c.ExpiresOn.Time().Add(days(366) + margin))
		if _, err := off.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.DB.Person(ctx, a.PersonID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("person after expiry purge: err = %v, want ErrNotFound", err)
		}
		if encs, _ := e.app.DB.MatchEncodings(ctx, "", 10); len(encs) != 0 {
			t.Errorf("match encodings after expiry purge = %d, want 0", len(encs))
		}
	})
}

// TestClockSkewRefused: a server clock behind the last run by more than
// the margin refuses to purge; so does a real purge judged in the future.
func TestClockSkewRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.rejected(t, resident(1, "Nora"))
		e.clock.AddDays(200)
		eng := e.engine(t, Policy{RejectedDays: 1000}, Options{})
		if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.clock.AddDays(-2) // the clock jumped back
		eng = e.engine(t, Policy{RejectedDays: 1}, Options{})
		if _, err := eng.Purge(ctx, e.clock.Now()); !errors.Is(err, ErrClockSkew) {
			t.Errorf("Purge with the clock 2 days behind: err = %v, want ErrClockSkew", err)
		}
		e.clock.AddDays(2)
		if _, err := eng.Purge(ctx, e.clock.Now().Add(days(2))); !errors.Is(err, ErrFuture) {
			t.Errorf("Purge judged 2 days ahead: err = %v, want ErrFuture", err)
		}
		if !e.whole(r.ID) {
			t.Error("a refused purge erased data")
		}
	})
}

// TestWrongKeyNeverDestroys: an engine holding another master key refuses,
// and nothing is erased.
func TestWrongKeyNeverDestroys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.rejected(t, resident(1, "Olga"))
		e.clock.AddDays(200)
		other, err := vault.GenerateKeys(bytes.NewReader(bytes.Repeat([]byte{7}, 96)))
		if err != nil {
			t.Fatal(err)
		}
		v := vault.New(other.KEK(), other.IndexKey(), nil)
		eng, err := New(e.app.DB, v, other.MatchKey(), defaultPolicy, Options{Now: e.clock.Now, Rand: bytes.NewReader(make([]byte, 64))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Purge(ctx, e.clock.Now()); !errors.Is(err, ErrKeyCheck) {
			t.Errorf("Purge with another master key: err = %v, want ErrKeyCheck", err)
		}
		if !e.whole(r.ID) {
			t.Error("a purge with the wrong key erased data")
		}
	})
}

// TestShreddingLeavesNoTrace writes a resident with a unique name, purges,
// and scans every byte of the SQLite database and WAL for the name, the
// date of birth, the wrapped data key and the sealed columns — finding
// none. Before the purge the wrapped key and the ciphertexts must be found
// (so the scan can fail). It runs for a full erasure (rejected) and for the
// "no list" reduction, which blanks columns in place instead of deleting.
func TestShreddingLeavesNoTrace(t *testing.T) {
	noList := Policy{DraftDays: 30, RejectedDays: 90, CardholderAfterExpiryDays: 365, NoList: true, NoListGraceDays: 30}
	cases := []struct {
		name   string
		policy Policy
		class  store.DueClass
		make   func(e *env, in enroll.Intake) *enroll.Application
	}{
		{"rejected", defaultPolicy, store.DueRejected, func(e *env, in enroll.Intake) *enroll.Application { return e.rejected(t, in) }},
		{"no list", noList, store.DueNoList, func(e *env, in enroll.Intake) *enroll.Application {
			a, _ := e.cardholder(t, in, true)
			return a
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			in := resident(3, "Zephyrine Oyelaran-Quillfeather")
			in.Person.FirstSurname = "Thistlewaite"
			a := tc.make(e, in)
			row, err := e.app.DB.Application(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := e.app.DB.Person(ctx, a.PersonID)
			if err != nil {
				t.Fatal(err)
			}
			secrets := map[string][]byte{
				"wrapped key":          pr.WrappedKey,
				"sealed given names":   row.Sealed.GivenNames,
				"sealed date of birth": row.Sealed.DateOfBirth,
				"sealed address":       row.Sealed.Address,
			}
			// The photo spans overflow pages, so look for pieces of it.
			for k := 0; k*1000+48 <= len(row.Sealed.Photo); k++ {
				secrets[fmt.Sprintf("sealed photo piece %d", k)] = row.Sealed.Photo[k*1000 : k*1000+48]
			}
			plain := map[string][]byte{"name": []byte("Zephyrine"), "surname": []byte("Thistlewaite"),
				"date of birth": []byte(in.Person.DateOfBirth.String())}
			files := []string{filepath.Join(e.dir, app.DBFile), filepath.Join(e.dir, app.DBFile) + "-wal"}
			scan := func() []byte {
				var all []byte
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					all = append(all, b...)
				}
				return all
			}
			before := scan()
			missing := 0
			for what, b := range secrets {
				if len(b) == 0 || !bytes.Contains(before, b) {
					if !strings.HasPrefix(what, "sealed photo piece") {
						t.Fatalf("before the purge the %s is not in the database files: the scan cannot work", what)
					}
					missing++ // a piece split by a page boundary
				}
			}
			if missing > 2 {
				t.Fatalf("before the purge %d photo pieces are not in the database files: the scan cannot work", missing)
			}
			e.clock.AddDays(92)
			res, err := e.engine(t, tc.policy, Options{}).Purge(ctx, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if res.Done[tc.class] != 1 {
				t.Fatalf("purge done = %v, want the resident under %s", res.Done, tc.class)
			}
			after := scan()
			for what, b := range secrets {
				if i := bytes.Index(after, b); i >= 0 {
					t.Errorf("after the purge the %s is still in the database files at byte %d", what, i)
				}
			}
			for what, b := range plain {
				if i := bytes.Index(after, b); i >= 0 {
					t.Errorf("after the purge the %s %q is in the database files at byte %d", what, b, i)
				}
			}
			if fi, err := os.Stat(files[1]); err == nil && fi.Size() != 0 {
				t.Errorf("WAL is %d bytes after the purge, want truncated to 0", fi.Size())
			}
		})
	}
}

// TestSchedulerPurges: the scheduler purges after its delay and again each
// interval, and stops with its context.
func TestSchedulerPurges(t *testing.T) {
	e := newEnv(t, "")
	r := e.rejected(t, resident(1, "Paz"))
	e.clock.AddDays(92)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runs := 0
	s := &Scheduler{Engine: e.engine(t, defaultPolicy, Options{}), Interval: time.Millisecond, Delay: time.Millisecond, Now: e.clock.Now}
	SetAfter(s, func(res Result, err error) {
		if err != nil {
			t.Errorf("scheduled purge: %v", err)
		}
		if runs++; runs == 2 {
			cancel()
		}
	})
	done := make(chan struct{})
	go func() { s.Run(sctx); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("scheduler did not stop after its context was cancelled")
	}
	if runs != 2 || e.exists(t, r.ID) {
		t.Errorf("scheduler ran %d purges, application exists = %v; want 2 runs and the rejected application gone", runs, e.exists(t, r.ID))
	}
}

// TestReport counts holdings per class and previews purges.
func TestReport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.draft(t, resident(1, "Quela"))
		e.submitted(t, resident(2, "Rita"))
		e.rejected(t, resident(3, "Sara"))
		e.cardholder(t, resident(4, "Tania"), true)
		e.clock.AddDays(10)
		eng := e.engine(t, Policy{DraftDays: 30, RejectedDays: 90, CardholderAfterExpiryDays: 365, NoList: true, NoListGraceDays: 30}, Options{})
		rep, err := eng.Report(ctx, e.clock.Now(), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{store.ClassPreapplications: 0, store.ClassDrafts: 1, store.ClassPending: 1, store.ClassApproved: 0,
			store.ClassRejected: 1, store.ClassCardholdersData: 1, store.ClassCardholdersNoPII: 0, store.ClassDataKeys: 4,
			store.ClassMatchEncodings: 0, store.ClassErasedPersons: 0}
		got := rep.Counts()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("Report counts[%s] = %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
		if rep.DueNow.Total() != 0 || rep.DueSoon.Due[store.DueDraft] != 1 || rep.DueSoon.Due[store.DueNoList] != 1 {
			t.Errorf("Report due now %v, in 30 days %v; want nothing now, then the draft and the no-list cardholder", rep.DueNow.Due, rep.DueSoon.Due)
		}
		if rep.LastRun != nil || !rep.NextPurge.IsZero() {
			t.Errorf("Report before any run: last %v next %v, want none", rep.LastRun, rep.NextPurge)
		}
	})
}

// TestPreapplicationsExpire: a pre-application is erased (with its person
// row and data key) a margin after its own expiry, and counted.
func TestPreapplicationsExpire(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		now := e.clock.Now()
		_, wrapped, err := e.app.Vault.NewDataKey()
		if err != nil {
			t.Fatal(err)
		}
		err = e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: "per_pre1", WrappedKey: wrapped, KEKID: e.app.Vault.KEKID(), CreatedAt: now}); err != nil {
				return err
			}
			return tx.InsertPreapplication(ctx, store.Preapplication{ID: "pre_1", RefIndex: []byte("ref1"), PersonID: "per_pre1",
				PersonKey: []byte("pk1"), Person: []byte("sealed"), Documents: []byte("sealed"), CreatedAt: now, ExpiresAt: now.Add(days(14))})
		})
		if err != nil {
			t.Fatal(err)
		}
		eng := e.engine(t, defaultPolicy, Options{})
		e.clock.Set(now.Add(days(14) + margin - time.Minute))
		res, err := eng.Purge(ctx, e.clock.Now())
		if err != nil || res.Done[store.DuePreapp] != 0 {
			t.Fatalf("purge before expiry + margin: done %v, %v; want nothing", res.Done, err)
		}
		e.clock.Set(now.Add(days(14) + margin + time.Minute))
		res, err = eng.Purge(ctx, e.clock.Now())
		if err != nil || res.Done[store.DuePreapp] != 1 || res.Plan.Due[store.DuePreapp] != 1 {
			t.Fatalf("purge after expiry + margin: plan %v done %v, %v; want 1", res.Plan.Due, res.Done, err)
		}
		if _, err := e.app.DB.Person(ctx, "per_pre1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("pre-application's person after purge: %v, want ErrNotFound", err)
		}
	})
}
