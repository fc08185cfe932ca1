package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestSpotCheckStore: drawn pairs are kept once (drawing one again leaves
// it alone), listed oldest first, open or all; a decision is kept once —
// a second one is a conflict, a pair never drawn not found — on SQLite
// and PostgreSQL alike.
func TestSpotCheckStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		draw := []store.SpotCheck{
			{ApplicationID: "app_b", CandidateID: "app_a", Probability: 0.62, BandPairs: 3, DrawnBy: "stf_adm", DrawnAt: at},
			{ApplicationID: "app_c", CandidateID: "app_a", Probability: 0.51, BandPairs: 1, DrawnBy: "stf_adm", DrawnAt: at.Add(time.Minute)},
		}
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.InsertSpotChecks(ctx, draw) })
		again := draw[0]
		again.Probability, again.DrawnBy = 0.7, "stf_other"
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.InsertSpotChecks(ctx, []store.SpotCheck{again})
		})

		open, err := db.SpotChecks(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 2 || open[0].ApplicationID != "app_b" || open[0].DrawnBy != "stf_adm" || open[0].BandPairs != 3 ||
			open[0].Probability < 0.619 || open[0].Probability > 0.621 || !open[0].DrawnAt.Equal(at) || open[0].Same != nil {
			t.Fatalf("open spot checks %+v, want the two drawn, the first as first drawn", open)
		}
		decided := at.Add(time.Hour)
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.DecideSpotCheck(ctx, "app_b", "app_a", true, "stf_sup", decided)
		})
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.DecideSpotCheck(ctx, "app_b", "app_a", false, "stf_sup2", decided) })
		if !errors.Is(err, errs.ErrConflict) {
			t.Errorf("deciding a decided pair: %v, want a conflict", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.DecideSpotCheck(ctx, "app_a", "app_b", false, "stf_sup", decided) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deciding a pair never drawn (the other way round): %v, want not found", err)
		}
		c, err := db.SpotCheckPair(ctx, "app_b", "app_a")
		if err != nil {
			t.Fatal(err)
		}
		if c.Same == nil || !*c.Same || c.DecidedBy != "stf_sup" || !c.DecidedAt.Equal(decided) {
			t.Errorf("decided pair %+v, want same person by stf_sup at %s", c, decided)
		}
		if _, err := db.SpotCheckPair(ctx, "app_x", "app_y"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SpotCheckPair(unknown) = %v, want not found", err)
		}
		if open, _ = db.SpotChecks(ctx, true); len(open) != 1 || open[0].ApplicationID != "app_c" {
			t.Errorf("open after one decision %+v, want app_c's", open)
		}
		if all, _ := db.SpotChecks(ctx, false); len(all) != 2 {
			t.Errorf("all spot checks %d, want 2", len(all))
		}
	})
}
