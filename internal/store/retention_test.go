package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestRetentionStore covers due queries, erasure, "no list" reduction,
// holdings by age and the rewrap helpers on both dialects.
func TestRetentionStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		now := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
		ages := map[string]int{"d1": 5, "d2": 40, "d3": 200, "d4": 500} // days since last change
		for id, age := range ages {
			a := newApp(id, "")
			a.CreatedAt = now.AddDate(0, 0, -age)
			a.UpdatedAt = a.CreatedAt
			if err := insert(t, db, a); err != nil {
				t.Fatal(err)
			}
		}
		rej := newApp("r1", "")
		rej.Status, rej.CreatedAt = "rejected", now.AddDate(0, 0, -100)
		rej.UpdatedAt, rej.DecidedAt = rej.CreatedAt, rej.CreatedAt
		if err := insert(t, db, rej); err != nil {
			t.Fatal(err)
		}

		q := store.DueQuery{DraftIdleBefore: now.AddDate(0, 0, -31), RejectedBefore: now.AddDate(0, 0, -91)}
		n, err := db.CountDue(ctx, store.DueDraft, q)
		if err != nil || n != 3 {
			t.Errorf("CountDue(drafts) = %d, %v; want 3", n, err)
		}
		ids, err := db.DuePersons(ctx, store.DueDraft, q, 2, 0)
		if err != nil || len(ids) != 2 || ids[0] != "per_d4" || ids[1] != "per_d3" {
			t.Errorf("DuePersons(drafts, limit 2) = %v, %v; want [per_d4 per_d3], oldest first", ids, err)
		}
		if ids, _ := db.DuePersons(ctx, store.DueDraft, q, 2, 2); len(ids) != 1 || ids[0] != "per_d2" {
			t.Errorf("DuePersons(drafts, offset 2) = %v, want [per_d2]", ids)
		}
		if n, _ := db.CountDue(ctx, store.DueRejected, q); n != 1 {
			t.Errorf("CountDue(rejected) = %d, want 1", n)
		}
		if n, _ := db.CountDue(ctx, store.DueNoList, q); n != 0 {
			t.Errorf("CountDue(no list) with the rule off = %d, want 0", n)
		}

		hs, err := db.Holdings(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.Holding{}
		for _, h := range hs {
			got[h.Class] = h
		}
		if b := got[store.ClassDrafts].Buckets; b != [4]int{1, 1, 1, 1} {
			t.Errorf("Holdings drafts = %v, want one per age bucket", b)
		}
		if b := got[store.ClassRejected].Buckets; b != [4]int{0, 0, 1, 0} {
			t.Errorf("Holdings rejected = %v, want one at 90–364 days", b)
		}
		if tot := got[store.ClassDataKeys].Total(); tot != 5 {
			t.Errorf("Holdings data keys = %d, want 5", tot)
		}

		var erased store.Erased
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			erased, err = tx.ErasePerson(ctx, "per_d4")
			if err != nil {
				return err
			}
			again, err := tx.ErasePerson(ctx, "per_d4")
			if again != (store.Erased{}) {
				t.Errorf("second ErasePerson = %+v, want nothing", again)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if erased != (store.Erased{Persons: 1, Applications: 1}) {
			t.Errorf("ErasePerson = %+v, want 1 person and 1 application", erased)
		}
		if _, err := db.Person(ctx, "per_d4"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Person after erasure: %v, want ErrNotFound", err)
		}

		// Spot checks naming d1: the open one cannot be decided once d1 is
		// reduced and goes; the decided one stays (ids only).
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertSpotChecks(ctx, []store.SpotCheck{
				{ApplicationID: "d1", CandidateID: "d2", Probability: 0.6, BandPairs: 1, DrawnBy: "adm", DrawnAt: now},
				{ApplicationID: "d3", CandidateID: "d1", Probability: 0.6, BandPairs: 1, DrawnBy: "adm", DrawnAt: now},
				{ApplicationID: "d3", CandidateID: "d2", Probability: 0.6, BandPairs: 1, DrawnBy: "adm", DrawnAt: now},
			}); err != nil {
				return err
			}
			return tx.DecideSpotCheck(ctx, "d3", "d1", false, "sup", now)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			r, err := tx.ReducePerson(ctx, "per_d1", []byte(`{"k":[1]}`), now)
			if err != nil {
				return err
			}
			if r != (store.Erased{Persons: 1, Applications: 1, Encodings: 1}) {
				t.Errorf("ReducePerson = %+v, want 1 person, 1 application, 1 encoding", r)
			}
			r, err = tx.ReducePerson(ctx, "per_d1", []byte(`{"k":[2]}`), now)
			if r != (store.Erased{}) {
				t.Errorf("second ReducePerson = %+v, want nothing", r)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if checks, err := db.SpotChecks(ctx, false); err != nil || len(checks) != 2 || checks[0].CandidateID != "d1" || checks[1].CandidateID != "d2" {
			t.Errorf("spot checks after reducing d1's person = %+v, %v; want the decided d3/d1 and the untouched d3/d2", checks, err)
		}
		a, err := db.Application(ctx, "d1")
		if err != nil || a.Sealed.GivenNames != nil || a.Sealed.Photo != nil || a.Status != "draft" {
			t.Errorf("application after reduction = %+v, %v; want the row, sealed columns empty", a.Sealed, err)
		}
		encs, err := db.MatchEncodings(ctx, "", 10)
		if err != nil || len(encs) != 1 || string(encs[0].Encoding) != `{"k":[1]}` {
			t.Errorf("MatchEncodings = %+v, %v; want the first encoding", encs, err)
		}
		// By person, as a server following the change feed asks: a person
		// without an encoding is absent, not an error.
		byPerson, err := db.MatchEncodingsOf(ctx, []string{"per_d2", "per_d1", "per_nobody"})
		if err != nil || len(byPerson) != 1 || string(byPerson["per_d1"]) != `{"k":[1]}` {
			t.Errorf("MatchEncodingsOf(per_d2, per_d1, per_nobody) = %q, %v; want only per_d1's encoding", byPerson, err)
		}

		// Rewrap: only keys of another master key are listed; a key that
		// changed since it was read is left alone.
		batch, err := db.WrappedKeyBatch(ctx, "k2", 10)
		if err != nil || len(batch) != 3 {
			t.Fatalf("WrappedKeyBatch = %d, %v; want the 3 remaining keys", len(batch), err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := tx.RewrapPerson(ctx, batch[0].ID, batch[0].WrappedKey, []byte("new"), "k2")
			if err != nil || !ok {
				t.Errorf("RewrapPerson = %v, %v; want true", ok, err)
			}
			ok, err = tx.RewrapPerson(ctx, batch[1].ID, []byte("stale"), []byte("new"), "k2")
			if ok {
				t.Error("RewrapPerson with a stale old key = true, want false")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountWrappedKeys(ctx, "k2", true); n != 2 {
			t.Errorf("CountWrappedKeys(other than k2) = %d, want 2", n)
		}
		p, _ := db.Person(ctx, batch[0].ID)
		if !bytes.Equal(p.WrappedKey, []byte("new")) || p.KEKID != "k2" {
			t.Errorf("rewrapped person = %+v", p)
		}

		run := store.RetentionRun{ID: "ret_1", StartedAt: now, JudgedAt: now}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertRetentionRun(ctx, run); err != nil {
				return err
			}
			run.Erased, run.Counts = 7, `{"drafts":7}`
			return tx.UpdateRetentionRun(ctx, run)
		})
		if err != nil {
			t.Fatal(err)
		}
		last, err := db.LatestRunStart(ctx)
		if err != nil || !last.Equal(now) {
			t.Errorf("LatestRunStart = %v, %v; want %v", last, err, now)
		}
		hs, _ = db.Holdings(ctx, now)
		for _, h := range hs {
			if h.Class == store.ClassErasedPersons && h.Total() != 7 {
				t.Errorf("Holdings erased persons = %d, want 7 from the run", h.Total())
			}
		}
	})
}
