package enroll

import (
	"context"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// countingStore answers CountApplications and counts the scans.
type countingStore struct {
	Store
	scans int
	n     int
}

func (c *countingStore) CountApplications(ctx context.Context, siteID string) (map[Status]int, error) {
	c.scans++
	return map[Status]int{StatusApproved: c.n}, nil
}

// TestCountsCache: a large site's dashboard counts are scanned once per
// countCacheTTL, not at every page view; a small program's are exact.
func TestCountsCache(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	clerk := auth.Actor{StaffID: "stf_1", Role: auth.RoleClerk, SiteID: "sit_1"}
	tests := []struct {
		name      string
		n         int
		wantScans int
	}{
		{"small program: every view scans", 10, 4},
		{"large city: one scan per ttl", countCacheMin, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &countingStore{n: tc.n}
			s := &Service{db: st, now: clock, counts: &countCache{min: countCacheMin, ttl: countCacheTTL, bySite: map[string]cachedCounts{}}}
			views := []time.Duration{0, time.Second, countCacheTTL - time.Second, countCacheTTL + time.Second}
			start := now
			for _, d := range views {
				now = start.Add(d)
				m, err := s.Counts(context.Background(), clerk)
				if err != nil || m[StatusApproved] != tc.n {
					t.Fatalf("Counts at +%v = %v, %v; want %d approved", d, m, err, tc.n)
				}
			}
			now = start
			if st.scans != tc.wantScans {
				t.Errorf("%d views scanned %d times, want %d", len(views), st.scans, tc.wantScans)
			}
		})
	}
}
