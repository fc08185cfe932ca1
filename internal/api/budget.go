package api

import (
	"context"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/throttle"
)

// readBudget bounds how many personal-data records API tokens may open:
// per token an hour, and per account (all its tokens together) a day. A
// clerk's script reads dozens a day; a stolen token reading hundreds a
// minute stops at the budget, and the first refusal in a window writes an
// alert event to the audit log. With several servers on one PostgreSQL
// database the buckets are kept there (app.Guard.Share), so a token's
// budget is one across the cluster, not one per server.
type readBudget struct {
	perToken, perAccount *throttle.Limiter
	alert                func(ctx context.Context, by auth.Actor, scope string) error

	mu      sync.Mutex
	alerted map[string]time.Time // key → end of the window already alerted
	now     func() time.Time
}

// Budget scopes, as the alert event names them.
const (
	budgetToken   = "token"
	budgetAccount = "account"
)

func newReadBudget(sec config.Security, now func() time.Time, alert func(context.Context, auth.Actor, string) error) *readBudget {
	perHour, perDay := sec.APIReadsPerHour, sec.APIReadsPerDay
	if perHour <= 0 {
		perHour = 60
	}
	if perDay <= 0 {
		perDay = 200
	}
	return &readBudget{
		// Burst is the whole window's budget: a script may read its hour's
		// records at once, then waits for the bucket to refill.
		perToken:   throttle.NewPer(perHour, time.Hour, perHour, 100_000, now),
		perAccount: throttle.NewPer(perDay, 24*time.Hour, perDay, 100_000, now),
		alert:      alert, alerted: map[string]time.Time{}, now: now,
	}
}

// take spends one read of by's budgets. When one is empty it returns a
// 429 error and, once per key and window, writes the alert event.
func (b *readBudget) take(ctx context.Context, by auth.Actor) error {
	if by.TokenID == "" {
		return nil // browser sessions are people at a desk; budgets are for tokens
	}
	// Check both before spending, so a refused read costs neither budget.
	okTok := b.perToken.Has("t:"+by.TokenID, 1)
	okAcc := b.perAccount.Has("a:"+by.StaffID, 1)
	if okTok && okAcc {
		// Another server may have spent the last read in between: then
		// this one is refused too.
		okTok, _ = b.perToken.Allow("t:" + by.TokenID)
		okAcc, _ = b.perAccount.Allow("a:" + by.StaffID)
		if okTok && okAcc {
			return nil
		}
	}
	scope, key, window := budgetToken, "t:"+by.TokenID, time.Hour
	if !okAcc {
		scope, key, window = budgetAccount, "a:"+by.StaffID, 24*time.Hour
	}
	if b.firstRefusal(key, window) {
		if err := b.alert(ctx, by, scope); err != nil {
			return err
		}
	}
	return &httplayer.Error{Status: 429, Code: "budget_exceeded", Key: "api.error.budget"}
}

// firstRefusal reports whether key has not been alerted in the current window.
func (b *readBudget) firstRefusal(key string, window time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if until, ok := b.alerted[key]; ok && now.Before(until) {
		return false
	}
	if len(b.alerted) > 10_000 {
		for k, until := range b.alerted {
			if !now.Before(until) {
				delete(b.alerted, k)
			}
		}
	}
	b.alerted[key] = now.Add(window)
	return true
}
