package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func seedList(t *testing.T, db *store.DB, id string) card.StatusListRecord {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	l := card.StatusListRecord{ID: id, URI: "https://id.example.gov/status/" + id, Bits: 2, Size: 131072,
		Compressed: []byte{0x78, 0x9c}, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertStatusList(ctx, l) }); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCardRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		if err := insert(t, db, newApp("app_1", "k1")); err != nil {
			t.Fatal(err)
		}
		seedList(t, db, "1")
		now := time.Now().UTC().Truncate(time.Microsecond)
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		c := card.Record{ID: "crd_1", Number: "4821093755216", ApplicationID: "app_1", PersonID: "per_app_1", Kind: "new",
			Status: "active", StatusListID: "1", StatusIndex: 77, KeyID: "kid1", IssuedAt: day, ExpiresAt: day.AddDate(5, 0, 0),
			CreatedAt: now, UpdatedAt: now}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertCard(ctx, c) }); err != nil {
			t.Fatal(err)
		}
		got, err := db.Card(ctx, "crd_1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("Card round trip (-want +got):\n%s", d)
		}
		if byNum, err := db.CardByNumber(ctx, c.Number); err != nil || byNum.ID != c.ID {
			t.Errorf("CardByNumber = %v, %v; want crd_1", byNum.ID, err)
		}

		// The same list index or number again is a conflict, not a second card.
		for name, dup := range map[string]card.Record{
			"same index":  {ID: "crd_2", Number: "1111111111116", StatusIndex: 77},
			"same number": {ID: "crd_3", Number: c.Number, StatusIndex: 78},
		} {
			d := c
			d.ID, d.Number, d.StatusIndex = dup.ID, dup.Number, dup.StatusIndex
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertCard(ctx, d) })
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: InsertCard err = %v, want ErrConflict", name, err)
			}
		}
		var used bool
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			used, err = tx.CardIndexUsed(ctx, "1", 77)
			return err
		}); err != nil || !used {
			t.Errorf("CardIndexUsed(1, 77) = %v, %v; want true", used, err)
		}

		// Status moves once; handing over needs a print first.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkCardHandedOver(ctx, "crd_1", now) }); !errors.Is(err, store.ErrConflict) {
			t.Errorf("hand over before print err = %v, want ErrConflict", err)
		}
		for i := 0; i < 2; i++ {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.MarkCardPrinted(ctx, "crd_1", "kid2", now.Add(time.Duration(i)*time.Hour))
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkCardHandedOver(ctx, "crd_1", now) }); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Card(ctx, "crd_1")
		if !got.PrintedAt.Equal(now) || got.PrintCount != 2 || !got.HandedOverAt.Equal(now) || got.KeyID != "kid2" {
			t.Errorf("after two prints and a handover: printed %v count %d handed %v; want first print, 2, %v", got.PrintedAt, got.PrintCount, got.HandedOverAt, now)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetCardStatus(ctx, "crd_1", "active", "revoked", "fraud", now) }); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetCardStatus(ctx, "crd_1", "active", "suspended", "x", now) }); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second status change from active err = %v, want ErrConflict", err)
		}
		list, err := db.ListCards(ctx, card.Filter{ApplicationID: "app_1", Statuses: []card.Status{"revoked"}})
		if err != nil || len(list) != 1 || list[0].Reason != "fraud" {
			t.Errorf("ListCards(revoked) = %+v, %v; want crd_1 with reason fraud", list, err)
		}
		// What the application workflow sees of an application's cards.
		of, err := db.CardsOf(ctx, "app_1")
		if d := cmp.Diff([]enroll.IssuedCard{{ID: "crd_1", HandedOverAt: now}}, of); err != nil || d != "" {
			t.Errorf("CardsOf(app_1) err %v, diff (-want +got):\n%s", err, d)
		}
		if none, err := db.CardsOf(ctx, "app_2"); err != nil || len(none) != 0 {
			t.Errorf("CardsOf(app_2) = %v, %v; want none", none, err)
		}
	})
}

func TestStatusListOptimisticUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := seedList(t, db, "1")
		l.Compressed, l.Used = []byte("new"), 1
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateStatusList(ctx, l, time.Now()) }); err != nil {
			t.Fatal(err)
		}
		// A writer holding the old version loses.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateStatusList(ctx, l, time.Now()) }); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale UpdateStatusList err = %v, want ErrConflict", err)
		}
		got, err := db.StatusListByURI(ctx, l.URI)
		if err != nil || got.Version != 2 || string(got.Compressed) != "new" || got.Used != 1 {
			t.Errorf("StatusListByURI = %+v, %v; want version 2 with the new bytes", got, err)
		}
		var open card.StatusListRecord
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			open, err = tx.OpenStatusList(ctx, 1)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("OpenStatusList(maxUsed 1) = %v, %v; want ErrNotFound (the list is full)", open.ID, err)
		}
	})
}

func TestVerificationCounters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, c := range []struct{ day, partner, outcome string }{
			{"2026-03-01", "bank", "valid"}, {"2026-03-01", "bank", "valid"}, {"2026-03-01", "bank", "revoked"},
			{"2026-03-02", "library", "valid"}, {"2026-04-01", "bank", "valid"},
		} {
			if err := db.CountVerification(ctx, c.day, c.partner, c.outcome); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.VerificationCounts(ctx, "2026-03-01", "2026-03-31")
		if err != nil {
			t.Fatal(err)
		}
		want := []card.VerificationCount{
			{Day: "2026-03-01", Partner: "bank", Outcome: "revoked", Checks: 1},
			{Day: "2026-03-01", Partner: "bank", Outcome: "valid", Checks: 2},
			{Day: "2026-03-02", Partner: "library", Outcome: "valid", Checks: 1},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("VerificationCounts (-want +got):\n%s", d)
		}
	})
}
