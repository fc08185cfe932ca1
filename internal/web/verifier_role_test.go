package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
)

// TestVerifierPartnerSeesNothingElse: a bank's account signs in, makes an
// API token and verifies cards; every page and endpoint with people's data
// is closed to it.
func TestVerifierPartnerSeesNothingElse(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "bank", auth.RoleVerifier, "")
	c := e.signIn(t, "bank", testPassword)
	if r := c.get(t, "/staff"); r.Status != http.StatusOK {
		t.Fatalf("dashboard for a verifier = %d: %s", r.Status, text(r.Body))
	}
	for _, path := range []string{"/staff/intake", "/staff/applications", "/staff/queue", "/staff/search", "/staff/audit",
		"/staff/stats", "/staff/privacy", "/staff/admin/staff", "/staff/cards"} {
		if r := c.get(t, path); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
			t.Errorf("verifier GET %s = %d, want 403", path, r.Status)
		}
	}
	r := c.post(t, "/staff/tokens", url.Values{"name": {"core banking"}})
	if r.Status != http.StatusOK && r.Status != http.StatusSeeOther {
		t.Fatalf("verifier creating a token = %d: %s", r.Status, text(r.Body))
	}
	token, _, err := e.app.Auth.CreateAPIToken(t.Context(), auth.Actor{StaffID: e.staffID(t, "bank"), Role: auth.RoleVerifier}, "second")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/applications", "/api/v1/audit", "/api/v1/staff", "/api/v1/stats"} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("verifier token GET %s = %d, want 403", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/verify", strings.NewReader(`{"payload":"NOT-A-CARD"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("verifier token POST /api/v1/verify = %d, want 200 (an answer saying invalid)", resp.StatusCode)
	}
}

func (e *env) staffID(t *testing.T, username string) string {
	t.Helper()
	s, err := e.app.Auth.StaffByUsername(t.Context(), auth.System(), username)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}
