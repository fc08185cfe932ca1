package enroll

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// The dashboard's counts by status are a scan of a site's applications:
// nothing at a program's start, about 0.4 s at 1.5 million. Once a site
// holds countCacheMin applications, its counts are kept and rescanned in
// the background once they are countCacheTTL old: a page view never waits
// for that scan, it shows the kept counts, which may be up to countCacheTTL
// plus one scan behind (each server scans a site at most once per
// countCacheTTL). A small program always sees exact counts: below
// countCacheMin every view scans. One scan of a site at a time per
// server: a view that finds nothing kept (a small program, or a server
// that just started) waits for the scan under way instead of starting
// the same one again. Scans run under the service's life (Close ends
// them), never a request's, and each is bounded by countScanTimeout.
const (
	countCacheMin    = 10_000
	countCacheTTL    = 15 * time.Second
	countScanTimeout = time.Minute
)

type countCache struct {
	// minApps is the size from which a site's counts are kept.
	minApps int
	ttl     time.Duration
	// life bounds the background scans; stop ends it and wg waits for them.
	life context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	bySite map[string]cachedCounts
	// scanning holds the scans under way, by site.
	scanning map[string]*countScan
}

func newCountCache() *countCache {
	life, stop := context.WithCancel(context.Background())
	return &countCache{minApps: countCacheMin, ttl: countCacheTTL, life: life, stop: stop,
		bySite: map[string]cachedCounts{}, scanning: map[string]*countScan{}}
}

// countScan is one scan of a site's counts; done closes when m and err are set.
type countScan struct {
	done chan struct{}
	m    map[Status]int
	err  error
}

type cachedCounts struct {
	at time.Time
	m  map[Status]int
}

// errClosing answers a dashboard that needs a scan after Close.
var errClosing = errors.New("count applications: the server is shutting down")

// Close ends the background count scans and waits for them, so the
// database can close after it; a view that needs a scan afterwards gets
// an error. It is safe to call more than once.
func (s *Service) Close() {
	c := s.counts
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.wg.Wait()
}

// WarmCounts starts, in the background, the count scans of the given
// sites ("" is every site, a supervisor's dashboard) that have nothing
// kept, so the first dashboards after a server starts need not wait.
func (s *Service) WarmCounts(sites ...string) {
	c := s.counts
	now := s.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, site := range sites {
		if _, kept := c.bySite[site]; !kept && c.scanning[site] == nil {
			s.startCountScan(site, now)
		}
	}
}

// countApplications is Store.CountApplications through the count cache.
func (s *Service) countApplications(ctx context.Context, site string) (map[Status]int, error) {
	c := s.counts
	now := s.now()
	c.mu.Lock()
	e, kept := c.bySite[site]
	scan := c.scanning[site]
	if kept {
		if age := now.Sub(e.at); (age >= c.ttl || age < 0) && scan == nil {
			s.startCountScan(site, now)
		}
		c.mu.Unlock()
		return maps.Clone(e.m), nil
	}
	if scan == nil {
		scan = s.startCountScan(site, now)
	}
	c.mu.Unlock()
	select {
	case <-scan.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if scan.err != nil {
		return nil, scan.err
	}
	return maps.Clone(scan.m), nil
}

// startCountScan starts a scan of site's counts, kept as of at (the
// time it starts); c.mu is held.
func (s *Service) startCountScan(site string, at time.Time) *countScan {
	c := s.counts
	scan := &countScan{done: make(chan struct{})}
	if c.closed {
		scan.err = errClosing
		close(scan.done)
		return scan
	}
	c.scanning[site] = scan
	life := c.life
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(life, countScanTimeout)
		m, err := s.db.CountApplications(ctx, site)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("count applications: no answer within %v: %w", countScanTimeout, err)
		}
		scan.m, scan.err = m, err
		total := 0
		for _, n := range m {
			total += n
		}
		c.mu.Lock()
		delete(c.scanning, site)
		switch {
		case err != nil:
			// Keep what was kept: the next view past the expiry tries again.
		case total >= c.minApps:
			c.bySite[site] = cachedCounts{at: at, m: maps.Clone(m)}
		default:
			delete(c.bySite, site)
		}
		c.mu.Unlock()
		close(scan.done)
	}()
	return scan
}
