package enroll

import (
	"context"
	"sync/atomic"
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

// When a large site's counts expire while another request is scanning
// them again, a dashboard shows the expired counts instead of waiting for
// a second scan of its own.
func TestCountsCacheOneScanAtATime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clerk := auth.Actor{StaffID: "stf_1", Role: auth.RoleClerk, SiteID: "sit_1"}
	st := &countingStore{n: countCacheMin}
	s := &Service{db: st, now: func() time.Time { return now }, counts: &countCache{min: countCacheMin, ttl: countCacheTTL, bySite: map[string]cachedCounts{
		"sit_1": {at: now.Add(-2 * countCacheTTL), m: map[Status]int{StatusApproved: 7}},
	}, scanning: map[string]*countScan{"sit_1": {done: make(chan struct{})}}}}
	m, err := s.Counts(context.Background(), clerk)
	if err != nil || m[StatusApproved] != 7 || st.scans != 0 {
		t.Fatalf("Counts during another scan = %v, %v after %d scans; want the 7 kept approved, no scan", m, err, st.scans)
	}
	// That scan ends; the next view past the expiry scans and refreshes.
	s.counts.scanning = map[string]*countScan{}
	if m, err = s.Counts(context.Background(), clerk); err != nil || m[StatusApproved] != countCacheMin || st.scans != 1 {
		t.Fatalf("Counts after the scan ended = %v, %v after %d scans; want %d approved from one scan", m, err, st.scans, countCacheMin)
	}
}

// Right after a server starts nothing is kept: dashboards opened together
// share one scan instead of each scanning the site.
func TestCountsCacheColdShared(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clerk := auth.Actor{StaffID: "stf_1", Role: auth.RoleClerk, SiteID: "sit_1"}
	st := &blockingStore{release: make(chan struct{}), n: countCacheMin}
	s := &Service{db: st, now: func() time.Time { return now }, counts: &countCache{min: countCacheMin, ttl: countCacheTTL, bySite: map[string]cachedCounts{}}}
	const views = 8
	results := make(chan int, views)
	for range views {
		go func() {
			m, err := s.Counts(context.Background(), clerk)
			if err != nil {
				t.Error(err)
			}
			results <- m[StatusApproved]
		}()
	}
	// Let every view reach the cache, then finish the one scan.
	for st.started.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(st.release)
	for range views {
		if n := <-results; n != countCacheMin {
			t.Errorf("a dashboard got %d approved, want %d", n, countCacheMin)
		}
	}
	if n := st.started.Load(); n != 1 {
		t.Errorf("%d dashboards opened together scanned %d times, want 1", views, n)
	}
}

// blockingStore's count waits for release.
type blockingStore struct {
	Store
	started atomic.Int32
	release chan struct{}
	n       int
}

func (b *blockingStore) CountApplications(ctx context.Context, siteID string) (map[Status]int, error) {
	b.started.Add(1)
	<-b.release
	return map[Status]int{StatusApproved: b.n}, nil
}
