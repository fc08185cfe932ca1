package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

var refRE = regexp.MustCompile(`class="reference-cell"[^>]*>([A-Z0-9-]+)<`)

// The applications list filters by status, finds a reference from its
// first characters, and pages 50 at a time; at 390 px in Spanish nothing
// scrolls sideways.
func TestApplicationListFilterSearchPaging(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	clerk := e.signIn(t, "clerk1", testPassword)
	sup := e.signIn(t, "sup1", testPassword)
	var ids []string
	for i := range 53 {
		form := validForm(fmt.Sprintf("list-%d", i))
		form.Set("given_names", "Lista"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		form.Set("date_of_birth", fmt.Sprintf("19%02d-03-%02d", 40+i, 1+i%28))
		form.Set("action", "submit")
		ids = append(ids, submittedForm(t, clerk, form))
	}
	for _, id := range ids[:3] {
		if r := sup.post(t, "/staff/applications/"+id+"/approve", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve = %d", r.Status)
		}
	}
	page1 := clerk.get(t, "/staff/applications")
	refs1 := refRE.FindAllStringSubmatch(page1.Body, -1)
	if len(refs1) != 50 || !strings.Contains(page1.Body, `href="/staff/applications?page=2"`) {
		t.Fatalf("page 1 has %d rows (next link %v), want 50 and a link to page 2", len(refs1), strings.Contains(page1.Body, "page=2"))
	}
	page2 := clerk.get(t, "/staff/applications?page=2")
	if refs2 := refRE.FindAllStringSubmatch(page2.Body, -1); len(refs2) != 3 || strings.Contains(page2.Body, "page=3") || !strings.Contains(page2.Body, `rel="prev"`) {
		t.Errorf("page 2 has %d rows, want the last 3 and a link back only", len(refs2))
	}
	approved := clerk.get(t, "/staff/applications?status=approved")
	if got := refRE.FindAllStringSubmatch(approved.Body, -1); len(got) != 3 {
		t.Errorf("status=approved lists %d, want 3", len(got))
	}
	// A reference typed in lower case, with a space, from its first 6 characters.
	ref := refs1[7][1]
	typed := strings.ToLower(strings.ReplaceAll(ref[:7], "-", " "))
	found := clerk.get(t, "/staff/applications?q="+url.QueryEscape(typed))
	if got := refRE.FindAllStringSubmatch(found.Body, -1); len(got) == 0 || len(got) > 2 || got[0][1] != ref {
		t.Errorf("search %q found %v, want %s", typed, got, ref)
	}
	if r := clerk.get(t, "/staff/applications?q=%25"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "Reference: A reference has only") {
		t.Errorf("search %%: %d, want 422 naming the field", r.Status)
	}

	bctx, run := headless(t, 390, 844, 60*time.Second)
	browserAs(t, bctx, e, clerk)
	run("list at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/applications"), chromedp.WaitVisible(chromedp.CSS("table.summaries")))
	noSidewaysScroll(t, bctx, "applications list", 390)
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "Solicitudes") && !strings.Contains(body, "Referencia") {
		t.Errorf("list is not in Spanish: %.200s", body)
	}
	if os.Getenv("CITYID_SCREENSHOTS") == "1" {
		run("filtered", chromedp.Navigate(e.ts.URL+"/staff/applications?status=approved"), chromedp.WaitVisible(chromedp.CSS("table.summaries")))
		screenshot(t, bctx, "applications-390-es.png", "")
	}
}

func submittedForm(t *testing.T, c *client, form url.Values) string {
	t.Helper()
	r := c.postMultipart(t, "/staff/intake", form, testPNG(t))
	id := regexpFind(r.Location, `/staff/applications/([^/?]+)/receipt`)
	if r.Status != http.StatusSeeOther || id == "" {
		t.Fatalf("submit = %d: %s", r.Status, text(r.Body))
	}
	return id
}

// noSidewaysScroll fails the test when the page is wider than width CSS
// pixels, naming the elements that stick out.
func noSidewaysScroll(t *testing.T, bctx context.Context, step string, width int64) {
	t.Helper()
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > width {
		over, _ := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > %d).slice(0, 8).map(e => e.tagName + "." + e.className + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right)).join(" ")`, width+1)))
		t.Errorf("%s at %d px is %d px wide (%v), want no horizontal scrolling; too wide: %s", step, width, w, err, over)
	}
}

// browserAsSpanish is browserAs with the site's language set to Spanish.
func browserAsSpanish(t *testing.T, bctx context.Context, e *env, c *client) {
	t.Helper()
	browserAs(t, bctx, e, c)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie = "`+langCookie+`=es; path=/"`)); err != nil {
		t.Fatal(err)
	}
}

// browserAs gives the browser the session of a signed-in test client.
func browserAs(t *testing.T, bctx context.Context, e *env, c *client) {
	t.Helper()
	base, _ := url.Parse(e.ts.URL)
	var session string
	for _, ck := range c.http.Jar.Cookies(base) {
		if ck.Name == e.srv.sessionCookie() {
			session = ck.Value
		}
	}
	if session == "" {
		t.Fatal("the test client has no session cookie")
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(e.ts.URL+"/verify")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie = "`+e.srv.sessionCookie()+`=`+session+`; path=/"`)); err != nil {
		t.Fatal(err)
	}
}
