package web

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/cardphoto"
)

// TestBrowserVerifierPhonePhotos uploads phone photos of a real card's
// back to the verifier page in Spanish at 390 px: a photo at a 4° tilt,
// slightly blurred, the card about half the frame (and the same at half
// resolution) reads as genuine and valid; a photo too blurred to read says
// "could not read the code" with advice to retake it, never "not valid".
// Screenshots go to $TMPDIR/cityid-verify-*.png.
func TestBrowserVerifierPhonePhotos(t *testing.T) {
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)
	backPNG, err := ce.app.Cards.Preview(ctx, ce.supActor, id, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(backPNG))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	photo := func(name string, p cardphoto.Params) string {
		t.Helper()
		b, err := cardphoto.Photo(back, p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".jpg")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	phone := cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.5, Rotate: 4, TiltX: 3, TiltY: -2, OffX: 0.03,
		Blur: 1.1, Light: 0.95, Uneven: 0.1, Warm: 0.3, Noise: 2.5, Quality: 85, Background: cardphoto.Table, Seed: 7}
	half := phone
	half.FrameW, half.FrameH, half.Seed = 2000, 1500, 8
	blurred := phone
	// Small, so the decoder's every attempt on it is quick: the point is the
	// page's answer, not the decoder's effort.
	blurred.FrameW, blurred.FrameH, blurred.Blur, blurred.Seed = 1600, 1200, 8, 9
	// The photos are made before the browser starts: at 12 MP each takes a
	// few seconds, and the browser's time limit is for the browser.
	shots := []struct {
		name, file, word, outcome string
	}{
		{"phone photo", photo("phone", phone), "AUTÉNTICA Y VÁLIDA", "valid"},
		{"half resolution", photo("half", half), "AUTÉNTICA Y VÁLIDA", "valid"},
		{"too blurred", photo("blurred", blurred), "NO SE PUDO LEER EL CÓDIGO", "unreadable"},
	}
	bctx, run := headless(t, 390, 844, 240*time.Second)

	run("Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ce.ts.URL+"/lang/es?next=/verify"), chromedp.WaitVisible(chromedp.CSS("#f-photo")))
	for _, tc := range shots {
		run(tc.name, chromedp.Navigate(ce.ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#f-photo")),
			chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{tc.file}),
			chromedp.Click(chromedp.CSS("#verify-photo-submit")), chromedp.WaitVisible(chromedp.CSS("#verdict-word")))
		word, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#verdict-word")))
		outcome, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("verdict").dataset.outcome`))
		body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#verdict")))
		if strings.TrimSpace(word) != tc.word || outcome != tc.outcome {
			t.Errorf("%s: verdict %q (%s), want %q (%s)", tc.name, word, outcome, tc.word, tc.outcome)
		}
		if tc.outcome == "unreadable" {
			if strings.Contains(body, "NO VÁLIDA") || strings.Contains(body, "Emitida por la ciudad") {
				t.Errorf("%s: an unreadable photo is judged: %q", tc.name, body)
			}
			if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.querySelectorAll("#retake-advice li").length`)); n < 3 {
				t.Errorf("%s: %d pieces of retake advice, want at least 3", tc.name, n)
			}
		}
		if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
			t.Errorf("%s: page is %d px wide at 390 px (%v), want no sideways scrolling", tc.name, w, err)
		}
		if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(os.TempDir(), "cityid-verify-"+strings.ReplaceAll(tc.name, " ", "-")+".png"), shot, 0o644)
		}
	}
}
