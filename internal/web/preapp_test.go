package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
)

var preCodeRE = regexp.MustCompile(`[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}`)

// preapplyPublic sends the public pre-application form through the portal
// (the resident site is mounted at /) and returns the resident's code.
func preapplyPublic(t *testing.T, e *env) string {
	t.Helper()
	c := e.client()
	page := c.get(t, "/es/apply")
	if page.Status != http.StatusOK {
		t.Fatalf("GET /es/apply through the portal = %d", page.Status)
	}
	f := url.Values{
		"given_names": {"Lucía"}, "first_surname": {"Ramírez"}, "second_surname": {"Ñúñez"},
		"dob_day": {"3"}, "dob_month": {"11"}, "dob_year": {"1979"}, "sex": {"F"},
		"address_line1": {"200 Orange St"}, "address_city": {"New Haven"}, "address_state": {"CT"}, "address_postal_code": {"06510"},
		"doc": {"passport", "lease"}, "language": {"es"},
		"request_key": {regexpFind(page.Body, `name="request_key" value="([^"]+)"`)},
	}
	r := c.post(t, "/es/apply", f)
	code := preCodeRE.FindString(r.Body)
	if r.Status != http.StatusOK || code == "" {
		t.Fatalf("POST /es/apply = %d, no code\n%s", r.Status, r.Body)
	}
	return code
}

// TestPreappToApplication: a clerk types (or scans) the resident's QR
// payload and gets the intake form filled in as a draft at their site; the
// resident's code then reports the application's status.
func TestPreappToApplication(t *testing.T) {
	e := newEnv(t)
	code := preapplyPublic(t, e)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)

	if r := c.post(t, "/staff/preapp", url.Values{"code": {"not a code"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad code = %d, want 422", r.Status)
	}
	if r := c.post(t, "/staff/preapp", url.Values{"code": {"2222-3333-4444"}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown code = %d, want 404", r.Status)
	}
	r := c.post(t, "/staff/preapp", url.Values{"code": {enroll.QRPayload(code)}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/staff/intake?draft=") {
		t.Fatalf("load = %d %q, want a redirect to the draft", r.Status, r.Location)
	}
	form := c.get(t, r.Location)
	for _, want := range []string{`value="Lucía"`, `value="Ramírez"`, `value="Ñúñez"`, `value="200 Orange St"`, `value="passport" selected`, `value="lease" selected`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("intake form lacks %s", want)
		}
	}
	if got, want := dobParts(form.Body), [3]string{"3", "11", "1979"}; got != want {
		t.Errorf("intake form shows the date of birth as %q, want %q", got, want)
	}
	// Loading it again opens the same draft, not a second one.
	again := c.post(t, "/staff/preapp", url.Values{"code": {strings.ToLower(code)}})
	if again.Location != r.Location {
		t.Errorf("second load = %q, want %q", again.Location, r.Location)
	}
	st := e.client().post(t, "/en/status", url.Values{"code": {code}, "dob_day": {"3"}, "dob_month": {"11"}, "dob_year": {"1979"}})
	if !strings.Contains(st.Body, "Your application is being checked.") {
		t.Errorf("status after intake:\n%s", text(st.Body))
	}
}

func TestWalkInLine(t *testing.T) {
	e := newEnv(t)
	for range 2 {
		if r := e.client().post(t, "/en/sites/"+e.siteA.ID+"/kiosk", url.Values{}); r.Status != http.StatusOK {
			t.Fatalf("kiosk = %d", r.Status)
		}
	}
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)
	c.lang = "en"
	r := c.post(t, "/staff/line/next", url.Values{"desk": {"4"}})
	if !strings.Contains(text(r.Body), "Number 1 called.") || !strings.Contains(text(r.Body), "Waiting: 1") {
		t.Errorf("call next:\n%s", text(r.Body))
	}
	lobby := e.client().get(t, "/en/sites/"+e.siteA.ID+"/lobby")
	if !strings.Contains(text(lobby.Body), "Desk 4") {
		t.Errorf("lobby:\n%s", text(lobby.Body))
	}
}

// TestBrowserClerkLoadsPreapp: in headless Chromium, a signed-in clerk
// types the code from the resident's phone and lands on the filled intake
// form.
func TestBrowserClerkLoadsPreapp(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium not found at /usr/bin/chromium (apt-get install -y chromium); skipping the browser test")
	}
	e := newEnv(t)
	code := preapplyPublic(t, e)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)
	u, _ := url.Parse(e.ts.URL)
	var session string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == e.srv.sessionCookie() {
			session = ck.Value
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate(e.ts.URL+"/healthz")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	setCookie := fmt.Sprintf(`document.cookie = %q; true`, e.srv.sessionCookie()+"="+session+"; path=/")
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](setCookie)(ctx, tg)
			return err
		}),
		chromedp.Navigate(e.ts.URL+"/staff/preapp"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
		chromedp.SendKeys(chromedp.CSS("#f-code"), enroll.QRPayload(code)+"\n"),
		chromedp.WaitVisible(chromedp.CSS("input[name=given_names]")),
	)
	if err != nil {
		dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		body, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("load pre-application in the browser: %v (at %s)\n%s", err, loc, body)
	}
	given, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("input[name=given_names]")))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if given != "Lucía" || !strings.Contains(loc, "/staff/intake?draft=") {
		t.Errorf("after loading: given names %q at %s; want Lucía on the draft's intake form", given, loc)
	}
}

func TestBookingAdmin(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "admin1", auth.RoleAdmin, "")
	c := e.signIn(t, "admin1", testPassword)
	c.lang = "en"
	page := c.get(t, "/staff/admin/booking")
	if r := page; r.Status != http.StatusOK || !strings.Contains(r.Body, `name="slot_minutes"`) || strings.Contains(r.Body, "<textarea") {
		t.Fatalf("GET booking admin = %d; want the rules as a form, not JSON", r.Status)
	}
	if !strings.Contains(page.Body, `value="09:00–12:00, 13:00–16:30"`) || !strings.Contains(text(page.Body), "the defaults below are in effect") {
		t.Errorf("the defaults are not shown as in effect")
	}
	post := func(vals url.Values) resp {
		vals.Set("site", e.siteA.ID)
		return c.post(t, "/staff/admin/booking", vals)
	}
	// Publishing with the defaults shown works: no "save the rules first".
	if r := post(url.Values{"action": {"publish"}, "from": {"2026-03-03"}, "to": {"2026-03-03"}}); r.Status != http.StatusOK || !strings.Contains(text(r.Body), "new slots published") {
		t.Errorf("publish with the defaults = %d: %s", r.Status, text(r.Body))
	}
	rules := url.Values{"action": {"rules"}, "hours_tue": {"9:00-10:00"}, "hours_wed": {"09:00 – 10:00"}, "slot_minutes": {"30"},
		"capacity": {"2"}, "release_days": {"7"}, "release_weekday": {""}, "release_at": {"08:00"}}
	for _, tc := range []struct{ field, value, want string }{
		{"slot_minutes", "1", "Enter whole minutes from 5 to 240."},
		{"capacity", "lots", "Enter a number of people from 1 to 500."},
		{"hours_thu", "10:00-9:00", "Write the hours as 9:00-12:00"},
		{"release_at", "8 am", "Enter a time like 08:00."},
	} {
		bad := url.Values{}
		for k, v := range rules {
			bad[k] = v
		}
		bad.Set(tc.field, tc.value)
		r := post(bad)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), tc.want) || !strings.Contains(r.Body, `value="`+tc.value+`"`) {
			t.Errorf("%s=%q: %d; want 422 saying %q and keeping what was typed", tc.field, tc.value, r.Status, tc.want)
		}
	}
	if r := post(rules); r.Status != http.StatusOK {
		t.Fatalf("save rules = %d\n%s", r.Status, text(r.Body))
	}
	if r := post(url.Values{"action": {"holiday"}, "day": {"2026-03-11"}}); r.Status != http.StatusOK {
		t.Fatalf("holiday = %d", r.Status)
	}
	r := post(url.Values{"action": {"publish"}, "from": {"2026-03-10"}, "to": {"2026-03-11"}})
	if !strings.Contains(text(r.Body), "2 new slots published.") {
		t.Errorf("publish:\n%s", text(r.Body))
	}
	if r := e.client().get(t, "/staff/admin/booking"); r.Status == http.StatusOK && strings.Contains(r.Body, "slot_minutes") {
		t.Error("the booking admin page is open without signing in")
	}
}
