package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
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

// redirectVariants are the ways a ?next= value has been made to leave the
// site: issue 10's "/%09/evil.example/" (a tab the browser drops, leaving
// "//evil.example/"), newlines, backslashes (read as slashes), "//",
// encoded forms, userinfo, schemes, dot segments and leading spaces.
var redirectVariants = []string{
	"/\t/evil.example/", "/%09/evil.example/", "/\n/evil.example/", "/\r\n/evil.example", "\t//evil.example/",
	"//evil.example/", "///evil.example/", "/\\evil.example/", "\\/evil.example/", "/\\/evil.example/",
	"\\\\evil.example", "/%5Cevil.example/", "/%2F/evil.example", "%2F%2Fevil.example", "https://evil.example/",
	"http:evil.example", "javascript:alert(1)", " //evil.example", "/ /evil.example", "/.//evil.example",
	"/..//evil.example", "//@evil.example", "/\x00/evil.example", "/\x0b/evil.example", "/\u3000/evil.example",
}

// TestOpenRedirect is issue 10's open redirect: /lang/en?next=/%09/evil.example/
// redirected off-site. Every variant must land on this site, as a browser
// resolves the Location header.
func TestOpenRedirect(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	base, _ := url.Parse(e.ts.URL)
	for _, v := range redirectVariants {
		r := c.get(t, "/lang/en?next="+url.QueryEscape(v))
		if r.Status != http.StatusSeeOther {
			t.Errorf("next=%q: status %d, want 303", v, r.Status)
			continue
		}
		if !sameOrigin(base, r.Location) {
			t.Errorf("next=%q redirects to %q: off this site once a browser reads it", v, r.Location)
		}
	}
	// A real local path still works, query and all.
	if r := c.get(t, "/lang/es?next="+url.QueryEscape("/staff/applications?status=submitted")); r.Location != "/staff/applications?status=submitted" {
		t.Errorf("next=/staff/applications?status=submitted → %q, want it kept", r.Location)
	}
}

// sameOrigin resolves loc the way a browser does (the WHATWG URL parser
// drops tabs and newlines, strips leading spaces and controls, and reads
// backslashes as slashes) and reports whether it stays on base's origin.
func sameOrigin(base *url.URL, loc string) bool {
	loc = strings.TrimLeft(loc, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	abs := base.ResolveReference(u)
	return abs.Scheme == base.Scheme && abs.Host == base.Host
}

// TestFourEyesOnEveryCard is issue 10's finding 10, as a supervisor would
// try it in the portal: take an intake herself, approve it, and issue a
// genuine signed card for an invented person. Whoever took (or edited) an
// application cannot approve it, and the approver cannot issue its card.
func TestFourEyesOnEveryCard(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "sup1", auth.RoleSupervisor, e.siteA.ID)
	e.addStaff(t, "sup2", auth.RoleSupervisor, e.siteA.ID)
	e.addStaff(t, "sup3", auth.RoleSupervisor, e.siteA.ID)
	s1, s2, s3 := e.signIn(t, "sup1", testPassword), e.signIn(t, "sup2", testPassword), e.signIn(t, "sup3", testPassword)
	id := submitted(t, s1, "invented-person")
	if r := s1.post(t, "/staff/applications/"+id+"/approve", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("the supervisor who took the intake approves it = %d, want 403", r.Status)
	}
	if r := s2.post(t, "/staff/applications/"+id+"/approve", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("a second supervisor approves = %d, want 303: %s", r.Status, text(r.Body))
	}
	if r := s2.post(t, "/staff/applications/"+id+"/issue", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("the approver issues the card = %d, want 403", r.Status)
	}
	if r := s3.post(t, "/staff/applications/"+id+"/issue", url.Values{}); r.Status != http.StatusSeeOther {
		t.Errorf("a third supervisor issues the card = %d, want 303: %s", r.Status, text(r.Body))
	}
	if n := auditDenied(t, e, id, "application.approve"); n != 1 {
		t.Errorf("denied approvals in the audit log = %d, want 1", n)
	}
}

// auditDenied counts denied audit events of an action on a record.
func auditDenied(t *testing.T, e *env, recordID, action string) int {
	t.Helper()
	evs, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{RecordID: recordID, Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Outcome == "denied" {
			n++
		}
	}
	return n
}

// bombPNG is issue 10's image bomb: a 7000 × 7000 PNG of one colour, a few
// hundred kilobytes on the wire and 196 MB of pixels once decoded.
func bombPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 7000, 7000))
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestVerifyImageBomb posts the bomb to the public /verify page, three at
// once as the review did (it measured 7.8 s and 460 MB for one, 1.5 GB for
// three). Its header is over the pixel budget a phone photo of a card ever
// needs, so it is refused before a pixel is decoded: the answer names the
// problem and the server allocates a small fraction of the image.
func TestVerifyImageBomb(t *testing.T) {
	e := newEnv(t)
	bomb := bombPNG(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	bodies := make([]string, 3)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("photo", "card.png")
			fw.Write(bomb)
			mw.Close()
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/verify", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Accept-Language", "en")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			bodies[i] = string(b)
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	for i, b := range bodies {
		if !strings.Contains(text(b), "The image is too large.") {
			t.Errorf("upload %d: the page does not say the image is too large:\n%s", i, text(b))
		}
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("three bomb uploads allocated %d MB; want under 64 MB (the pixels are never decoded)", got>>20)
	}
}
