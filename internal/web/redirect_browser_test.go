package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOpenRedirectInChromium follows each ?next= variant in a real
// browser, whose URL parser is the one that matters: wherever Chromium
// ends up must be this site. evil.example resolves to 127.0.0.1 (on port
// 80, where nothing listens), so an escape shows as a failed navigation
// or a location on another host.
func TestOpenRedirectInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium not found at /usr/bin/chromium (apt-get install -y chromium); skipping the browser test")
	}
	e := newEnv(t)
	base, _ := url.Parse(e.ts.URL)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("host-resolver-rules", "MAP evil.example 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if _, err := chromedp.Run(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	for _, v := range redirectVariants {
		ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Navigate(e.ts.URL+"/lang/en?next="+url.QueryEscape(v)))
		loc, lerr := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if err != nil || lerr != nil {
			t.Errorf("next=%q: navigation failed (%v, %v) at %q: the redirect left the site", v, err, lerr, loc)
			continue
		}
		u, perr := url.Parse(loc)
		if perr != nil || u.Host != base.Host {
			t.Errorf("next=%q: Chromium ended at %q, want %s", v, loc, base.Host)
		}
	}
}
