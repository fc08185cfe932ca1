package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestPendingScreening: the applications taken while an index loaded are
// listed, and marking one screened works once — a second server's attempt
// (or one after a decision) is a conflict, and it is no longer listed.
func TestPendingScreening(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		for i, id := range []string{"app_2", "app_1", "app_3"} {
			a := newApp(id, id)
			a.Status, a.ReviewReason = enroll.StatusNeedsReview, enroll.ReviewScreeningPending
			if i == 2 {
				a.ReviewReason = enroll.ReviewPossibleDuplicate
			}
			if err := insert(t, db, a); err != nil {
				t.Fatal(err)
			}
		}
		ids, err := db.PendingScreening(ctx, 10)
		if err != nil || !slices.Equal(ids, []string{"app_1", "app_2"}) {
			t.Fatalf("PendingScreening = %v, %v; want app_1, app_2", ids, err)
		}
		mark := func(id string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				return tx.SetScreened(ctx, id, enroll.StatusSubmitted, "", time.Now())
			})
		}
		if err := mark("app_1"); err != nil {
			t.Fatal(err)
		}
		if err := mark("app_1"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("screening app_1 twice: %v, want ErrConflict", err)
		}
		if err := mark("app_3"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("marking an application not pending: %v, want ErrConflict", err)
		}
		got, err := db.Application(ctx, "app_1")
		if err != nil || got.Status != enroll.StatusSubmitted || got.ReviewReason != "" {
			t.Errorf("app_1 after SetScreened = %s/%q (%v), want submitted with no reason", got.Status, got.ReviewReason, err)
		}
		if ids, err := db.PendingScreening(ctx, 10); err != nil || !slices.Equal(ids, []string{"app_2"}) {
			t.Errorf("PendingScreening after one screened = %v, %v; want app_2", ids, err)
		}
	})
}
