package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// WalkCashEntries yields a renewal or replacement card's fee with who took
// it, where and how, as its own kind; card rows without a recorded taker
// (first issues, rows from before schema 17) yield nothing.
func TestWalkCashEntriesCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		row := newApp("app_ok", "")
		row.Status, row.SubmittedAt = enroll.Status("issued"), day
		if err := insert(t, db, row); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO status_lists (id, uri, bits, size, compressed, version, created_at, updated_at)
				VALUES ('sl_1', 'https://x/1', 1, 8, ?, 1, 1, 1)`, []byte{0}); err != nil {
				return err
			}
			for i, c := range []struct{ id, kind, taker, method string }{
				{"crd_first", "new", "", ""},
				{"crd_old", "replacement", "", ""}, // as a row from before the taker was recorded
				{"crd_rep", "replacement", "stf_maria", "cash"},
			} {
				_, err := tx.Exec(ctx, `INSERT INTO cards (id, number, application_id, person_id, kind, status, status_list_id, status_index,
					key_id, issued_at, expires_at, fee_cents, created_at, updated_at, fee_taken_by, fee_site_id, payment_method)
					VALUES (?, ?, 'app_ok', 'per_app_ok', ?, 'active', 'sl_1', ?, 'k', ?, ?, 1000, ?, ?, ?, 'site_b', ?)`,
					c.id, c.id, c.kind, i, day.UnixMicro(), day.UnixMicro(), day.UnixMicro(), day.UnixMicro(), c.taker, c.method)
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var cards []store.CashEntry
		apps := 0
		err = db.WalkCashEntries(ctx, day.Add(-time.Hour), day.Add(time.Hour), func(e store.CashEntry) {
			if e.Kind == "" {
				apps++
				return
			}
			cards = append(cards, e)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.CashEntry{{Kind: "replacement", ClerkID: "stf_maria", SiteID: "site_b", Method: "cash", Cents: 1000, At: day}}
		if diff := cmp.Diff(want, cards); diff != "" || apps != 1 {
			t.Errorf("card cash entries (-want +got):\n%s\napplications: %d, want 1", diff, apps)
		}
	})
}
