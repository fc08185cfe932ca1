package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestMeterRecentRate: a log line gives the average rate, the rate since
// the previous line and the time left at that recent rate, so a load that
// slows as the city grows says so.
func TestMeterRecentRate(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	p := &meter{w: &buf, label: "loading residents", total: 10000, start: start, last: start, prevAt: start}
	steps := []struct {
		after time.Duration
		done  int64
		want  string
	}{
		{10 * time.Second, 1000, "loading residents: 1000/10000 (10%, 100/s, now 100/s, 1m30s left)"},
		{20 * time.Second, 1500, "loading residents: 1500/10000 (15%, 75/s, now 50/s, 2m50s left)"},
		{30 * time.Second, 10000, "loading residents: 10000/10000 (100%, 333/s, now 850/s)"},
	}
	for _, s := range steps {
		p.done = s.done
		buf.Reset()
		p.draw(start.Add(s.after))
		if got := strings.TrimSpace(buf.String()); got != s.want {
			t.Errorf("after %v at %d: %q, want %q", s.after, s.done, got, s.want)
		}
	}
}

// TestLinkageProgressInLogs: off a terminal, a linkage run's long stages
// each end with a line saying they are done, and short ones say nothing
// (they finish before anyone would read a log).
func TestLinkageProgressInLogs(t *testing.T) {
	var buf bytes.Buffer
	progress := linkageProgress(&buf)
	for _, st := range []struct {
		stage string
		total int
	}{{"blocking", 200_000}, {"scoring", 150_000}, {"clusters", 5_000}} {
		for done := 0; done <= st.total; done += st.total / 4 {
			progress(st.stage, done, st.total)
		}
		progress(st.stage, st.total, st.total) // workers may report the end twice
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		lines = append(lines, l[:strings.Index(l, " (")])
	}
	want := []string{"linkage: blocking: 200000/200000", "linkage: scoring: 150000/150000"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("progress lines = %q, want %q (from %q)", lines, want, buf.String())
	}
}
