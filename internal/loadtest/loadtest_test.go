package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The report gives nearest-rank percentiles per group, in the walk's
// order, counts failures, and names the first failure without ids.
func TestReport(t *testing.T) {
	rec := newRecorder(GroupDashboard, GroupApplication, GroupSearch)
	for i := 1; i <= 100; i++ {
		rec.add(GroupDashboard, time.Duration(i)*time.Millisecond, "")
	}
	rec.add(GroupApplication, 5*time.Millisecond, "")
	rec.add(GroupApplication, 7*time.Millisecond, "GET "+route("/staff/applications/app_7hx2k9?purpose=review")+" answered 500")
	rep := rec.report(10 * time.Second)

	if len(rep.Groups) != 2 || rep.Groups[0].Name != GroupDashboard || rep.Groups[1].Name != GroupApplication {
		t.Fatalf("groups = %+v, want dashboard then application (search had no request)", rep.Groups)
	}
	d := rep.Groups[0]
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{{"p50", d.P50, 51 * time.Millisecond}, {"p95", d.P95, 96 * time.Millisecond}, {"p99", d.P99, 100 * time.Millisecond}, {"max", d.Max, 100 * time.Millisecond}} {
		if c.got != c.want {
			t.Errorf("dashboard %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if rep.Requests != 102 || rep.Errors != 1 {
		t.Errorf("requests, errors = %d, %d; want 102, 1", rep.Requests, rep.Errors)
	}
	var b strings.Builder
	rep.Write(&b)
	out := b.String()
	for _, want := range []string{"102 requests in 10s (10.2/s), 1 failed", "first failure in application: GET /staff/applications/{id} answered 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "app_7hx2k9") || strings.Contains(out, "purpose") {
		t.Errorf("report shows an application id or a query:\n%s", out)
	}
}

// With a think time, users start spread over it, as clerks arrive; with
// none, all start at once (a throughput test).
func TestUsersStartSpread(t *testing.T) {
	for _, tc := range []struct {
		think             time.Duration
		minSpread, maxSpr time.Duration
	}{
		{think: time.Second, minSpread: 300 * time.Millisecond, maxSpr: 1500 * time.Millisecond},
		{think: 0, minSpread: 0, maxSpr: 700 * time.Millisecond},
	} {
		var mu sync.Mutex
		first := map[string]time.Time{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("s"); err == nil {
				mu.Lock()
				if _, ok := first[c.Value]; !ok {
					first[c.Value] = time.Now()
				}
				mu.Unlock()
			}
			w.Write([]byte("<html></html>"))
		}))
		var sessions []Session
		for i := range 30 {
			sessions = append(sessions, Session{Username: fmt.Sprint(i), Cookie: &http.Cookie{Name: "s", Value: fmt.Sprint(i)}})
		}
		Staff(context.Background(), Options{URL: srv.URL, Sessions: sessions, Think: tc.think, Duration: 1500 * time.Millisecond})
		srv.Close()
		if len(first) != len(sessions) {
			t.Fatalf("think %v: %d of %d users made a request", tc.think, len(first), len(sessions))
		}
		var lo, hi time.Time
		for _, at := range first {
			if lo.IsZero() || at.Before(lo) {
				lo = at
			}
			if at.After(hi) {
				hi = at
			}
		}
		if spread := hi.Sub(lo); spread < tc.minSpread || spread > tc.maxSpr {
			t.Errorf("think %v: first requests spread over %v, want %v to %v", tc.think, spread, tc.minSpread, tc.maxSpr)
		}
	}
}
