package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/config"
)

// apiClock is a settable clock for token lifetimes and budgets.
type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *apiClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func countEvents(t *testing.T, e *apiEnv, f audit.Filter) int {
	t.Helper()
	f.Limit = 10_000
	evs, err := e.app.DB.AuditEvents(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestRetriedSubmitGivesIDAndStatusOnly is issue 10's finding 4: a retried
// submit (same idempotency key) answered with the whole record, with no
// purpose check and no audit event, even after the record was decided.
// Now a retry says which record it made and its status, nothing else.
func TestRetriedSubmitGivesIDAndStatusOnly(t *testing.T) {
	e := newAPIEnv(t)
	req := validRequest(t, "retry-key")
	first := e.call(t, "clerka", "", "POST", "/api/v1/applications", req)
	var a applicationJSON
	if err := json.Unmarshal(first.Body, &a); err != nil || a.ID == "" {
		t.Fatalf("POST = %d %s", first.Status, first.Body)
	}
	if r := e.call(t, "sup", "", "POST", "/api/v1/applications/"+a.ID+"/approve", map[string]string{}); r.Status != http.StatusOK {
		t.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	reads := countEvents(t, e, audit.Filter{RecordID: a.ID, Action: "application.read"})
	retry := e.call(t, "clerka", "", "POST", "/api/v1/applications", req)
	var got map[string]any
	if err := json.Unmarshal(retry.Body, &got); err != nil {
		t.Fatalf("retry = %d %s", retry.Status, retry.Body)
	}
	if len(got) != 2 || got["id"] != a.ID || got["status"] != "approved" {
		t.Errorf("retried submit = %s; want only {id: %s, status: approved}", retry.Body, a.ID)
	}
	for _, pii := range []string{"Zenobia", "Quetzal", "1988-04-17", "Grand Ave"} {
		if strings.Contains(string(retry.Body), pii) {
			t.Errorf("retried submit answer holds %q", pii)
		}
	}
	if n := countEvents(t, e, audit.Filter{RecordID: a.ID, Action: "application.read"}); n != reads {
		t.Errorf("application.read events %d → %d: a retry must open nothing", reads, n)
	}
}

// TestTokenExpires: tokens live api_token_days (default 90), then 401.
func TestTokenExpires(t *testing.T) {
	clk := &apiClock{t: time.Now()}
	e := newAPIEnvWith(t, clk.Now, nil)
	clk.Add(89 * 24 * time.Hour)
	if r := e.call(t, "clerka", "", "GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /me after 89 days = %d, want 200", r.Status)
	}
	clk.Add(24 * time.Hour)
	if r := e.call(t, "clerka", "", "GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /me after 90 days = %d, want 401 (expired)", r.Status)
	}
}

// TestTokensDieWithResetAndDisable: an administrator's reset or disable of
// an account (through the API here) ends its tokens at once.
func TestTokensDieWithResetAndDisable(t *testing.T) {
	e := newAPIEnv(t)
	for user, action := range map[string]string{"clerka": "reset", "clerkb": "disable"} {
		me := e.call(t, user, "", "GET", "/api/v1/me", nil)
		var m meJSON
		if err := json.Unmarshal(me.Body, &m); err != nil || me.Status != http.StatusOK {
			t.Fatalf("GET /me as %s = %d", user, me.Status)
		}
		if r := e.call(t, "boss", "", "POST", "/api/v1/staff/"+m.StaffID+"/"+action, map[string]string{}); r.Status != http.StatusOK {
			t.Fatalf("%s %s = %d %s", action, user, r.Status, r.Body)
		}
		if r := e.call(t, user, "", "GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s's token after %s = %d, want 401", user, action, r.Status)
		}
	}
}

// TestReadBudgets is issue 10's bulk-read finding: a clerk's token read 102
// full records in 4.6 s. Personal-data reads are budgeted per token (an
// hour) and per account (a day); the first refusal writes an alert event.
func TestReadBudgets(t *testing.T) {
	clk := &apiClock{t: time.Now()}
	e := newAPIEnvWith(t, clk.Now, func(s *config.Settings) {
		s.Security.APIReadsPerHour, s.Security.APIReadsPerDay = 5, 8
	})
	r := e.call(t, "clerka", "", "POST", "/api/v1/applications", validRequest(t, "budget"))
	var a applicationJSON
	if err := json.Unmarshal(r.Body, &a); err != nil || a.ID == "" {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	get := func() int { return e.call(t, "clerka", "", "GET", "/api/v1/applications/"+a.ID, nil).Status }
	for i := range 5 {
		if st := get(); st != http.StatusOK {
			t.Fatalf("read #%d = %d, want 200", i+1, st)
		}
	}
	for range 3 {
		if st := get(); st != http.StatusTooManyRequests {
			t.Fatalf("read past the token's hourly budget = %d, want 429", st)
		}
	}
	if n := countEvents(t, e, audit.Filter{Action: "auth.budget.exceeded"}); n != 1 {
		t.Errorf("auth.budget.exceeded events = %d, want 1 (one alert per window)", n)
	}
	// An hour later the token's budget is back, but the account's day is
	// nearly spent: three more reads, then the account budget refuses.
	clk.Add(time.Hour)
	for i := range 3 {
		if st := get(); st != http.StatusOK {
			t.Fatalf("read #%d of the second hour = %d, want 200", i+1, st)
		}
	}
	if st := get(); st != http.StatusTooManyRequests {
		t.Errorf("read past the account's daily budget = %d, want 429", st)
	}
	if n := countEvents(t, e, audit.Filter{Action: "auth.budget.exceeded", RecordType: "staff"}); n != 1 {
		t.Errorf("account budget alerts = %d, want 1", n)
	}
}
