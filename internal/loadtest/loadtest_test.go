package loadtest

import (
	"strings"
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
