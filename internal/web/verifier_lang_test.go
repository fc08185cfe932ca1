package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A teller whose browser asks for English opens the verifier at /es/verify
// (a bookmark, or a link from the Spanish resident site) on a 390 px
// phone: the page, the verdict after a scan and the phone tab are in
// Spanish; /en/verify turns it back to English. The verifier used to
// follow only the browser's Accept-Language.
func TestBrowserVerifierLanguageByPath(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	ce := newCardEnv(t)
	id := ce.issue(t)
	payload, err := ce.app.Cards.QRPayload(context.Background(), ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		got, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(got)
	}
	run("English browser", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ce.ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#f-payload")))
	if h := text("h1"); h != "Check a city ID card" {
		t.Fatalf("/verify with Chromium's English Accept-Language = %q, want the English page (the test's premise)", h)
	}
	run("open /es/verify", chromedp.Navigate(ce.ts.URL+"/es/verify"), chromedp.WaitVisible(chromedp.CSS("#f-payload")))
	if h := text("h1"); h != "Verificar una tarjeta de identificación municipal" {
		t.Errorf("/es/verify heading = %q, want the Spanish page", h)
	}
	run("scan", chromedp.SetValue(chromedp.CSS("#f-payload"), payload), chromedp.Click(chromedp.CSS("#verify-submit")),
		chromedp.WaitVisible(chromedp.CSS("#verdict-word")))
	peek(t, bctx, "verifier-es-path-390.png")
	if w := text("#verdict-word"); w != "AUTÉNTICA Y VÁLIDA" {
		t.Errorf("verdict after a scan from /es/verify = %q, want AUTÉNTICA Y VÁLIDA", w)
	}
	noSidewaysScroll(t, bctx, "verdict", 390)
	if ce.app.Services.Presentations != nil {
		run("phone tab", chromedp.Navigate(ce.ts.URL+"/es/verify/phone"), chromedp.WaitVisible(chromedp.CSS("#phone-form")))
		if tabs := text("ul.tabs"); !strings.Contains(tabs, "Teléfono") {
			t.Errorf("phone tab from /es/verify/phone: tabs %q, want Spanish", tabs)
		}
	}
	run("open /en/verify", chromedp.Navigate(ce.ts.URL+"/en/verify"), chromedp.WaitVisible(chromedp.CSS("#f-payload")))
	if h := text("h1"); h != "Check a city ID card" {
		t.Errorf("/en/verify heading = %q, want the English page", h)
	}
}
