package store_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func TestStatsWalks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		march := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		may := time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC)
		for _, a := range []struct {
			id, status         string
			submitted, decided time.Time
			waiver             string
		}{
			{"app_draft", "draft", time.Time{}, time.Time{}, ""},
			{"app_sub", "submitted", march, time.Time{}, ""},
			{"app_ok", "issued", march, may, "hardship"},
			{"app_old", "rejected", march.AddDate(-1, 0, 0), march.AddDate(-1, 0, 1), ""},
		} {
			row := newApp(a.id, "")
			row.Status, row.SubmittedAt, row.DecidedAt, row.WaiverReason = enroll.Status(a.status), a.submitted, a.decided, a.waiver
			if err := insert(t, db, row); err != nil {
				t.Fatal(err)
			}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO status_lists (id, uri, bits, size, compressed, version, created_at, updated_at)
				VALUES ('sl_1', 'https://x/1', 1, 8, ?, 1, 1, 1)`, []byte{0}); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO cards (id, number, application_id, person_id, kind, status, status_list_id, status_index,
				key_id, issued_at, expires_at, waiver_reason, created_at, updated_at)
				VALUES ('crd_1', '1234', 'app_ok', 'per_app_ok', 'new', 'active', 'sl_1', 3, 'k', ?, ?, 'hardship', ?, ?)`,
				may.UnixMicro(), may.UnixMicro(), may.UnixMicro(), may.UnixMicro())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		var got []store.StatsApplication
		if err := db.WalkStatsApplications(ctx, from, to, func(a store.StatsApplication) { got = append(got, a) }); err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, a := range got {
			statuses = append(statuses, a.Status)
		}
		if diff := cmp.Diff([]string{"issued", "submitted"}, sortedCopy(statuses)); diff != "" {
			t.Errorf("applications in 2026 by status (-want +got):\n%s", diff)
		}
		var cards []store.StatsCard
		if err := db.WalkStatsCards(ctx, from, to, func(c store.StatsCard) { cards = append(cards, c) }); err != nil {
			t.Fatal(err)
		}
		want := []store.StatsCard{{SiteID: "site_a", Language: "es", AgeCategory: "adult", Kind: "new", WaiverReason: "hardship", IssuedAt: may}}
		if diff := cmp.Diff(want, cards); diff != "" {
			t.Errorf("cards (-want +got):\n%s", diff)
		}
	})
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
