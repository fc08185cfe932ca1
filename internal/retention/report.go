package retention

import (
	"context"
	"time"

	"github.com/cityid/cityid/internal/store"
)

// Report is what the system holds today, for the privacy page and
// `cityid privacy report`: counts only, never names or ids.
type Report struct {
	At        time.Time
	Policy    Policy
	Holdings  []store.Holding // per data class, by age
	DueNow    Plan            // what a purge at At would erase
	DueSoon   Plan            // what a purge 30 days later would erase
	LastRun   *store.RetentionRun
	NextPurge time.Time // the scheduler's next run (zero: at the next start of the server)
}

// Counts returns the total per data class.
func (r Report) Counts() map[string]int {
	out := make(map[string]int, len(r.Holdings))
	for _, h := range r.Holdings {
		out[h.Class] = h.Total()
	}
	return out
}

// soon is how far ahead the report previews purges.
const soon = 30 * 24 * time.Hour

// Report counts the holdings and what purges at `at` and 30 days later
// would erase. interval is the scheduler's period, for the next purge time.
func (e *Engine) Report(ctx context.Context, at time.Time, interval time.Duration) (Report, error) {
	r := Report{At: at.UTC(), Policy: e.pol}
	var err error
	if r.Holdings, err = e.db.Holdings(ctx, at); err != nil {
		return Report{}, err
	}
	if r.DueNow, err = e.Plan(ctx, at); err != nil {
		return Report{}, err
	}
	if r.DueSoon, err = e.Plan(ctx, at.Add(soon)); err != nil {
		return Report{}, err
	}
	runs, err := e.db.RetentionRuns(ctx, 1)
	if err != nil {
		return Report{}, err
	}
	if len(runs) == 1 {
		r.LastRun = &runs[0]
		if interval > 0 {
			r.NextPurge = runs[0].StartedAt.Add(interval)
		}
	}
	return r, nil
}
