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
