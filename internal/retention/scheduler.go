package retention

import (
	"context"
	"log/slog"
	"time"
)

// Scheduler runs the purge once a day (and once shortly after start) inside
// `cityid serve`. Several servers on one PostgreSQL database may all run
// it: purges are idempotent and each batch is its own transaction.
type Scheduler struct {
	Engine *Engine
	// Interval between purges (default 24 h); Delay before the first
	// (default 5 minutes, so a restart loop does not purge in a loop).
	Interval, Delay time.Duration
	Now             func() time.Time // default time.Now
	Log             *slog.Logger
	// after, when set, is called after each purge attempt (tests).
	after func(Result, error)
}

// Run purges on schedule until ctx is cancelled. Errors are logged (counts
// and error kinds only) and retried at the next tick; they never stop the
// server.
func (s *Scheduler) Run(ctx context.Context) {
	interval, delay := s.Interval, s.Delay
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	if delay <= 0 {
		delay = 5 * time.Minute
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := s.Engine.Purge(ctx, now())
		if err != nil && ctx.Err() == nil {
			log.Error("scheduled purge failed; retrying at the next run", "error", err)
		} else if err == nil {
			log.Info("scheduled purge", "run", res.RunID, "due", res.Plan.Total(), "finished", res.Finished)
		}
		if s.after != nil {
			s.after(res, err)
		}
		t.Reset(interval)
	}
}
