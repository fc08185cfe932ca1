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
// needed 467 px and scrolled sideways in its box), nothing reaches past the
// screen's edge, and each card's number is labelled.
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
	for _, tab := range []string{"queue", "pickup", "status"} {
		run("open the "+tab+" list", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/staff/cards?tab="+tab))
		type geo struct {
			Width, Right float64
			Rows         int
			Label        string
		}
		g, err := chromedp.Run(bctx, chromedp.Evaluate[geo](`(() => { const t = document.querySelector("table#cards");
			if (!t) return {Width: document.documentElement.scrollWidth};
			const first = t.querySelector("tbody td[data-label]");
			return {Width: document.documentElement.scrollWidth, Rows: t.tBodies[0].rows.length,
				Right: Math.max(...[...t.querySelectorAll("tbody td")].map(c => c.getBoundingClientRect().right)),
				Label: getComputedStyle(first, "::before").content}; })()`))
		if err != nil {
			t.Fatal(err)
		}
		peek(t, bctx, "cards-"+tab+"-es.png")
		if g.Rows == 0 {
			continue
		}
		listed++
		if g.Width > 390 || g.Right > 390 || !strings.Contains(g.Label, "Número de tarjeta: ") {
			t.Errorf("tab %s: page %.0f px, cells end at %.0f, first label %s; want all within 390 px and labelled", tab, g.Width, g.Right, g.Label)
		}
	}
	if listed == 0 {
		t.Fatal("no card list held a card: the demo issued none")
	}
}
