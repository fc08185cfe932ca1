package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// The blank intake form, whose content is kept rendered by language and
// day, is byte for byte the page rendered whole for the same clerk,
// language and idempotency key: the navigation and name are the clerk's,
// the key is new on every opening, and a new day renders it again.
func TestBlankIntakeFormAsRenderedWhole(t *testing.T) {
	e := newEnv(t)
	users := []auth.Actor{
		{Username: "clerk1", Role: auth.RoleClerk, SiteID: e.siteA.ID},
		{Username: "super1", Role: auth.RoleSupervisor, SiteID: e.siteB.ID},
	}
	for i, u := range users {
		st := e.addStaff(t, u.Username, u.Role, u.SiteID)
		users[i].StaffID = st.ID
	}
	whole := func(t *testing.T, a auth.Actor, lang, key string) string {
		t.Helper()
		c := &call{P: e.app.I18n.Printer(lang), Actor: a}
		rec := httptest.NewRecorder()
		p := e.srv.newPage(httptest.NewRequest(http.MethodGet, "/staff/intake", nil), c, "web.intake.title")
		p.Form.Set("language", lang)
		p.Form.Set("idempotency_key", key)
		if err := e.srv.renderIntake(rec, c, p, nil, nil, http.StatusOK, nil); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	for _, u := range users {
		c := e.signIn(t, u.Username, testPassword)
		for _, lang := range []string{"en", "es", "en"} {
			c.lang = lang
			seen := map[string]bool{}
			for range 2 {
				r := c.get(t, "/staff/intake")
				key := regexpFind(r.Body, `name="idempotency_key" value="([0-9a-f]{32})"`)
				if r.Status != http.StatusOK || key == "" {
					t.Fatalf("GET /staff/intake as %s in %s = %d, key %q", u.Username, lang, r.Status, key)
				}
				if seen[key] {
					t.Errorf("GET /staff/intake as %s gave the key %s twice", u.Username, key)
				}
				seen[key] = true
				if want := whole(t, u, lang, key); r.Body != want {
					t.Errorf("GET /staff/intake as %s in %s differs from the page rendered whole %s", u.Username, lang, firstDiff(r.Body, want))
				}
			}
		}
	}
	e.clk.Add(24 * time.Hour)
	c := e.signIn(t, "clerk1", testPassword)
	r := c.get(t, "/staff/intake")
	if want := whole(t, users[0], "en", regexpFind(r.Body, `name="idempotency_key" value="([0-9a-f]{32})"`)); r.Body != want {
		t.Errorf("GET /staff/intake the next day differs from the page rendered whole %s", firstDiff(r.Body, want))
	}
}

// firstDiff says where got first differs from want, with some context.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	around := func(s string) string { return s[max(0, i-80):min(len(s), i+80)] }
	return fmt.Sprintf("at byte %d of %d (want %d):\n got …%s…\nwant …%s…", i, len(got), len(want), around(got), around(want))
}

// BenchmarkIntakeForm is one clerk opening the blank intake form, through
// the whole handler chain (session read on SQLite, headers, the page) with
// no network: what a server spends on the first page of every intake.
//
//	go test -run '^$' -bench IntakeForm -benchmem -count 6 ./internal/web/
func BenchmarkIntakeForm(b *testing.B) {
	e := newEnv(b)
	e.addStaff(b, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(b, "clerk1", testPassword)
	u, _ := url.Parse(e.ts.URL)
	cookies := c.http.Jar.Cookies(u)
	h := e.srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		if code := getWith(h, cookies, "/staff/intake"); code != http.StatusOK {
			b.Fatalf("GET /staff/intake = %d", code)
		}
	}
}
