// Package loadtest drives a running cityid server the way its staff use it
// — signed-in clerks walking the staff pages, or submitting complete
// intakes with photos — and reports latency percentiles per page group and
// the rate of submitted applications. It speaks plain HTTP to the server
// (or to the proxy in front of several), so what it measures is what a
// clerk's browser would wait for.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Session is a staff member already signed in (password and second
// factor done): the session cookie a browser would send.
type Session struct {
	Username   string
	Cookie     *http.Cookie
	Supervisor bool // also searches and opens the review queue
}

// Options say what to drive and for how long.
type Options struct {
	URL      string // the server or proxy, e.g. http://127.0.0.1:8080
	Sessions []Session
	Duration time.Duration
	// Think is the pause between one user's requests; 0 sends the next
	// request as soon as the last answered (the worst case).
	Think time.Duration
	// Progress gets a line every Every (default 10 s) while the test runs.
	Progress io.Writer
	Every    time.Duration
}

// Group is the latency of one kind of page.
type Group struct {
	Name               string
	Count, Errors      int
	P50, P95, P99, Max time.Duration
	FirstError         string // status and path of the first failure, never a body
}

// Report is what a run measured.
type Report struct {
	Elapsed   time.Duration
	Requests  int
	Errors    int
	Submitted int // intake: applications submitted (the form answered with the receipt)
	Groups    []Group
	// CPU is the load tool's own CPU time over the run (not its start and
	// sign-ins), to subtract from the machine's when it shares the
	// server's cores; 0 where the system does not say.
	CPU time.Duration
}

// Rate is submitted applications a second.
func (r Report) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Submitted) / r.Elapsed.Seconds()
}

// Write prints the report as a table.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%d requests in %s (%.1f/s), %d failed\n", r.Requests, r.Elapsed.Round(time.Millisecond),
		float64(r.Requests)/max(r.Elapsed.Seconds(), 1e-9), r.Errors)
	if r.Submitted > 0 {
		fmt.Fprintf(w, "%d applications submitted (%.1f/s)\n", r.Submitted, r.Rate())
	}
	if r.CPU > 0 {
		line := fmt.Sprintf("load tool CPU during the run: %.2f s", r.CPU.Seconds())
		if r.Submitted > 0 {
			line += fmt.Sprintf(" (%.2f ms an application)", ms(r.CPU)/float64(r.Submitted))
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%-14s %7s %6s %9s %9s %9s %9s\n", "page", "count", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, g := range r.Groups {
		fmt.Fprintf(w, "%-14s %7d %6d %9.1f %9.1f %9.1f %9.1f\n", g.Name, g.Count, g.Errors, ms(g.P50), ms(g.P95), ms(g.P99), ms(g.Max))
	}
	for _, g := range r.Groups {
		if g.FirstError != "" {
			fmt.Fprintf(w, "first failure in %s: %s\n", g.Name, g.FirstError)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// recorder collects latencies per group from many goroutines.
type recorder struct {
	mu       sync.Mutex
	lat      map[string][]time.Duration
	errs     map[string]int
	first    map[string]string
	order    []string
	submits  int
	interval []time.Duration // since the last progress line
}

func newRecorder(groups ...string) *recorder {
	return &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}, first: map[string]string{}, order: groups}
}

func (r *recorder) add(group string, d time.Duration, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat[group] = append(r.lat[group], d)
	r.interval = append(r.interval, d)
	if failure != "" {
		r.errs[group]++
		if r.first[group] == "" {
			r.first[group] = failure
		}
	}
}

// fail counts a failure in group that add already timed.
func (r *recorder) fail(group, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[group]++
	if r.first[group] == "" {
		r.first[group] = failure
	}
}

func (r *recorder) submitted() {
	r.mu.Lock()
	r.submits++
	r.mu.Unlock()
}

// progress writes one line: totals so far and the p99 of the last interval.
func (r *recorder) progress(w io.Writer, elapsed time.Duration) {
	r.mu.Lock()
	n, failed := 0, 0
	for g, l := range r.lat {
		n += len(l)
		failed += r.errs[g]
	}
	last := r.interval
	r.interval = nil
	submits := r.submits
	r.mu.Unlock()
	slices.Sort(last)
	line := fmt.Sprintf("%6s  %7d requests  %5d failed  last interval: %5d requests, p50 %.1f ms, p99 %.1f ms",
		elapsed.Round(time.Second), n, failed, len(last), ms(pct(last, 0.50)), ms(pct(last, 0.99)))
	if submits > 0 {
		line += fmt.Sprintf("  submitted %d (%.1f/s)", submits, float64(submits)/elapsed.Seconds())
	}
	fmt.Fprintln(w, line)
}

func (r *recorder) report(elapsed time.Duration) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{Elapsed: elapsed, Submitted: r.submits}
	for _, name := range r.order {
		l := r.lat[name]
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		g := Group{Name: name, Count: len(l), Errors: r.errs[name], FirstError: r.first[name],
			P50: pct(l, 0.50), P95: pct(l, 0.95), P99: pct(l, 0.99), Max: l[len(l)-1]}
		rep.Groups = append(rep.Groups, g)
		rep.Requests += g.Count
		rep.Errors += g.Errors
	}
	return rep
}

// pct is the p-quantile of sorted l (nearest rank).
func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(p*float64(len(l))))]
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// run starts one goroutine per session running walk until the duration
// ends or ctx is cancelled, printing progress meanwhile.
func run(ctx context.Context, o Options, rec *recorder, walk func(ctx context.Context, u *user)) Report {
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: len(o.Sessions) + 1},
		// Each page is timed alone: a redirect is not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// At the end no new request starts, and those in flight finish: a
	// submission cut off mid-way could be recorded by the server and not
	// counted here.
	start, cpu0 := time.Now(), ownCPU()
	end := start.Add(o.Duration)
	var wg sync.WaitGroup
	for i, s := range o.Sessions {
		u := &user{n: i, s: s, base: o.URL, client: client, rec: rec, think: o.Think, end: end}
		wg.Go(func() {
			// Users start spread over one think time, as clerks do: fifty
			// first clicks in the same millisecond, then their second and
			// third pages still nearly in step, measure a burst no office
			// makes (with no think time every user starts at once).
			if o.Think > 0 && !sleep(ctx, rand.N(o.Think)) {
				return
			}
			walk(ctx, u)
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			rep := rec.report(time.Since(start))
			rep.CPU = ownCPU() - cpu0
			return rep
		case <-tick.C:
			if o.Progress != nil {
				rec.progress(o.Progress, time.Since(start))
			}
		}
	}
}
