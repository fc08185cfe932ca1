package web

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// clock is a settable test clock; TOTP codes are single-use per 30-second
// step, so tests move time forward between sign-ins.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t       *testing.T
	app     *app.App
	srv     *Server
	ts      *httptest.Server
	clk     *clock
	admin   auth.Actor
	siteA   site.Site
	siteB   site.Site
	secrets map[string]string // username → TOTP secret
	// recovery holds the recovery codes shown at each username's enrolment.
	recovery map[string][]string
	logs     *syncBuffer
}

const testPassword = "lanterns drift over quiet harbor 42"

// newEnv opens a real app on a temporary SQLite database, serves it, and
// adds two sites.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := newBareEnv(t)
	var err error
	e.siteA, err = e.app.Sites.Create(context.Background(), e.admin, site.Site{Name: "City Hall", Kind: site.KindCityHall})
	if err != nil {
		t.Fatalf("create site: %v", err)
	}
	e.siteB, err = e.app.Sites.Create(context.Background(), e.admin, site.Site{Name: "Junta for Progressive Action", Kind: site.KindPartner})
	if err != nil {
		t.Fatalf("create site: %v", err)
	}
	return e
}

// newBareEnv is newEnv without sites; opts adjust the auth options.
func newBareEnv(t testing.TB, opts ...func(*auth.Options)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
	ao := auth.DefaultOptions()
	ao.Argon = auth.TestParams()
	ao.PerIPPerMinute = 0
	// The test clock jumps 30 s per TOTP step; keep sessions from idling out.
	ao.IdleTimeout = 24 * time.Hour
	ao.SessionLifetime = 48 * time.Hour
	for _, o := range opts {
		o(&ao)
	}
	logs := &syncBuffer{}
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Now: clk.Now, Auth: &ao})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	srv, err := New(a.Services, Options{Logger: newTestLogger(logs)})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{app: a, srv: srv, ts: ts, clk: clk, secrets: map[string]string{}, recovery: map[string][]string{}, logs: logs}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	// A system-made administrator to set things up through the services.
	e.admin = auth.System()
	return e
}

// addStaff creates an account with a known password that need not change.
func (e *env) addStaff(t testing.TB, username string, role auth.Role, siteID string) auth.Staff {
	t.Helper()
	st, err := e.app.Auth.CreateStaff(context.Background(), e.admin, auth.NewStaff{
		Username: username, Role: role, SiteID: siteID, Password: testPassword,
	})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", username, err)
	}
	return st
}

// client is a browser-like HTTP client with its own cookie jar that does
// not follow redirects, so tests see each step.
type client struct {
	e    *env
	http *http.Client
	lang string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (c *client) do(t testing.TB, req *http.Request) resp {
	t.Helper()
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

func (c *client) get(t testing.TB, path string) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.ts.URL+path, nil)
	return c.do(t, req)
}

func (c *client) post(t testing.TB, path string, form url.Values) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(t, req)
}

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

var recoveryCodeRE = regexp.MustCompile(`<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>`)

// recoveryCodes are the recovery codes a page shows.
func recoveryCodes(body string) []string {
	var out []string
	for _, m := range recoveryCodeRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// signIn goes through every login step the account needs and returns a
// client with a full session.
func (e *env) signIn(t testing.TB, username, password string) *client {
	t.Helper()
	c := e.client()
	r := c.post(t, "/login", url.Values{"username": {username}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /login as %s = %d, want 303; body: %s", username, r.Status, r.Body)
	}
	for range 4 {
		switch r.Location {
		case "/login/password":
			r = c.post(t, "/login/password", url.Values{"current_password": {password},
				"new_password": {testPassword + " again"}, "new_password_again": {testPassword + " again"}})
		case "/login/totp/enroll":
			page := c.get(t, "/login/totp/enroll")
			m := secretRE.FindStringSubmatch(page.Body)
			if m == nil {
				t.Fatalf("GET /login/totp/enroll: no secret on the page: %s", page.Body)
			}
			e.secrets[username] = m[1]
			e.clk.Add(30 * time.Second)
			r = c.post(t, "/login/totp/enroll", url.Values{"code": {auth.CodeAt(m[1], e.clk.Now())}})
			if r.Status == http.StatusOK {
				// Enrolment signs in and shows the recovery codes once.
				codes := recoveryCodes(r.Body)
				if len(codes) != auth.RecoveryCodeCount {
					t.Fatalf("enrolment of %s showed %d recovery codes, want %d: %s", username, len(codes), auth.RecoveryCodeCount, text(r.Body))
				}
				e.recovery[username] = codes
				return c
			}
		case "/login/totp":
			e.clk.Add(30 * time.Second)
			r = c.post(t, "/login/totp", url.Values{"code": {auth.CodeAt(e.secrets[username], e.clk.Now())}})
		default:
			if r.Location == "/staff" || strings.HasPrefix(r.Location, "/staff") {
				return c
			}
			t.Fatalf("sign-in of %s stopped at %d %q: %s", username, r.Status, r.Location, r.Body)
		}
		if r.Status != http.StatusSeeOther {
			t.Fatalf("sign-in step of %s = %d: %s", username, r.Status, r.Body)
		}
	}
	t.Fatalf("sign-in of %s did not finish", username)
	return nil
}

// testPNG is a plain portrait image big enough for the photo rules.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 600))
	for y := range 600 {
		for x := range 480 {
			img.Set(x, y, color.RGBA{uint8(200 - y/5), uint8(150 + x/10), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// validForm is a complete intake for an adult with New Haven documents.
func validForm(key string) url.Values {
	return url.Values{
		"idempotency_key": {key},
		"given_names":     {"Zenobia"}, "first_surname": {"Quetzalcóatl"}, "second_surname": {"Ibarra"},
		"date_of_birth": {"1988-04-17"}, "sex": {"F"}, "language": {"es"},
		"address_line1": {"123 Grand Ave"}, "address_city": {"New Haven"}, "address_state": {"CT"}, "address_postal_code": {"06513"},
		"doc_type_0": {"passport"}, "doc_issuer_0": {"Mexico"}, "doc_expires_0": {"2030-01-01"},
		"doc_type_1": {"lease"}, "doc_type_2": {"state_id"}, "doc_issuer_2": {"Connecticut"},
		"payment_method": {"cash"},
	}
}

// validIntake is validForm's adult as an enroll.Intake, for tests that
// submit through the service (field imports, benchmarks).
func validIntake(t testing.TB, e *env, key string) enroll.Intake {
	t.Helper()
	return enroll.Intake{
		Person: person.Person{GivenNames: "Zenobia", FirstSurname: "Quetzalcóatl", DateOfBirth: person.Date{Year: 1988, Month: 4, Day: 17},
			Address: person.Address{Line1: "123 Grand Ave", City: "New Haven", State: "CT", PostalCode: "06513"}, Language: "es"},
		Documents:      []evidence.Shown{{Type: "passport", Expires: person.Date{Year: 2030, Month: 1, Day: 1}}, {Type: "lease"}, {Type: "state_id", Issuer: "Connecticut"}},
		Photo:          testPNG(t),
		Payment:        fee.Payment{Method: "cash", AmountCents: e.app.Settings.Fees.Adult},
		IdempotencyKey: key,
	}
}

// multipartForm encodes values and an optional photo as the browser does.
func multipartForm(t testing.TB, vals url.Values, photo []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := newMultipart(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if photo != nil {
		fw, err := mw.CreateFormFile("photo", "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(photo)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func (c *client) postMultipart(t testing.TB, path string, vals url.Values, photo []byte) resp {
	t.Helper()
	ct, body := multipartForm(t, vals, photo)
	req, _ := http.NewRequest(http.MethodPost, c.e.ts.URL+path, body)
	req.Header.Set("Content-Type", ct)
	return c.do(t, req)
}

// text strips tags and unescapes, for "does the page say X" checks.
func text(body string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, " "))
}
