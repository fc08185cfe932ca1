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

// TestBrowserDemoDuplicateReview walks the supervisor's duplicate review on
// demo data, in Chromium at 390 px in Spanish: 300 demo residents, some
// returning and some bringing a look-alike (demo.Returning), leave flagged
// applications in the queue; the supervisor finds one marked "posible
// duplicado", opens it, compares the two records side by side without
// scrolling sideways, and decides "different people", which is kept as a
// label. Screenshot: $CITYID_PEEK_DIR/demo-duplicate-es.png.
func TestBrowserDemoDuplicateReview(t *testing.T) {
	bctx, run := headless(t, 390, 844, 2*time.Minute)
	e := newEnv(t)
	ctx := context.Background()
	withScreener(t, e, nil)
	if _, err := demo.Bulk(ctx, e.app, demo.Options{Residents: 300, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	rr, err := demo.Returning(ctx, e.app, demo.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rr.LeftForReview == 0 {
		t.Fatalf("the demo left no flagged application for review: %+v", rr)
	}
	e.addStaff(t, "super", auth.RoleSupervisor, "")
	super := e.signIn(t, "super", testPassword)
	browserAsSpanish(t, bctx, e, super)
	run("open the queue", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/staff/queue"), chromedp.WaitVisible(chromedp.CSS("table.summaries")))
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { for (const f of document.querySelectorAll("table.summaries .flag")) {
		if (f.textContent.includes("posible duplicado")) return f.closest("tr").querySelector("a").getAttribute("href"); } return ""; })()`))
	if err != nil || href == "" {
		t.Fatalf("no application marked 'posible duplicado' in the queue (%v)", err)
	}
	before, err := e.app.DB.PairDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run("open the flagged application to review it", chromedp.Navigate(e.ts.URL+href+"?purpose=review"), chromedp.WaitVisible(chromedp.CSS("#open-duplicates")))
	run("compare side by side", chromedp.Click(chromedp.CSS("#open-duplicates")), chromedp.WaitVisible(chromedp.CSS("#summary-0")))
	// The page does not scroll sideways, and neither does the comparison:
	// every field's verdict (Igual, Parecido, Distinto) is in view.
	type geo struct {
		Width, TableRight, VerdictRight float64
		Heading, Verdict                string
		Portrait                        int
	}
	g, err := chromedp.Run(bctx, chromedp.Evaluate[geo](`(() => { const t = document.querySelector("table.comparison");
		const v = [...t.querySelectorAll("tbody td:last-child")];
		return {Width: document.documentElement.scrollWidth, TableRight: t.getBoundingClientRect().right,
		VerdictRight: Math.max(...v.map(c => c.getBoundingClientRect().right)), Verdict: getComputedStyle(v[0], "::before").content + v[0].innerText,
		Heading: document.querySelector("#cand-0").textContent, Portrait: document.querySelectorAll(".portrait").length}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	peek(t, bctx, "demo-duplicate-es.png")
	if g.Width > 390 || !strings.Contains(g.Heading, "de probabilidad de ser la misma persona") || g.Portrait < 2 {
		t.Errorf("duplicate page: %.0f px wide, heading %q, %d photos; want it within 390 px, the chance in Spanish, both photos", g.Width, g.Heading, g.Portrait)
	}
	if g.TableRight > 390 || g.VerdictRight > 390 || !strings.HasPrefix(g.Verdict, `"Coincidencia: "`) {
		t.Errorf("comparison ends at %.0f px, its verdicts at %.0f, the first reads %q; want them within 390 px, each labelled \"Coincidencia: …\"", g.TableRight, g.VerdictRight, g.Verdict)
	}
	run("decide: different people", chromedp.Click(chromedp.CSS("button.distinct")), chromedp.WaitNotPresent(chromedp.CSS("#summary-0 + .never")))
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, err := e.app.DB.PairDecisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) == len(before)+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d decisions after 'Son personas distintas', want %d", len(after), len(before)+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
