package web

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headless starts Chromium with a w×h window for one test (skipping the
// test when Chromium is absent or in -short mode) and returns its context,
// limited to timeout, and a step runner that fails the test with the
// page's text when an action fails.
func headless(t *testing.T, w, h int, timeout time.Duration) (context.Context, func(step string, actions ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	return headlessWith(t, w, h, timeout)
}

// headlessEnglish is headless with the browser's own language English
// (its interface, its Accept-Language and the language its built-in
// controls speak), as on a phone set to English.
func headlessEnglish(t *testing.T, w, h int, timeout time.Duration) (context.Context, func(step string, actions ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	return headlessWith(t, w, h, timeout, chromedp.Flag("lang", "en-US"), chromedp.Flag("accept-lang", "en-US"), chromedp.Env("LANG=en_US.UTF-8", "LANGUAGE=en_US"))
}

func headlessWith(t *testing.T, w, h int, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, func(step string, actions ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium not found at /usr/bin/chromium (apt-get install -y chromium); skipping the browser test")
	}
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser; it must not carry the timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	bctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for i, a := range actions {
			if _, err := chromedp.Run(bctx, a); err != nil {
				body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
				t.Fatalf("%s (action %d): %v\n%s", step, i, err, body)
			}
		}
	}
	return bctx, run
}

// peek saves a full-page screenshot as name in $CITYID_PEEK_DIR, when set,
// so a person can look at what a browser test saw (the journeys are
// walked by eye before an issue is closed); otherwise it does nothing.
func peek(t *testing.T, bctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CITYID_PEEK_DIR")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
