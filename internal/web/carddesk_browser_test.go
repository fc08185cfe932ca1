package web

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The card desk in Chromium: a supervisor's "to issue" list on a desktop,
// and a clerk's pick-up list and hand-over page at 390 px in Spanish, with
// nothing scrolling sideways. CITYID_SCREENSHOTS=1 saves the README's.
func TestBrowserCardDesk(t *testing.T) {
	bctx, run := headless(t, 1280, 900, 90*time.Second)
	ce := newCardEnv(t)
	shots := os.Getenv("CITYID_SCREENSHOTS") == "1"
	browserAs(t, bctx, ce.env, ce.sup)
	run("to issue", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ce.ts.URL+"/staff/cards?tab=issue"), chromedp.WaitVisible(chromedp.CSS("#to-issue")))
	if shots {
		screenshot(t, bctx, "desk-issue.png", "")
	}
	run("batch issue", chromedp.Click(chromedp.CSS(`input[name="app"]`)), chromedp.Click(chromedp.CSS("#issue-selected")), chromedp.WaitVisible(chromedp.CSS("#batch")))
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "1 card issued") {
		t.Fatalf("batch issue page: %s", body)
	}
	cards, err := ce.app.Cards.Queue(t.Context(), 10)
	if err != nil || len(cards) != 1 {
		t.Fatalf("queue = %v, %v", cards, err)
	}
	if r := ce.sup.post(t, "/staff/cards/print", url.Values{"id": {cards[0].ID}, "sheet": {"cards"}}); r.Status != 200 {
		t.Fatalf("print = %d", r.Status)
	}

	browserAs(t, bctx, ce.env, ce.clerk)
	for _, path := range []string{"/lang/es?next=/staff/cards", "/staff/cards/" + cards[0].ID} {
		run(path, chromedp.EmulateViewport(390, 844), chromedp.Navigate(ce.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
			t.Errorf("%s at 390 px is %d px wide (%v)", path, w, err)
		}
		body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
		if strings.Contains(path, "lang") && !strings.Contains(body, "Impresas — esperan recogida") {
			t.Errorf("clerk's card desk is not the Spanish pick-up list: %.300s", body)
		}
		if !strings.Contains(path, "lang") && !strings.Contains(body, "Registrar la entrega") && !strings.Contains(body, "entrega") {
			t.Errorf("hand-over page offers no hand-over: %.300s", body)
		}
	}
	if shots {
		screenshot(t, bctx, "desk-handover-390-es.png", "")
	}
}
