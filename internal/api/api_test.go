package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/site"
)

type apiEnv struct {
	logs   *syncLog
	app    *app.App
	ts     *httptest.Server
	tokens map[string]string // username → token
	siteA  site.Site
}

const testPassword = "lanterns drift over quiet harbor 42"

func newAPIEnv(t *testing.T) *apiEnv { return newAPIEnvWith(t, nil, nil) }

// newAPIEnvScreening is newAPIEnv with duplicate screening on, as serve runs.
func newAPIEnvScreening(t *testing.T) *apiEnv { return newAPIEnvOpts(t, nil, nil, true) }

// newAPIEnvWith is newAPIEnv with a clock (nil: the real one) and a change
// to the settings the API is built with (nil: none).
func newAPIEnvWith(t *testing.T, now func() time.Time, settings func(*config.Settings)) *apiEnv {
	t.Helper()
	return newAPIEnvOpts(t, now, settings, false)
}

func newAPIEnvOpts(t *testing.T, now func() time.Time, settings func(*config.Settings), screening bool) *apiEnv {
	t.Helper()
	e := newAPIServer(t, filepath.Join(t.TempDir(), "d"), "", true, now, settings, screening)
	e.addStaff(t)
	return e
}

// newAPIServer opens the data directory dir (on PostgreSQL when dbURL is
// set) and serves its API: one app server. Several on one database share
// its tokens.
func newAPIServer(t *testing.T, dir, dbURL string, create bool, now func() time.Time, settings func(*config.Settings), screening bool) *apiEnv {
	t.Helper()
	ao := auth.DefaultOptions()
	ao.Argon = auth.TestParams()
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, DBURL: dbURL, Create: create, Auth: &ao, Now: now, Screening: screening})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	if settings != nil {
		settings(&a.Settings)
	}
	logs := &syncLog{}
	x := New(a.Services, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ts := httptest.NewServer(x.Handler())
	t.Cleanup(ts.Close)
	return &apiEnv{app: a, ts: ts, tokens: map[string]string{}, logs: logs}
}

// addStaff creates two sites and the test's staff accounts with a token each.
func (e *apiEnv) addStaff(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a := e.app
	var err error
	sys := auth.System()
	e.siteA, err = a.Sites.Create(ctx, sys, site.Site{Name: "City Hall", Kind: site.KindCityHall})
	if err != nil {
		t.Fatal(err)
	}
	siteB, err := a.Sites.Create(ctx, sys, site.Site{Name: "Mobile 1", Kind: site.KindMobile})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		user string
		role auth.Role
		site string
	}{{"clerka", auth.RoleClerk, e.siteA.ID}, {"clerkb", auth.RoleClerk, siteB.ID}, {"sup", auth.RoleSupervisor, ""}, {"boss", auth.RoleAdmin, ""}, {"boss2", auth.RoleAdmin, ""}, {"aud", auth.RoleAuditor, ""}} {
		st, err := a.Auth.CreateStaff(ctx, sys, auth.NewStaff{Username: s.user, Role: s.role, SiteID: s.site, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Auth.CreateAPIToken(ctx, auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role, SiteID: st.SiteID}, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[s.user] = tok
	}
}

type apiResp struct {
	Status int
	Body   []byte
}

func (e *apiEnv) call(t *testing.T, user, lang, method, path string, body any) apiResp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResp{Status: res.StatusCode, Body: b}
}

func pngPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 500))
	for y := range 500 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func validRequest(t *testing.T, key string) map[string]any {
	return map[string]any{
		"submit":          true,
		"idempotency_key": key,
		"person": map[string]any{
			"given_names": "Zenobia", "first_surname": "Quetzalcóatl", "date_of_birth": "1988-04-17", "language": "es",
			"address": map[string]any{"line1": "123 Grand Ave", "city": "New Haven", "state": "CT", "postal_code": "06513"},
		},
		"documents": []map[string]any{{"type": "passport", "issuer": "Mexico", "expires": "2031-01-01"}, {"type": "lease"}},
		"payment":   map[string]any{"method": "cash"},
		"photo":     base64.StdEncoding.EncodeToString(pngPhoto(t)),
	}
}

func TestAuthRequired(t *testing.T) {
	e := newAPIEnv(t)
	for _, tok := range []string{"", "cid_notatoken"} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/api/v1/me", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET /me with token %q = %d, want 401 with WWW-Authenticate", tok, res.StatusCode)
		}
	}
	r := e.call(t, "clerka", "", "GET", "/api/v1/me", nil)
	var me meJSON
	if err := json.Unmarshal(r.Body, &me); err != nil || me.Username != "clerka" || me.Role != "clerk" {
		t.Errorf("GET /me = %d %s", r.Status, r.Body)
	}
}

func TestCreateSubmitApprove(t *testing.T) {
	e := newAPIEnv(t)
	req := validRequest(t, "api-key-1")
	r1 := e.call(t, "clerka", "", "POST", "/api/v1/applications", req)
	r2 := e.call(t, "clerka", "", "POST", "/api/v1/applications", req)
	if r1.Status != http.StatusCreated || r2.Status != http.StatusCreated {
		t.Fatalf("POST twice = %d, %d; %s", r1.Status, r2.Status, r1.Body)
	}
	var a1, a2 applicationJSON
	json.Unmarshal(r1.Body, &a1)
	json.Unmarshal(r2.Body, &a2)
	if a1.ID == "" || a1.ID != a2.ID || a1.Status != "submitted" {
		t.Fatalf("idempotent create = %q, %q (status %q), want one submitted id", a1.ID, a2.ID, a1.Status)
	}
	// Summaries carry no names.
	l := e.call(t, "sup", "", "GET", "/api/v1/applications?status=submitted", nil)
	if l.Status != http.StatusOK || !strings.Contains(string(l.Body), a1.ID) || strings.Contains(string(l.Body), "Zenobia") {
		t.Errorf("list = %d %s; want the id and no name", l.Status, l.Body)
	}
	if r := e.call(t, "sup", "", "GET", "/api/v1/applications?status=bogus", nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("list with an unknown status = %d, want 422", r.Status)
	}
	// Clerk of another site: refused, and answered 404 as the staff pages
	// do, so the answer does not confirm that the record exists (issue 10).
	if r := e.call(t, "clerkb", "", "GET", "/api/v1/applications/"+a1.ID, nil); r.Status != http.StatusNotFound {
		t.Errorf("clerk of another site GET = %d, want 404", r.Status)
	}
	if r := e.call(t, "clerkb", "", "GET", "/api/v1/applications/app_0000000000000000", nil); r.Status != http.StatusNotFound {
		t.Errorf("GET of an id that does not exist = %d, want 404 (the same answer)", r.Status)
	}
	if r := e.call(t, "clerka", "", "POST", "/api/v1/applications/"+a1.ID+"/approve", map[string]string{}); r.Status != http.StatusForbidden {
		t.Errorf("clerk approves = %d, want 403", r.Status)
	}
	g := e.call(t, "sup", "", "GET", "/api/v1/applications/"+a1.ID+"?purpose=review", nil)
	var full applicationJSON
	if err := json.Unmarshal(g.Body, &full); err != nil || full.Person.GivenNames != "Zenobia" || len(full.Photo) == 0 {
		t.Fatalf("supervisor GET = %d; name %q, photo %d bytes", g.Status, full.Person.GivenNames, len(full.Photo))
	}
	// A passport's issuer would record nationality: it is never stored.
	if len(full.Documents) == 0 || full.Documents[0].Issuer != "" {
		t.Errorf("documents = %+v, want the passport without its issuer", full.Documents)
	}
	if r := e.call(t, "sup", "", "POST", "/api/v1/applications/"+a1.ID+"/approve", map[string]string{"note": "ok"}); r.Status != http.StatusOK {
		t.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	if r := e.call(t, "sup", "", "POST", "/api/v1/applications/"+a1.ID+"/reject", map[string]string{"reason": "duplicate"}); r.Status != http.StatusConflict {
		t.Errorf("reject after approve = %d, want 409", r.Status)
	}
}

func TestValidationErrors(t *testing.T) {
	e := newAPIEnv(t)
	req := validRequest(t, "k")
	p := req["person"].(map[string]any)
	delete(p, "given_names")
	p["date_of_birth"] = "1988-02-30"
	tests := []struct {
		lang, want string
	}{
		{"", "This is required."},
		{"es", e.app.I18n.T("es", "error.required")},
	}
	for _, tt := range tests {
		r := e.call(t, "clerka", tt.lang, "POST", "/api/v1/applications", req)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid create (%s) = %d, want 422: %s", tt.lang, r.Status, r.Body)
		}
		var body httplayer.ErrorBody
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Error.Code != "validation" || len(body.Error.Fields) == 0 {
			t.Fatalf("error = %+v", body.Error)
		}
		got := map[string]httplayer.FieldJSON{}
		for _, f := range body.Error.Fields {
			got[f.Field] = f
		}
		if f, ok := got["date_of_birth"]; !ok || f.Code != "error.date" {
			t.Errorf("date_of_birth error = %+v, want error.date", f)
		}
	}
	// Given names missing is reported once the date is valid.
	p["date_of_birth"] = "1988-02-03"
	r := e.call(t, "clerka", "es", "POST", "/api/v1/applications", req)
	var body httplayer.ErrorBody
	json.Unmarshal(r.Body, &body)
	found := false
	for _, f := range body.Error.Fields {
		if f.Field == "given_names" && f.Code == "error.required" && f.Message == e.app.I18n.T("es", "error.required") {
			found = true
		}
	}
	if !found {
		t.Errorf("fields = %+v, want given_names error.required in Spanish", body.Error.Fields)
	}
}

func TestBadBodies(t *testing.T) {
	e := newAPIEnv(t)
	tests := []struct {
		name, body string
		want       int
	}{
		{"unknown field", `{"person":{"given_names":"A","nationality":"X"}}`, http.StatusBadRequest},
		{"unknown top-level field", `{"ssn":"123"}`, http.StatusBadRequest},
		{"trailing data", `{} {}`, http.StatusBadRequest},
		{"not json", `given_names=A`, http.StatusBadRequest},
		{"too large", `{"photo":"` + strings.Repeat("A", 15<<20) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.call(t, "clerka", "", "POST", "/api/v1/applications", tt.body); r.Status != tt.want {
				t.Errorf("POST %s = %d, want %d: %s", tt.name, r.Status, tt.want, r.Body)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	e := newAPIEnv(t)
	req := validRequest(t, "")
	req["documents"] = []map[string]any{{"type": "passport"}}
	before, err := e.app.DB.AuditCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := e.call(t, "clerka", "", "POST", "/api/v1/applications/check", req)
	var out checkResponse
	if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != http.StatusOK {
		t.Fatalf("check = %d %s", r.Status, r.Body)
	}
	if out.Evidence.OK || len(out.Evidence.Missing) == 0 || out.Fee.AmountCents != e.app.Settings.Fees.Adult {
		t.Errorf("check with a passport only = %+v, want not OK with something missing and the adult fee", out)
	}
	if n, err := e.app.DB.AuditCount(context.Background()); err != nil || n != before {
		t.Errorf("audit events after check = %d (%v), want %d: check must store nothing", n, err, before)
	}
}

func TestAdminEndpoints(t *testing.T) {
	e := newAPIEnv(t)
	r := e.call(t, "boss", "", "POST", "/api/v1/sites", map[string]string{"name": "Library", "kind": "partner"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create site = %d %s", r.Status, r.Body)
	}
	if r := e.call(t, "clerka", "", "POST", "/api/v1/sites", map[string]string{"name": "X", "kind": "partner"}); r.Status != http.StatusForbidden {
		t.Errorf("clerk creates a site = %d, want 403", r.Status)
	}
	// A clerk reads personal data: a second administrator approves the
	// account and receives its one-time password.
	r = e.call(t, "boss", "", "POST", "/api/v1/staff", map[string]string{"username": "newclerk", "role": "clerk", "site_id": e.siteA.ID})
	req := pendingRequest(t, r)
	if strings.Contains(string(r.Body), "one_time_password") {
		t.Errorf("create staff awaiting approval shows a password: %s", r.Body)
	}
	if r := e.call(t, "boss", "", "POST", "/api/v1/staff/requests/"+req+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("requester approves her own request = %d %s, want 403", r.Status, r.Body)
	}
	r = e.call(t, "boss2", "", "POST", "/api/v1/staff/requests/"+req+"/approve", nil)
	var st staffJSON
	if err := json.Unmarshal(r.Body, &st); err != nil || r.Status != http.StatusOK || st.OneTimePassword == "" || st.Role != "clerk" {
		t.Fatalf("approve staff request = %d %s", r.Status, r.Body)
	}
	if r := e.call(t, "boss", "", "POST", "/api/v1/staff", map[string]string{"username": "newclerk", "role": "clerk", "site_id": e.siteA.ID}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate username = %d, want 422", r.Status)
	}
	// An auditor reads no personal data: made at once.
	r = e.call(t, "boss", "", "POST", "/api/v1/staff", map[string]string{"username": "newaud", "role": "auditor"})
	if err := json.Unmarshal(r.Body, &st); err != nil || r.Status != http.StatusCreated || st.OneTimePassword == "" {
		t.Fatalf("create auditor = %d %s", r.Status, r.Body)
	}
	r = e.call(t, "boss", "", "POST", "/api/v1/staff/"+st.ID+"/reset", nil)
	var reset staffJSON
	if json.Unmarshal(r.Body, &reset); reset.OneTimePassword == "" || reset.OneTimePassword == st.OneTimePassword {
		t.Errorf("reset = %d %s, want a new one-time password", r.Status, r.Body)
	}
	r = e.call(t, "boss", "", "POST", "/api/v1/staff/"+st.ID+"/disable", nil)
	var dis staffJSON
	if json.Unmarshal(r.Body, &dis); !dis.Disabled {
		t.Errorf("disable = %d %s", r.Status, r.Body)
	}
	if r := e.call(t, "boss", "", "GET", "/api/v1/staff/requests", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"requests":[]`) {
		t.Errorf("list staff requests = %d %s, want none left", r.Status, r.Body)
	}
	if r := e.call(t, "boss", "", "GET", "/api/v1/staff", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "newclerk") {
		t.Errorf("list staff = %d", r.Status)
	}
	if r := e.call(t, "aud", "", "GET", "/api/v1/staff", nil); r.Status != http.StatusForbidden {
		t.Errorf("auditor lists staff = %d, want 403", r.Status)
	}
	if r := e.call(t, "clerka", "", "GET", "/api/v1/audit", nil); r.Status != http.StatusForbidden {
		t.Errorf("clerk reads audit = %d, want 403", r.Status)
	}
	if r := e.call(t, "aud", "", "GET", "/api/v1/nope", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown path = %d, want 404", r.Status)
	}
}

// FuzzDecodeApplication feeds arbitrary bodies to the create request's
// decoder and conversion: no panics, and either an error or a request
// whose dates parsed.
func FuzzDecodeApplication(f *testing.F) {
	f.Add(`{"submit":true,"person":{"given_names":"A","first_surname":"B","date_of_birth":"1990-01-02","language":"en","address":{"line1":"1 Main"}},"documents":[{"type":"passport","expires":"2030-01-01"}],"payment":{"method":"cash"},"photo":"iVBORw0KGgo="}`)
	f.Add(`{"person":{"date_of_birth":"1990-02-30"}}`)
	f.Add(`{"documents":[{},{},{}]}`)
	f.Add(`{"photo":"!!!"}`)
	f.Add(`{"a":1}`)
	f.Add(`[]`)
	f.Add(`{"person":{"address":{"care_of":"\u0000"}}}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		var req applicationRequest
		if err := decodeJSON(strings.NewReader(body), &req); err != nil {
			var e *httplayer.Error
			if !asError(err, &e) || e.Status != http.StatusBadRequest && e.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("decode error %v is not a 400", err)
			}
			return
		}
		in, errs := req.intake()
		if len(errs) == 0 && req.Person.DateOfBirth != "" && in.Person.DateOfBirth.IsZero() && strings.TrimSpace(req.Person.DateOfBirth) != "" {
			t.Fatalf("date %q neither parsed nor reported", req.Person.DateOfBirth)
		}
		if len(req.Documents) > maxDocuments && len(in.Documents) != 0 {
			t.Fatalf("%d documents accepted, limit %d", len(in.Documents), maxDocuments)
		}
	})
}

// pendingRequest reads the request id of a 202 "awaiting_approval" answer.
func pendingRequest(t *testing.T, r apiResp) string {
	t.Helper()
	var out struct {
		Status  string           `json:"status"`
		Request staffRequestJSON `json:"request"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != http.StatusAccepted || out.Status != "awaiting_approval" || out.Request.ID == "" {
		t.Fatalf("answer = %d %s, want 202 awaiting_approval with a request", r.Status, r.Body)
	}
	return out.Request.ID
}
