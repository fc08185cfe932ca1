package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
)

// personalTables hold personal data or link records to a person; after
// every retention period has passed they must all be empty.
var personalTables = []string{"persons", "applications", "cards", "match_encodings", "preapplications", "appointments",
	"waitlist", "lottery_entries", "tickets", "ticket_counters", "duplicate_candidates", "distinct_people", "pair_decisions", "spot_checks"}

// TestNothingKeptForever runs a demo city (intake, review, cards issued,
// printed, handed over and left uncollected, pre-applications, bookings,
// waitlist, lottery, walk-in tickets) 25 years forward under the default
// settings, in both modes, purging every quarter: every class is covered by
// a rule (the report's unclassified count is 0 throughout), and at the end
// no table holds anything about anyone.
func TestNothingKeptForever(t *testing.T) {
	for _, noList := range []bool{false, true} {
		t.Run(map[bool]string{false: "standard", true: "no list"}[noList], func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				t0 := time.Now()
				o := demo.Options{Residents: 80, Seed: 25, Workers: 2}
				if _, err := demo.Load(ctx, e.app, o); err != nil {
					t.Fatal(err)
				}
				lc, err := demo.Live(ctx, e.app, o)
				if err != nil {
					t.Fatal(err)
				}
				if lc.HandedOver == 0 || lc.Printed == lc.HandedOver || lc.Issued == lc.Printed || lc.Booked == 0 || lc.Waitlisted == 0 || lc.Tickets == 0 {
					t.Fatalf("demo city lacks a class of record: %+v", lc)
				}
				t.Logf("demo city %+v in %s", lc, time.Since(t0))
				spotChecks(t, e)
				t0 = time.Now()
				pol := PolicyFrom(config.Default().Retention)
				pol.NoList = noList
				eng := e.engine(t, pol, Options{})
				before := e.counts(t)
				for _, tb := range []string{"persons", "cards", "preapplications", "appointments", "waitlist", "lottery_entries", "tickets", "spot_checks"} {
					if before[tb] == 0 {
						t.Fatalf("demo city has no %s rows: %v", tb, before)
					}
				}
				end := e.clock.Now().AddDate(25, 0, 0)
				for e.clock.Now().Before(end) {
					rep, err := eng.Report(ctx, e.clock.Now(), 24*time.Hour)
					if err != nil {
						t.Fatal(err)
					}
					if n := rep.Counts()[store.ClassUnclassified]; n != 0 {
						t.Fatalf("at %s the privacy report lists %d people or records no retention rule covers", e.clock.Now().Format(time.DateOnly), n)
					}
					if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
						t.Fatal(err)
					}
					e.clock.AddDays(91)
				}
				t.Logf("25 years of purges in %s", time.Since(t0))
				after := e.counts(t)
				for _, tb := range personalTables {
					if after[tb] != 0 {
						t.Errorf("after 25 years %s holds %d rows (before: %d)", tb, after[tb], before[tb])
					}
				}
			})
		})
	}
}

// spotChecks draws spot checks of the duplicate model between some of the
// city's applications, as an administrator would (the demo makes none):
// they name two applications each and must go with either.
func spotChecks(t *testing.T, e *env) {
	t.Helper()
	var ids []string
	if err := e.app.DB.EachApplication(ctx, enroll.ScreenedStatuses(), func(r enroll.Record, _ []byte) error {
		ids = append(ids, r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var cs []store.SpotCheck
	for i := 0; i+1 < len(ids) && i < 20; i += 2 {
		cs = append(cs, store.SpotCheck{ApplicationID: ids[i], CandidateID: ids[i+1], Probability: 0.6, BandPairs: 1, DrawnBy: "stf_admin", DrawnAt: e.clock.Now()})
	}
	if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error { return tx.InsertSpotChecks(ctx, cs) }); err != nil {
		t.Fatal(err)
	}
}

// counts returns the number of rows of each personal table.
func (e *env) counts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range personalTables {
		n, err := e.app.DB.CountRows(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// TestReportFindsUnclassified: a person row nothing refers to (no
// application, card or pre-application: no rule would ever erase it) and a
// booking whose pre-application is gone are both reported.
func TestReportFindsUnclassified(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.submitted(t, resident(1, "Ines"))
		err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			now := e.clock.Now()
			if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: "per_orphan", WrappedKey: []byte{1}, KEKID: "k", CreatedAt: now}); err != nil {
				return err
			}
			return tx.JoinWaitlist(ctx, store.WaitlistEntry{ID: "wl_orphan", SiteID: e.clerk.SiteID, PreappID: "pre_gone",
				PersonKey: []byte{2}, Status: "waiting", CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.engine(t, fullPolicy, Options{}).Report(ctx, e.clock.Now(), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Counts()[store.ClassUnclassified]; got != 2 {
			t.Errorf("report unclassified = %d, want 2 (an orphan person and an orphan waitlist entry)", got)
		}
	})
}

// TestInterruptedPurgeFinishedByAnotherServer: a purge stopped after its
// first batch on one server is finished by a second server on the same
// database, and no person is left half erased: every application, card and
// pre-application still belongs to a whole person row with its data key.
func TestInterruptedPurgeFinishedByAnotherServer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 25 {
			ids = append(ids, e.rejected(t, resident(i, "Rita")).ID)
		}
		e.clock.AddDays(200)
		stop, cancel := context.WithCancel(ctx)
		defer cancel()
		first := e.engine(t, fullPolicy, Options{BatchSize: 10, AfterBatch: func(store.DueClass, int) { cancel() }})
		res, err := first.Purge(stop, e.clock.Now())
		if err != nil || res.Finished || res.Done[store.DueRejected] != 10 {
			t.Fatalf("first server: done %v finished %v err %v, want 10 erased and stopped", res.Done, res.Finished, err)
		}
		other, err := app.Open(ctx, app.Options{DataDir: e.dir, DBURL: e.dbURL, Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		second, err := New(other.DB, other.Vault, other.Keys.MatchKey(), fullPolicy, Options{Now: e.clock.Now, Rand: rand.Reader})
		if err != nil {
			t.Fatal(err)
		}
		res, err = second.Purge(ctx, e.clock.Now())
		if err != nil || !res.Finished || res.Done[store.DueRejected] != 15 {
			t.Fatalf("second server: done %v finished %v err %v, want the other 15", res.Done, res.Finished, err)
		}
		for _, id := range ids {
			if e.exists(t, id) {
				t.Errorf("application %s survived both purges", id)
			}
		}
		rep, err := second.Report(ctx, e.clock.Now(), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if n := rep.Counts()[store.ClassUnclassified]; n != 0 {
			t.Errorf("%d half-erased people or records left", n)
		}
		runs, err := other.DB.RetentionRuns(ctx, 5)
		if err != nil || len(runs) != 2 || runs[0].Erased+runs[1].Erased != 25 {
			t.Errorf("retention runs = %+v (%v), want two runs erasing 25 together", runs, err)
		}
	})
}
