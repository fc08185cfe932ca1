package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// The lists read each status in order from an index and merge the parts:
// every filter and page gives exactly the rows, in exactly the order, of
// sorting all matching applications (drafts by their last change,
// others by submission, then id).
func TestListApplicationsOrderAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateSite(ctx, store.Site{ID: "site_b", Name: "Partner", Kind: "partner", Active: true, CreatedAt: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		statuses := []enroll.Status{enroll.StatusDraft, enroll.StatusSubmitted, enroll.StatusNeedsReview,
			enroll.StatusApproved, enroll.StatusRejected, enroll.StatusIssued}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var all []enroll.Record
		for i := range 41 {
			a := newApp(fmt.Sprintf("app_%02d", i), fmt.Sprintf("k%d", i))
			a.Status = statuses[i%len(statuses)]
			if i%3 == 0 {
				a.SiteID = "site_b"
			}
			// Times interleave across statuses; some tie, broken by id.
			a.UpdatedAt = t0.Add(time.Duration((i*7)%13) * time.Minute)
			if a.Status != enroll.StatusDraft {
				a.SubmittedAt = t0.Add(time.Duration((i*5)%11) * time.Minute)
			}
			if err := insert(t, db, a); err != nil {
				t.Fatal(err)
			}
			all = append(all, a)
		}
		key := func(a enroll.Record) time.Time {
			if a.SubmittedAt.IsZero() {
				return a.UpdatedAt
			}
			return a.SubmittedAt
		}
		slices.SortFunc(all, func(a, b enroll.Record) int {
			if c := key(a).Compare(key(b)); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, tt := range []struct {
			name string
			f    enroll.ListFilter
		}{
			{"everything", enroll.ListFilter{}},
			{"one site", enroll.ListFilter{SiteID: "site_a"}},
			{"queue", enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview}}},
			{"site and status", enroll.ListFilter{SiteID: "site_b", Statuses: []enroll.Status{enroll.StatusApproved}}},
			{"reference", enroll.ListFilter{ReferencePrefix: "REF-app_1"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var want []string
				for _, a := range all {
					if (tt.f.SiteID == "" || a.SiteID == tt.f.SiteID) && (len(tt.f.Statuses) == 0 || slices.Contains(tt.f.Statuses, a.Status)) &&
						strings.HasPrefix(a.Reference, tt.f.ReferencePrefix) {
						want = append(want, a.ID)
					}
				}
				var got []string
				for off := 0; off <= len(want)+4; off += 4 {
					f := tt.f
					f.Limit, f.Offset = 4, off
					page, err := db.ListApplications(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range page {
						got = append(got, s.ID)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages of 4 = %v,\nwant %v", got, want)
				}
			})
		}
	})
}
