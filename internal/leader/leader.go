// Package leader picks one app server to run the background jobs (purges,
// audit checkpoints, reminders, expiry) when several share a PostgreSQL
// database: the one holding a session-level advisory lock. When the leader
// dies its database session ends, PostgreSQL frees the lock, and another
// server takes it within one poll interval.
package leader

import (
	"context"
	"log/slog"
	"time"

	"github.com/cityid/cityid/internal/store"
)

// JobsLock is the advisory-lock key of the background jobs. Session and
// transaction advisory locks share one key space: the store's transaction
// locks use 7314001 (migrations), 7314002 (the audit chain's head) and
// 7314003 (status lists), which this must never equal (a leader holding
// one of those would stall every other server's writes).
const JobsLock int64 = 7314100

// Elector runs lead on this server while it holds the lock.
type Elector struct {
	DB  *store.DB
	Key int64
	// Poll is how often a follower tries to take the lock and a leader
	// checks that it still holds it (default 5 s).
	Poll time.Duration
	Log  *slog.Logger
	// OnChange, when set, is told when this server becomes or stops being
	// the leader (metrics, tests).
	OnChange func(leading bool)
}

// Run campaigns until ctx ends. While this server leads, lead runs with a
// context cancelled as soon as the lock is lost (its connection died, the
// database restarted); lead must return then, and the server campaigns
// again.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) {
	poll := e.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	log := e.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		lock, ok, err := e.DB.TryLock(ctx, e.Key)
		if err != nil && ctx.Err() == nil {
			log.Warn("leader election: cannot reach the database", "error", err)
		}
		if ok {
			e.lead(ctx, lock, t, log, lead)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Elector) lead(ctx context.Context, lock *store.SessionLock, t *time.Ticker, log *slog.Logger, lead func(context.Context)) {
	log.Info("leading the background jobs")
	if e.OnChange != nil {
		e.OnChange(true)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	for lctx.Err() == nil {
		select {
		case <-lctx.Done():
		case <-done:
			cancel()
		case <-t.C:
			check, cc := context.WithTimeout(lctx, 5*time.Second)
			if err := lock.Alive(check); err != nil && lctx.Err() == nil {
				log.Warn("lost the lead of the background jobs", "error", err)
				cancel()
			}
			cc()
		}
	}
	<-done
	rel, rc := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	lock.Release(rel)
	rc()
	if e.OnChange != nil {
		e.OnChange(false)
	}
}
