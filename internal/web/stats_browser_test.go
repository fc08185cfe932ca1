package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// A supervisor reads the statistics on a 390 px phone in Spanish: the
// charts' labels and values are drawn at a readable size (they were 6 px
// when a 640-unit drawing was squeezed into the phone's width), the page
// does not scroll sideways, and the charts' descriptions, which screen
// readers speak, name the months as the page does ("marzo de 2026"), not
// as "2026-03".
func TestBrowserStatsCharts390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	clerk := e.signIn(t, "clerk1", testPassword)
	form := validForm("stats-390")
	form.Set("action", "submit")
	submittedForm(t, clerk, form)
	sup := e.signIn(t, "sup1", testPassword)

	browserAs(t, bctx, e, sup)
	run("stats in Spanish", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/stats%3Ffrom%3D2026-02%26to%3D2026-03"),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	peek(t, bctx, "stats-390-es.png")
	noSidewaysScroll(t, bctx, "statistics", 390)
	// The rendered height of each chart text: what the eye gets, whatever
	// the SVG's own font-size says.
	heights, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("svg.chart text")).map(t => t.getBoundingClientRect().height)`))
	if err != nil || len(heights) == 0 {
		t.Fatalf("chart texts: %v, %v", heights, err)
	}
	for i, h := range heights {
		if h < 14 {
			t.Errorf("chart text %d is drawn %.1f px high at 390 px wide, want at least 14 (a 14 px font's line)", i, h)
		}
	}
	labels, _ := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#chart-month-title ~ text")).map(t => t.textContent)`))
	if got := strings.Join(labels, "|"); !strings.Contains(got, "febrero de 2026") || !strings.Contains(got, "marzo de 2026") {
		t.Errorf("month chart texts = %q, want the months named in Spanish", got)
	}
	descs, _ := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("svg.chart desc")).map(d => d.textContent)`))
	if len(descs) != 3 {
		t.Fatalf("chart descriptions = %q, want 3", descs)
	}
	for _, d := range descs {
		if strings.Contains(d, "2026-0") || !strings.Contains(d, "febrero de 2026 a marzo de 2026") {
			t.Errorf("chart description %q, want the period as the page writes it (febrero de 2026 a marzo de 2026)", d)
		}
	}
	// The longest bar stays inside the chart with its value beside it.
	fits, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll("svg.chart")).every(svg => {
		const r = svg.getBoundingClientRect();
		return Array.from(svg.querySelectorAll("text, rect")).every(el => el.getBoundingClientRect().right <= r.right + 0.5);
	})`))
	if !fits {
		t.Error("a chart's bar or text runs past the chart's right edge")
	}
}
