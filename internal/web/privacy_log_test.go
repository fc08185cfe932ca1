package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
)

// The test person of validForm, as the log must never show them.
var testPII = []string{"Zenobia", "Quetzal", "Ibarra", "1988-04-17", "04/17/1988", "17/04/1988", "123 Grand Ave", "Grand Ave", "06513"}

// submitted runs an intake by c and returns the new application's id.
func submitted(t *testing.T, c *client, key string) string {
	t.Helper()
	form := validForm(key)
	form.Set("action", "submit")
	r := c.postMultipart(t, "/staff/intake", form, testPNG(t))
	id := regexpFind(r.Location, `/staff/applications/([^/?]+)/receipt`)
	if r.Status != http.StatusSeeOther || id == "" {
		t.Fatalf("submit = %d %q: %s", r.Status, r.Location, text(r.Body))
	}
	return id
}

// apiGet calls the API with a bearer token.
func (e *env) apiGet(t *testing.T, token, path string) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.client().do(t, req)
}

func (e *env) token(t *testing.T, username string) string {
	t.Helper()
	tok, _, err := e.app.Auth.CreateAPIToken(context.Background(), mustActor(t, e, username), "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLogsHoldNoPersonalData runs a whole intake → approval → receipt →
// search → access export flow, in the portal and the API, with every
// failure path a clerk commonly hits, logging at debug level, and checks
// that no name, date of birth or address of the resident reaches the log.
func TestLogsHoldNoPersonalData(t *testing.T) {
	e := newEnv(t)
	// Anything logged through the default logger lands in the same buffer.
	prev := slog.Default()
	slog.SetDefault(newTestLogger(e.logs))
	t.Cleanup(func() { slog.SetDefault(prev) })

	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "clerk2", auth.RoleClerk, e.siteB.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	cc := e.signIn(t, "clerk1", testPassword)

	// A submission with errors first: the form comes back with the values.
	bad := validForm("log-bad")
	bad.Set("date_of_birth", "1988-02-31")
	bad.Set("action", "submit")
	if r := cc.postMultipart(t, "/staff/intake", bad, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad submit = %d", r.Status)
	}
	if r := cc.post(t, "/staff/intake/check", validForm("log-check")); r.Status >= 500 {
		t.Fatalf("live check = %d", r.Status)
	}
	id := submitted(t, cc, "log-ok")
	if r := cc.get(t, "/staff/applications/"+id+"/receipt?purpose=receipt"); !strings.Contains(r.Body, "Zenobia") {
		t.Fatalf("receipt = %d without the name", r.Status)
	}

	cs := e.signIn(t, "sup1", testPassword)
	if r := cs.get(t, "/staff/applications/"+id); !strings.Contains(r.Body, "Zenobia") {
		t.Fatalf("review page = %d without the name", r.Status)
	}
	if r := cs.post(t, "/staff/applications/"+id+"/reject", url.Values{"reason": {"no such reason"}, "note": {"Zenobia Quetzalcóatl, 123 Grand Ave"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("reject with a bad reason = %d, want 422", r.Status)
	}
	if r := cs.post(t, "/staff/applications/"+id+"/approve", url.Values{"note": {"Zenobia Quetzalcóatl Ibarra, born 1988-04-17, lives at 123 Grand Ave 06513"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("approve = %d: %s", r.Status, text(r.Body))
	}
	cs.get(t, "/staff/applications/"+id)                  // asks for a purpose
	cs.get(t, "/staff/applications/"+id+"?purpose=bogus") // refused
	if r := cs.get(t, "/staff/applications/"+id+"?purpose=correction"); !strings.Contains(r.Body, "Zenobia") {
		t.Fatalf("decided record with a purpose = %d without the name", r.Status)
	}
	if r := cc.get(t, "/staff/applications/"+id+"/receipt?purpose=receipt"); r.Status != http.StatusOK {
		t.Fatalf("outcome page = %d", r.Status)
	}
	search := url.Values{"given_names": {"Zenobia"}, "surnames": {"Quetzalcóatl Ibarra"}, "date_of_birth": {"1988-04-17"}, "purpose": {"fraud_review"}}
	if r := cs.post(t, "/staff/search", search); r.Status != http.StatusOK || !strings.Contains(r.Body, "/staff/applications/"+id) {
		t.Fatalf("search = %d: %s", r.Status, text(r.Body))
	}
	search.Set("date_of_birth", "1988-13-40")
	cs.post(t, "/staff/search", search)
	if r := cs.get(t, "/staff/applications/"+id+"/access"); !strings.Contains(r.Body, "Zenobia") {
		t.Fatalf("access export = %d without the name", r.Status)
	}
	// Another site's clerk guessing.
	c2 := e.signIn(t, "clerk2", testPassword)
	c2.get(t, "/staff/applications/"+id)
	c2.get(t, "/staff/applications/"+id+"/receipt?purpose=receipt")

	// The same resident through the API, with a validation failure first.
	tok := e.token(t, "clerk1")
	body := map[string]any{"submit": true, "idempotency_key": "api-log", "person": map[string]any{
		"given_names": "Zenobia", "first_surname": "Quetzalcóatl", "second_surname": "Ibarra", "date_of_birth": "1988-04-17",
		"language": "es", "address": map[string]string{"line1": "123 Grand Ave", "city": "New Haven", "state": "CT", "postal_code": "06513"}},
		"documents": []map[string]string{{"type": "passport"}, {"type": "lease"}}, "payment": map[string]string{"method": "cash"}}
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/applications", strings.NewReader(string(raw)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if r := e.client().do(t, req); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusCreated {
		t.Fatalf("API create = %d: %s", r.Status, r.Body)
	}
	e.apiGet(t, tok, "/api/v1/applications/"+id+"?purpose=receipt")
	e.apiGet(t, e.token(t, "clerk2"), "/api/v1/applications/"+id)
	e.apiGet(t, e.token(t, "aud1"), "/api/v1/stats")

	logs := e.logs.String()
	if strings.Count(logs, "msg=request") < 20 {
		t.Fatalf("the log has %d request lines; is logging on?\n%s", strings.Count(logs, "msg=request"), logs)
	}
	for _, pii := range testPII {
		if strings.Contains(logs, pii) {
			i := strings.Index(logs, pii)
			t.Errorf("the log contains %q: …%s…", pii, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
}
