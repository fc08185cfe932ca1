package web

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCardPreviewWhole opens a card's page as the supervisor in
// Chromium, on a desktop and at 390 px, and checks that both previews show
// the whole landscape card: the drawn box has the image's own 1011:638
// shape, nothing is cropped (object-fit), and the page does not scroll
// sideways. Screenshots: $TMPDIR/cityid-card-preview-*.png.
func TestBrowserCardPreviewWhole(t *testing.T) {
	bctx, _ := headless(t, 1280, 900, 60*time.Second)
	ce := newCardEnv(t)
	id := ce.issue(t)
	base, _ := url.Parse(ce.ts.URL)
	var session string
	for _, c := range ce.sup.http.Jar.Cookies(base) {
		if c.Name == ce.srv.sessionCookie() {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("the supervisor's test client has no session cookie")
	}
	// The same session as the signed-in test client (a cookie set from the
	// page is sent like the server's own).
	if err := chromedp.Do(bctx, chromedp.Navigate(ce.ts.URL+"/verify")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.cookie = "`+ce.srv.sessionCookie()+`=`+session+`; path=/"`)); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
		lang string
	}{{"desktop", 1280, 900, "en"}, {"phone", 390, 844, "es"}} {
		if err := chromedp.Do(bctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(ce.ts.URL+"/lang/"+vp.lang+"?next=/staff/cards/"+id),
			chromedp.WaitVisible(chromedp.CSS(".card-preview"))); err != nil {
			body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: open the card page: %v\n%s", vp.name, err, body)
		}
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll(".card-preview")).every(i => i.complete && i.naturalWidth > 0)`)); err != nil {
			t.Fatalf("%s: previews did not load: %v", vp.name, err)
		}
		type box struct {
			W, H, NW, NH float64
			Fit          string
		}
		boxes, err := chromedp.Run(bctx, chromedp.Evaluate[[]box](`Array.from(document.querySelectorAll(".card-preview")).map(i => ({W: i.clientWidth, H: i.clientHeight, NW: i.naturalWidth, NH: i.naturalHeight, Fit: getComputedStyle(i).objectFit}))`))
		if err != nil || len(boxes) != 2 {
			t.Fatalf("%s: previews %v (%v), want front and back", vp.name, boxes, err)
		}
		for i, b := range boxes {
			shown, natural := b.W/b.H, b.NW/b.NH
			if b.W < 300 || shown < natural*0.98 || shown > natural*1.02 || b.Fit == "cover" {
				t.Errorf("%s: preview %d drawn %.0f×%.0f (%s) for a %.0f×%.0f card: cropped or squeezed", vp.name, i, b.W, b.H, b.Fit, b.NW, b.NH)
			}
		}
		// A card number split over two lines reads as two numbers.
		if lines, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.querySelector("h1 .reference").getClientRects().length`)); err != nil || lines != 1 {
			t.Errorf("%s: the card number in the heading takes %d lines (%v), want 1", vp.name, lines, err)
		}
		if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > vp.w {
			t.Errorf("%s: page is %d px wide at %d px (%v)", vp.name, w, vp.w, err)
		}
		if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(os.TempDir(), "cityid-card-preview-"+vp.name+".png"), shot, 0o644)
		}
	}
}
