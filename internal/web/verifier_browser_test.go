package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/card"
)

// TestBrowserVerifier drives the public verifier page in headless Chromium
// at a phone's 360 px: a scanner "types" the QR payload and presses Enter
// (the page's script submits), then a photo of the card back is uploaded;
// both show the card as valid with the signed face.
func TestBrowserVerifier(t *testing.T) {
	bctx, run := headless(t, 360, 740, 60*time.Second)
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)
	payload, err := ce.app.Cards.QRPayload(ctx, ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ce.app.Cards.Preview(ctx, ce.supActor, id, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	backPath := filepath.Join(t.TempDir(), "back.png")
	if err := os.WriteFile(backPath, back, 0o600); err != nil {
		t.Fatal(err)
	}

	verdict := func(step string) {
		t.Helper()
		word, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#verdict-word")))
		if err != nil || strings.TrimSpace(word) != "GENUINE AND VALID" {
			t.Errorf("%s: verdict = %q (%v), want GENUINE AND VALID", step, word, err)
		}
		face, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(function(){var i=document.getElementById("verdict-face");return !!i && i.complete && i.naturalWidth>0 && i.src.indexOf("data:image/")===0;})()`))
		if err != nil || !face {
			t.Errorf("%s: face image shown = %v (%v), want a decoded data: image", step, face, err)
		}
		if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 360 {
			t.Errorf("%s: page is %d px wide at a 360 px viewport (%v), want no sideways scrolling", step, w, err)
		}
	}

	run("open the verifier", chromedp.EmulateViewport(360, 740), chromedp.Navigate(ce.ts.URL+"/verify"),
		chromedp.WaitVisible(chromedp.CSS("#f-payload")))
	focused, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.activeElement && document.activeElement.id`))
	if err != nil || focused != "f-payload" {
		t.Errorf("focus on load = %q (%v), want the payload box (a scanner types into it)", focused, err)
	}
	// The scanner types the payload and ends with Enter.
	run("scan", chromedp.SetValue(chromedp.CSS("#f-payload"), payload), chromedp.SendKeys(chromedp.CSS("#f-payload"), "\r"),
		chromedp.WaitVisible(chromedp.CSS("#verdict-word")))
	verdict("scanned payload")
	// The next card is scanned straight away, with the verdict focused.
	run("scan the next card", chromedp.SendKeys(chromedp.CSS("#verdict"), payload[:40]+"\r"), chromedp.WaitVisible(chromedp.CSS("#verdict-reason")))
	if reason, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#verdict-reason"))); err != nil || !strings.Contains(reason, "not a valid city ID card code") {
		t.Errorf("a second scan (a truncated code) = %q (%v), want the malformed reason", reason, err)
	}

	run("upload a photo", chromedp.Navigate(ce.ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#f-photo")),
		chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{backPath}),
		chromedp.Click(chromedp.CSS("#verify-photo-submit")), chromedp.WaitVisible(chromedp.CSS("#verdict-word")))
	verdict("photo of the back")
}
