package enroll

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// countingStore answers CountApplications with n approved and counts the
// scans; a scan may be held until release gets a value (nil: never held).
type countingStore struct {
	Store
	mu      sync.Mutex
	scans   int
	n       int
	started atomic.Int32
	release chan struct{}
}

func (c *countingStore) CountApplications(ctx context.Context, siteID string) (map[Status]int, error) {
	c.started.Add(1)
	if c.release != nil {
		select {
		case <-c.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scans++
	return map[Status]int{StatusApproved: c.n}, nil
}

// set changes what the next scan finds.
func (c *countingStore) set(n int) {
	c.mu.Lock()
	c.n = n
	c.mu.Unlock()
}

func (c *countingStore) scanned() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scans
}

// idle waits for the background scans under way to end.
func idle(s *Service) {
	for {
		s.counts.mu.Lock()
		n := len(s.counts.scanning)
		s.counts.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

var countsClerk = auth.Actor{StaffID: "stf_1", Role: auth.RoleClerk, SiteID: "sit_1"}

// countsWithin calls Counts and fails the test if it does not answer
// within a generous bound: a dashboard that waits for a held scan would
// never answer.
func countsWithin(t *testing.T, s *Service) map[Status]int {
	t.Helper()
	type result struct {
		m   map[Status]int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := s.Counts(context.Background(), countsClerk)
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Counts: %v", r.err)
		}
		return r.m
	case <-time.After(10 * time.Second):
		t.Fatal("the dashboard waited for a count scan")
		return nil
	}
}

// TestCountsCache: a large site's dashboard counts are scanned once per
// countCacheTTL, not at every page view, and a view past the expiry shows
// the kept counts while they are scanned again; a small program's counts
// are exact at every view.
func TestCountsCache(t *testing.T) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		n    int
		// want: approved shown at each view; the city grows by one before each view.
		want      []int
		wantScans int
	}{
		{"small program: every view scans", 10, []int{10, 11, 12, 13, 14}, 5},
		{"large city: kept for the ttl, then refreshed behind the view", countCacheMin,
			// +ttl+1s: the kept counts, and a scan starts; +ttl+2s: its result.
			[]int{countCacheMin, countCacheMin, countCacheMin, countCacheMin, countCacheMin + 3}, 2},
	}
	views := []time.Duration{0, time.Second, countCacheTTL - time.Second, countCacheTTL + time.Second, countCacheTTL + 2*time.Second}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			now := start
			st := &countingStore{n: tc.n}
			s := &Service{db: st, now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }, counts: newCountCache()}
			defer s.Close()
			for i, d := range views {
				mu.Lock()
				now = start.Add(d)
				mu.Unlock()
				st.set(tc.n + i)
				if m := countsWithin(t, s); m[StatusApproved] != tc.want[i] {
					t.Errorf("view at +%v shows %d approved, want %d", d, m[StatusApproved], tc.want[i])
				}
				idle(s)
			}
			if n := st.scanned(); n != tc.wantScans {
				t.Errorf("%d views scanned %d times, want %d", len(views), n, tc.wantScans)
			}
		})
	}
}

// When a large site's counts expire, dashboards show the expired counts
// at once while one scan refreshes them in the background; none waits for
// it, and none starts a second one.
func TestCountsCacheOneScanAtATime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	st := &countingStore{n: countCacheMin, release: make(chan struct{})}
	s := &Service{db: st, now: func() time.Time { return now }, counts: newCountCache()}
	defer s.Close()
	s.counts.bySite["sit_1"] = cachedCounts{at: now.Add(-2 * countCacheTTL), m: map[Status]int{StatusApproved: 7}}
	for range 5 {
		if m := countsWithin(t, s); m[StatusApproved] != 7 {
			t.Fatalf("Counts during the refresh = %v; want the 7 kept approved", m)
		}
	}
	s.counts.mu.Lock()
	under := len(s.counts.scanning)
	s.counts.mu.Unlock()
	if under != 1 {
		t.Errorf("5 views of expired counts left %d scans under way, want 1", under)
	}
	close(st.release)
	idle(s)
	if n := st.started.Load(); n != 1 {
		t.Errorf("5 views of expired counts started %d scans, want 1", n)
	}
	if m := countsWithin(t, s); m[StatusApproved] != countCacheMin || st.scanned() != 1 {
		t.Fatalf("Counts after the refresh = %v after %d scans; want %d approved from one scan", m, st.scanned(), countCacheMin)
	}
}

// Right after a server starts nothing is kept: dashboards opened together
// share one scan instead of each scanning the site; WarmCounts starts it
// before anyone asks.
func TestCountsCacheColdShared(t *testing.T) {
	for _, warm := range []bool{false, true} {
		now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		st := &countingStore{release: make(chan struct{}), n: countCacheMin}
		s := &Service{db: st, now: func() time.Time { return now }, counts: newCountCache()}
		if warm {
			s.WarmCounts("", "sit_1")
		}
		const views = 8
		results := make(chan int, views)
		for range views {
			go func() {
				m, err := s.Counts(context.Background(), countsClerk)
				if err != nil {
					t.Error(err)
				}
				results <- m[StatusApproved]
			}()
		}
		// Let every view reach the cache, then finish the scans.
		for st.started.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		close(st.release)
		for range views {
			if n := <-results; n != countCacheMin {
				t.Errorf("warm %v: a dashboard got %d approved, want %d", warm, n, countCacheMin)
			}
		}
		want := int32(1)
		if warm {
			want = 2 // the site and every site ("")
		}
		idle(s)
		if n := st.started.Load(); n != want {
			t.Errorf("warm %v: %d dashboards opened together made %d scans, want %d", warm, views, n, want)
		}
		s.Close()
	}
}

// Close ends a background scan the database holds and waits for it; a
// dashboard that then needs a scan is told the server is shutting down.
func TestCountsClose(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	st := &countingStore{n: countCacheMin, release: make(chan struct{})}
	s := &Service{db: st, now: func() time.Time { return now }, counts: newCountCache()}
	s.counts.bySite["sit_1"] = cachedCounts{at: now.Add(-2 * countCacheTTL), m: map[Status]int{StatusApproved: 7}}
	countsWithin(t, s) // starts the refresh, which the store holds
	for st.started.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close() // returns only once the held scan has ended
	if len(s.counts.scanning) != 0 {
		t.Errorf("after Close %d scans are under way, want none", len(s.counts.scanning))
	}
	delete(s.counts.bySite, "sit_1")
	if _, err := s.Counts(context.Background(), countsClerk); !errors.Is(err, errClosing) {
		t.Errorf("Counts after Close: err = %v, want %v", err, errClosing)
	}
}
