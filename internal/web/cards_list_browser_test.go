package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
)

// TestBrowserCardListsFit390Spanish opens the card desk's lists on demo data
// (300 residents with cards issued, printed and handed over, demo.Live) as
// a supervisor in Chromium at 390 px in Spanish: each card in a list is a
// small card of its own with its column names (the print queue's list
// needed 467 px and scrolled sideways in its box, the approved applications
// waiting for a card 446 px, their "Abrir" links off the screen), nothing
// reaches past the screen's edge, each card's number (each application's
// reference) is labelled, and no label stands alone (the queue's "Impresa:"
// had nothing after it for a card not yet printed).
func TestBrowserCardListsFit390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 2*time.Minute)
	e := newEnv(t)
	ctx := context.Background()
	if _, err := demo.Bulk(ctx, e.app, demo.Options{Residents: 300, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Live(ctx, e.app, demo.Options{Residents: 300, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	e.addStaff(t, "super", auth.RoleSupervisor, "")
	super := e.signIn(t, "super", testPassword)
	browserAsSpanish(t, bctx, e, super)
	listed := 0
	for _, l := range []struct{ tab, table, label string }{
		{"issue", "table#to-issue", "Referencia: "},
		{"queue", "table#cards", "Número de tarjeta: "},
		{"pickup", "table#cards", "Número de tarjeta: "},
		{"status", "table#cards", "Número de tarjeta: "},
	} {
		tab := l.tab
		run("open the "+tab+" list", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/staff/cards?tab="+tab))
		type geo struct {
			Width, Right float64
			Rows, Empty  int
			Label        string
		}
		g, err := chromedp.Run(bctx, chromedp.Evaluate[geo](`(() => { const t = document.querySelector("`+l.table+`");
			if (!t) return {Width: document.documentElement.scrollWidth};
			const first = t.querySelector("tbody td[data-label]");
			return {Width: document.documentElement.scrollWidth, Rows: t.tBodies[0].rows.length,
				Empty: [...t.querySelectorAll("tbody td[data-label]")].filter(c => c.innerText.trim() === "").length,
				Right: Math.max(...[...t.querySelectorAll("tbody td")].map(c => c.getBoundingClientRect().right)),
				Label: first ? getComputedStyle(first, "::before").content : "no labelled cell"}; })()`))
		if err != nil {
			t.Fatal(err)
		}
		peek(t, bctx, "cards-"+tab+"-es.png")
		if small, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](smallTargets)); err != nil || len(small) > 0 {
			t.Errorf("tab %s: controls under 44 px tall (%v): %q", tab, err, small)
		}
		if g.Rows == 0 {
			continue
		}
		listed++
		if g.Empty > 0 {
			t.Errorf("tab %s: %d labelled cells are empty (a label with nothing after it)", tab, g.Empty)
		}
		if g.Width > 390 || g.Right > 390 || !strings.Contains(g.Label, l.label) {
			t.Errorf("tab %s: page %.0f px, cells end at %.0f, first label %s; want all within 390 px and labelled", tab, g.Width, g.Right, g.Label)
		}
	}
	if listed == 0 {
		t.Fatal("no card list held a card: the demo issued none")
	}
}
