package api

import (
	"context"
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
// database the buckets and the alerts' once-a-window marks are kept there
// (app.Guard.Share), so a token's budget is one across the cluster, not
// one per server, and its alert is written once.
type readBudget struct {
	perToken, perAccount *throttle.Limiter
	// tokenAlerts and accountAlerts allow one alert per key and window: a
	// bucket of one that refills once a window.
	tokenAlerts, accountAlerts *throttle.Limiter
	alert                      func(ctx context.Context, by auth.Actor, scope string) error
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
		perToken:      throttle.NewPer(perHour, time.Hour, perHour, 100_000, now),
		perAccount:    throttle.NewPer(perDay, 24*time.Hour, perDay, 100_000, now),
		tokenAlerts:   throttle.NewPer(1, time.Hour, 1, 10_000, now),
		accountAlerts: throttle.NewPer(1, 24*time.Hour, 1, 10_000, now),
		alert:         alert,
	}
}

// share keeps the budgets and the alert marks in the database when several
// app servers share it (share is app.Guard.Share).
func (b *readBudget) share(share func(*throttle.Limiter, string)) {
	share(b.perToken, "api.reads.token")
	share(b.perAccount, "api.reads.account")
	share(b.tokenAlerts, "api.reads.alert.token")
	share(b.accountAlerts, "api.reads.alert.account")
}

// take spends one read of by's budgets. When one is empty it returns a
// 429 error and, once per key and window across the servers, writes the
// alert event.
func (b *readBudget) take(ctx context.Context, by auth.Actor) error {
	if by.TokenID == "" {
		return nil // browser sessions are people at a desk; budgets are for tokens
	}
	tok, acc := "t:"+by.TokenID, "a:"+by.StaffID
	// Check both before spending, so a refused read costs neither budget
	// (unless another server spent the last read in between: then this
	// one is refused, and may have spent a token read if the account ran
	// out).
	scope := ""
	switch okTok, okAcc := b.perToken.Has(tok, 1), b.perAccount.Has(acc, 1); {
	case !okAcc:
		scope = budgetAccount
	case !okTok:
		scope = budgetToken
	default:
		if ok, _ := b.perToken.Allow(tok); !ok {
			scope = budgetToken
		} else if ok, _ := b.perAccount.Allow(acc); !ok {
			scope = budgetAccount
		} else {
			return nil
		}
	}
	alerts, key := b.tokenAlerts, tok
	if scope == budgetAccount {
		alerts, key = b.accountAlerts, acc
	}
	if first, _ := alerts.Allow(key); first {
		if err := b.alert(ctx, by, scope); err != nil {
			return err
		}
	}
	return &httplayer.Error{Status: 429, Code: "budget_exceeded", Key: "api.error.budget"}
}
