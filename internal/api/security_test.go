package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/store/storetest"
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
		r := e.call(t, "boss", "", "POST", "/api/v1/staff/"+m.StaffID+"/"+action, map[string]string{})
		if action == "reset" {
			// A clerk's reset waits for a second administrator.
			if r := e.call(t, user, "", "GET", "/api/v1/me", nil); r.Status != http.StatusOK {
				t.Errorf("%s's token after a reset awaiting approval = %d, want 200", user, r.Status)
			}
			r = e.call(t, "boss2", "", "POST", "/api/v1/staff/requests/"+pendingRequest(t, r)+"/approve", nil)
		}
		if r.Status != http.StatusOK {
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

// TestReadBudgetsAcrossServers: with two app servers on one PostgreSQL
// database (one data directory's keys, as a deployment copies them) a
// token's hourly budget is one budget, not one per server: reads
// alternated between A and B stop at it and both servers refuse after it,
// and the alert event is written once, not once per server. An hour later
// the account's daily budget holds across them the same way.
func TestReadBudgetsAcrossServers(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set: shared budgets are for several servers on PostgreSQL", storetest.EnvPostgres)
	}
	clk := &apiClock{t: time.Now()}
	dir := filepath.Join(t.TempDir(), "d")
	budget := func(s *config.Settings) { s.Security.APIReadsPerHour, s.Security.APIReadsPerDay = 5, 8 }
	a := newAPIServer(t, dir, url, true, clk.Now, budget, false)
	a.addStaff(t)
	b := newAPIServer(t, dir, url, false, clk.Now, budget, false)
	b.tokens = a.tokens
	r := a.call(t, "clerka", "", "POST", "/api/v1/applications", validRequest(t, "shared-budget"))
	var created applicationJSON
	if err := json.Unmarshal(r.Body, &created); err != nil || created.ID == "" {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	path := "/api/v1/applications/" + created.ID
	n := 0 // reads so far, alternating A, B, A, …
	reads := func(count, want int, what string) {
		t.Helper()
		for range count {
			server, e := "A", a
			if n%2 == 1 {
				server, e = "B", b
			}
			if st := e.call(t, "clerka", "", "GET", path, nil).Status; st != want {
				t.Errorf("read #%d on server %s = %d, want %d (%s)", n+1, server, st, want, what)
			}
			n++
		}
	}
	reads(5, http.StatusOK, "within the token's 5 an hour")
	reads(4, http.StatusTooManyRequests, "past the token's hourly budget, on either server")
	if got := countEvents(t, a, audit.Filter{Action: "auth.budget.exceeded"}); got != 1 {
		t.Errorf("auth.budget.exceeded events = %d, want 1 (one alert per window across the servers)", got)
	}
	clk.Add(time.Hour)
	reads(3, http.StatusOK, "the second hour: reads 6 to 8 of the account's 8 a day")
	reads(4, http.StatusTooManyRequests, "past the account's daily budget, on either server")
	if got := countEvents(t, a, audit.Filter{Action: "auth.budget.exceeded", RecordType: "staff"}); got != 1 {
		t.Errorf("account budget alerts = %d, want 1", got)
	}
	if got := countEvents(t, a, audit.Filter{Action: "auth.budget.exceeded"}); got != 2 {
		t.Errorf("auth.budget.exceeded events = %d, want 2 (the token's and the account's)", got)
	}
	if st := b.call(t, "clerkb", "", "GET", "/api/v1/me", nil).Status; st != http.StatusOK {
		t.Errorf("another clerk's token on server B = %d, want 200", st)
	}
}

// syncLog collects the API's log lines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *syncLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestFreeTextPurposeNotLogged is issue 10's second log finding: a purpose
// typed as free text ("checking Maria Lopez born 1990-01-01") reached the log
// through the refusal's error. Purposes are chosen from a list; whatever
// else is sent is refused without being repeated anywhere.
func TestFreeTextPurposeNotLogged(t *testing.T) {
	e := newAPIEnv(t)
	r := e.call(t, "clerka", "", "POST", "/api/v1/applications", validRequest(t, "purpose-log"))
	var a applicationJSON
	if err := json.Unmarshal(r.Body, &a); err != nil || a.ID == "" {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	got := e.call(t, "sup", "", "GET", "/api/v1/applications/"+a.ID+"?purpose="+url.QueryEscape("checking Maria Lopez born 1990-01-01"), nil)
	if got.Status != http.StatusBadRequest {
		t.Errorf("GET with a free-text purpose = %d, want 400", got.Status)
	}
	// What the reader wants to say goes in a note: sealed with the record,
	// kept out of the audit event and the log, readable by a supervisor.
	const note = "Maria Lopez (born 1990-01-01) called about her address"
	ok := e.call(t, "sup", "", "GET", "/api/v1/applications/"+a.ID+"?purpose=correction&note="+url.QueryEscape(note), nil)
	if ok.Status != http.StatusOK {
		t.Fatalf("GET with a listed purpose and a note = %d %s", ok.Status, ok.Body)
	}
	for _, pii := range []string{"Maria", "Lopez", "1990-01-01", "Zenobia"} {
		if strings.Contains(e.logs.String(), pii) {
			t.Errorf("the log holds %q:\n%s", pii, e.logs.String())
		}
	}
	evs, _ := e.app.DB.AuditEvents(context.Background(), audit.Filter{RecordID: a.ID, Limit: 100})
	for _, ev := range evs {
		if strings.Contains(fmt.Sprint(ev), "Maria") {
			t.Errorf("an audit event holds the note: %+v", ev)
		}
	}
	rows, err := e.app.DB.ReadNotes(context.Background(), a.ID)
	if err != nil || len(rows) != 1 || strings.Contains(string(rows[0].Note), "Maria") {
		t.Fatalf("stored notes = %d (%v); want one, sealed", len(rows), err)
	}
	sup := e.actor(t, "sup")
	notes, err := e.app.Enroll.ReadNotes(context.Background(), sup, a.ID)
	if err != nil || len(notes) != 1 || notes[0].Text != note {
		t.Errorf("ReadNotes = %+v, %v; want the note back", notes, err)
	}
}

// actor returns the staff member behind a test user's token.
func (e *apiEnv) actor(t *testing.T, user string) auth.Actor {
	t.Helper()
	a, err := e.app.Auth.APIToken(context.Background(), e.tokens[user])
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestScreeningIsNoOracleForClerks is issue 10's finding 5: duplicate
// screening compares a submission with every site's records, and the clerk
// learned from "needs_review" that someone with a similar name and date of
// birth had applied at another site. The clerk's answer is now the same
// either way; the supervisor sees the match.
func TestScreeningIsNoOracleForClerks(t *testing.T) {
	e := newAPIEnvScreening(t)
	first := e.call(t, "clerka", "", "POST", "/api/v1/applications", validRequest(t, "site-a"))
	if first.Status != http.StatusCreated {
		t.Fatalf("site A submit = %d %s", first.Status, first.Body)
	}
	dup := validRequest(t, "site-b")
	dup["person"].(map[string]any)["first_surname"] = "Quetzalcoatl" // the same person, typed without the accent
	second := e.call(t, "clerkb", "", "POST", "/api/v1/applications", dup)
	control := e.call(t, "clerkb", "", "POST", "/api/v1/applications", func() map[string]any {
		r := validRequest(t, "site-b-other")
		r["person"].(map[string]any)["given_names"], r["person"].(map[string]any)["first_surname"] = "Wilhelmina", "Oyelaran"
		return r
	}())
	var got, ctl applicationJSON
	json.Unmarshal(second.Body, &got)
	json.Unmarshal(control.Body, &ctl)
	if got.Status != ctl.Status || got.Status != "submitted" {
		t.Errorf("site B clerk: status %q for the near-duplicate, %q for someone new; want submitted for both", got.Status, ctl.Status)
	}
	if l := e.call(t, "clerkb", "", "GET", "/api/v1/applications?status=needs_review", nil); strings.Contains(string(l.Body), got.ID) {
		t.Errorf("site B clerk finds the near-duplicate under needs_review: %s", l.Body)
	}
	if l := e.call(t, "clerkb", "", "GET", "/api/v1/applications?status=submitted", nil); !strings.Contains(string(l.Body), got.ID) {
		t.Errorf("site B clerk does not find the application under submitted: %s", l.Body)
	}
	sup := e.call(t, "sup", "", "GET", "/api/v1/applications/"+got.ID+"?purpose=review", nil)
	var full applicationJSON
	if err := json.Unmarshal(sup.Body, &full); err != nil || full.Status != "needs_review" {
		t.Errorf("supervisor sees %q (%d), want needs_review: the match must still reach review", full.Status, sup.Status)
	}
}

// TestVerifierTokensOnlyVerify (issue 10, Low): a verification partner's
// token could call applications/check and list the partner sites. It may
// now call /me and /verify only.
func TestVerifierTokensOnlyVerify(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	st, err := e.app.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: "bank", Role: auth.RoleVerifier, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.app.Auth.CreateAPIToken(ctx, auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role}, "branch scanner")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["bank"] = tok
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/applications/check"}, {"GET", "/api/v1/sites"}, {"GET", "/api/v1/applications"}, {"GET", "/api/v1/stats"},
	} {
		if r := e.call(t, "bank", "", c.method, c.path, map[string]any{}); r.Status != http.StatusForbidden {
			t.Errorf("verifier %s %s = %d, want 403", c.method, c.path, r.Status)
		}
	}
	if r := e.call(t, "bank", "", "GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Errorf("verifier GET /me = %d, want 200", r.Status)
	}
	if r := e.call(t, "bank", "", "POST", "/api/v1/verify", map[string]string{"payload": "NOT-A-CARD"}); r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized {
		t.Errorf("verifier POST /verify = %d, want it allowed", r.Status)
	}
}
