package web

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDuplicateSummary opens a possible duplicate as the supervisor
// in Chromium at 390 px in Spanish and reads the sentence that says what
// decided the score, naming the fields, above the field-by-field table;
// the page does not scroll sideways. Screenshot:
// $TMPDIR/cityid-duplicate-summary-es.png.
func TestBrowserDuplicateSummary(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e, _, id := duplicateEnv(t)
	super := e.signIn(t, "super", testPassword)
	base, _ := url.Parse(e.ts.URL)
	var session string
	for _, c := range super.http.Jar.Cookies(base) {
		if c.Name == e.srv.sessionCookie() {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("the supervisor's test client has no session cookie")
	}
	run("load a page of the site", chromedp.Navigate(e.ts.URL+"/verify"))
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie = "`+e.srv.sessionCookie()+`=`+session+`; path=/"; document.cookie = "`+langCookie+`=es; path=/"`)); err != nil {
		t.Fatal(err)
	}
	run("open the duplicate", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.ts.URL+"/staff/applications/"+id+"/duplicates"),
		chromedp.WaitVisible(chromedp.CSS("#summary-0")))
	got, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#summary-0")))
	if err != nil {
		t.Fatal(err)
	}
	want := "Coinciden: nombre y fecha de nacimiento; casi coinciden: apellidos; no coinciden: dirección — la gente se muda; el segundo apellido a menudo se omite, se añade o cambia de orden."
	if strings.TrimSpace(got) != want {
		t.Errorf("summary in Chromium = %q, want %q", got, want)
	}
	// It comes before the table, and is visible without scrolling sideways.
	type geo struct{ Top, TableTop, Width, Right float64 }
	g, err := chromedp.Run(bctx, chromedp.Evaluate[geo](`(() => { const s = document.querySelector("#summary-0").getBoundingClientRect();
		const tb = document.querySelector("table.comparison").getBoundingClientRect();
		return {Top: s.top, TableTop: tb.top, Width: document.documentElement.scrollWidth, Right: s.right}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if g.Top >= g.TableTop || g.Width > 390 || g.Right > 390 {
		t.Errorf("summary at top %.0f (table at %.0f), page %.0f px wide, summary ends at %.0f: want it above the table, within 390 px", g.Top, g.TableTop, g.Width, g.Right)
	}
	if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(90)); err == nil {
		os.WriteFile(filepath.Join(os.TempDir(), "cityid-duplicate-summary-es.png"), shot, 0o644)
	}
}
