package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
)

// TestTOTPGuessingLocks is issue 10's TOTP bypass, as the attacker sent it:
// someone who knows a supervisor's password signs in again and again, trying
// four wrong codes each round. A right password used to reset the failure
// count, so after 16 wrong codes the right one still worked. Second-factor
// failures now count on their own: the fifth wrong code locks the account,
// and even the right code and the right password are refused after it.
func TestTOTPGuessingLocks(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	e.signIn(t, "sup1", testPassword) // enrols TOTP; the attacker knows the password only
	attacker := e.client()
	for round := range 4 {
		e.clk.Add(time.Minute)
		r := attacker.post(t, "/login", url.Values{"username": {"sup1"}, "password": {testPassword}})
		if round < 2 && (r.Status != http.StatusSeeOther || r.Location != "/login/totp") {
			t.Fatalf("round %d: POST /login = %d %q, want 303 to /login/totp", round, r.Status, r.Location)
		}
		for range 4 {
			attacker.post(t, "/login/totp", url.Values{"code": {"000000"}})
		}
	}
	e.clk.Add(time.Minute)
	attacker.post(t, "/login", url.Values{"username": {"sup1"}, "password": {testPassword}})
	r := attacker.post(t, "/login/totp", url.Values{"code": {auth.CodeAt(e.secrets["sup1"], e.clk.Now())}})
	if r.Status == http.StatusSeeOther && r.Location == "/staff" {
		t.Fatalf("the right code after 16 wrong ones signed the attacker in; want the account locked")
	}
	if got := attacker.get(t, "/staff"); got.Status == http.StatusOK {
		t.Errorf("GET /staff after guessing = %d, want no session", got.Status)
	}
	evs := auditActions(t, e, "auth.totp.lockout")
	if evs == 0 {
		t.Errorf("no auth.totp.lockout alert in the audit log")
	}
}

// TestTOTPStepLimitedPerAddress: the second-factor step has its own
// per-address limit, so one address cannot try codes against many
// accounts whose passwords it holds.
func TestTOTPStepLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"sup1", "sup2", "sup3"} {
		e.addStaff(t, u, auth.RoleSupervisor, "")
		e.signIn(t, u, testPassword)
	}
	limited := false
	for i := range 12 {
		c := e.client()
		u := []string{"sup1", "sup2", "sup3"}[i%3]
		c.post(t, "/login", url.Values{"username": {u}, "password": {testPassword}})
		r := c.post(t, "/login/totp", url.Values{"code": {"000000"}})
		if r.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("12 second-factor attempts from one address within a minute were all answered; want 429 after 10")
	}
}

// auditActions counts the audit events with an action.
func auditActions(t *testing.T, e *env, action string) int {
	t.Helper()
	evs, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// apiStatus calls GET /api/v1/me with a token.
func apiStatus(t *testing.T, e *env, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.client().do(t, req).Status
}

// TestTokensDieWithSignOutEverywhere: "sign out everywhere" in the browser
// also ends the account's API tokens (they used to survive it).
func TestTokensDieWithSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerka", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerka", testPassword)
	token, _, err := e.app.Auth.CreateAPIToken(context.Background(), mustActor(t, e, "clerka"), "script")
	if err != nil {
		t.Fatal(err)
	}
	if st := apiStatus(t, e, token); st != http.StatusOK {
		t.Fatalf("token before = %d, want 200", st)
	}
	c.post(t, "/logout/everywhere", nil)
	if st := apiStatus(t, e, token); st != http.StatusUnauthorized {
		t.Errorf("token after sign-out everywhere = %d, want 401", st)
	}
}
