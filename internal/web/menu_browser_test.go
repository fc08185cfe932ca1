package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// visibleMenu lists the header's menu entries a person can see now: each
// link's href (the sign-out button as "logout"), in page order. A closed
// disclosure's content still answers getBoundingClientRect (it is laid
// out on demand), so checkVisibility says whether it is shown.
const visibleMenu = `Array.from(document.querySelectorAll('header nav a, header form[action="/logout"] button'))
 .filter(e => { const r = e.getBoundingClientRect(); return e.checkVisibility({visibilityProperty: true}) && r.width > 0 && r.height > 0; })
 .map(e => e.tagName === 'A' ? e.getAttribute('href') : 'logout')`

// allMenu is every menu entry the header holds, shown or not, once each.
const allMenu = `Array.from(new Set(Array.from(document.querySelectorAll('header nav a')).map(a => a.getAttribute('href')))).concat(['logout'])`

// focusedEntry names the element with the keyboard focus as visibleMenu does.
const focusedEntry = `(e => e.tagName === 'A' ? e.getAttribute('href') : e.tagName === 'BUTTON' && e.closest('form[action="/logout"]') ? 'logout' : e.tagName + ' ' + (e.innerText || '').trim().slice(0, 20))(document.activeElement)`

// axNav is what a screen reader is given of the header's menu: how many
// navigation landmarks, and the names of the links inside them.
func axNav(t *testing.T, bctx context.Context) (navs int, links []string) {
	t.Helper()
	_, err := chromedp.Run(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		byID := map[accessibility.NodeID]*accessibility.Node{}
		for _, n := range res.Nodes {
			byID[n.NodeID] = n
		}
		str := func(v *accessibility.Value) string {
			if v == nil {
				return ""
			}
			var s string
			if json.Unmarshal([]byte(v.Value), &s) != nil {
				return string(v.Value)
			}
			return s
		}
		var walk func(id accessibility.NodeID)
		walk = func(id accessibility.NodeID) {
			n := byID[id]
			if n == nil {
				return
			}
			if !n.Ignored && str(n.Role) == "link" {
				links = append(links, str(n.Name))
			}
			for _, c := range n.ChildIDs {
				walk(c)
			}
		}
		for _, n := range res.Nodes {
			if !n.Ignored && str(n.Role) == "navigation" {
				navs++
				walk(n.NodeID)
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	return navs, links
}

// An administrator (the longest menu) on a 390 px phone in Spanish: the
// page's heading starts within the first 150 px, under a one-row header
// with a "Menú" disclosure; opened with the keyboard, it shows every link
// and the sign-out button, each reached in turn with Tab. At 1280 px the
// links are in the header with nothing to open. Before, the page's
// content started 403 px down at 390 px: eleven 44 px links, the sign-out
// and the language switch wrapped onto rows under the program's name.
func TestBrowserStaffMenu390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 120*time.Second)
	e := newEnv(t)
	e.addStaff(t, "adm1", auth.RoleAdmin, "")
	adm := e.signIn(t, "adm1", testPassword)
	browserAs(t, bctx, e, adm)
	run("Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	for _, path := range []string{"/staff", "/staff/admin/staff", "/staff/admin/sites"} {
		run(path, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		// The first thing in main: the heading, or a notice above it.
		top, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector('main').firstElementChild.getBoundingClientRect().top`))
		if err != nil || top > 150 {
			peek(t, bctx, "menu-390-closed"+strings.ReplaceAll(path, "/", "_")+".png")
			t.Errorf("%s at 390 px: the page's content starts %.0f px down (%v), want within the first 150 px", path, top, err)
		}
	}
	run("dashboard", chromedp.Navigate(e.ts.URL+"/staff"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	peek(t, bctx, "menu-390-closed.png")
	all, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](allMenu))
	if err != nil || len(all) < 10 {
		t.Fatalf("the administrator's menu has %d entries (%v), want at least 10: %q", len(all), err, all)
	}
	if shown, _ := chromedp.Run(bctx, chromedp.Evaluate[[]string](visibleMenu)); len(shown) > 0 {
		t.Errorf("at 390 px before opening the menu, shown: %q, want none", shown)
	}
	if navs, links := axNav(t, bctx); navs != 0 || len(links) != 0 {
		t.Errorf("at 390 px before opening the menu, a screen reader gets %d navigation landmarks with links %q, want none until it is opened", navs, links)
	}
	if summary, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("header summary")?.innerText.trim() ?? ""`)); err != nil || summary != "Menú" {
		t.Fatalf("menu button = %q (%v), want Menú", summary, err)
	}
	// Open it with the keyboard: Enter on the button.
	run("open the menu with the keyboard", chromedp.Focus(chromedp.CSS("header summary")), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(".menu-panel nav a")))
	peek(t, bctx, "menu-390-open.png")
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](visibleMenu))
	if err != nil || !slices.Equal(shown, all) {
		t.Errorf("at 390 px with the menu open, shown %q (%v), want every entry %q", shown, err, all)
	}
	small, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](smallTargets))
	if err != nil || len(small) > 0 {
		t.Errorf("at 390 px with the menu open, controls under 44 px tall (%v): %q", err, small)
	}
	var tabbed []string
	for range all {
		run("Tab", chromedp.KeyEvent("\t"))
		f, err := chromedp.Run(bctx, chromedp.Evaluate[string](focusedEntry))
		if err != nil {
			t.Fatal(err)
		}
		tabbed = append(tabbed, f)
	}
	if !slices.Equal(tabbed, all) {
		t.Errorf("Tab from the open menu's button reaches %q, want %q", tabbed, all)
	}
	// A screen reader is given the menu once: one navigation landmark
	// with every link, not the hidden wide copy as well.
	if navs, links := axNav(t, bctx); navs != 1 || len(links) != len(all)-1 {
		t.Errorf("with the menu open, a screen reader gets %d navigation landmarks with links %q, want 1 with %d links", navs, links, len(all)-1)
	}

	// 1280 px: the links in the header, nothing to open.
	run("1280 px", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.ts.URL+"/staff"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	peek(t, bctx, "menu-1280.png")
	shown, err = chromedp.Run(bctx, chromedp.Evaluate[[]string](visibleMenu))
	if err != nil || !slices.Equal(shown, all) {
		t.Errorf("at 1280 px, shown %q (%v), want every entry %q without opening anything", shown, err, all)
	}
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('header summary')).filter(s => s.getClientRects().length > 0).length`)); err != nil || n != 0 {
		t.Errorf("at 1280 px, %d menu buttons shown (%v), want none", n, err)
	}
	if navs, links := axNav(t, bctx); navs != 1 || len(links) != len(all)-1 {
		t.Errorf("at 1280 px, a screen reader gets %d navigation landmarks with links %q, want 1 with %d links", navs, links, len(all)-1)
	}
}
