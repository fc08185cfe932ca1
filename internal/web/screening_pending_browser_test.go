package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// While the screening index loads, a clerk's dashboard and a supervisor's
// review page on a 390 px phone in Spanish say so in Spanish (the
// percentage as Spanish writes it, "37 %", never broken across lines),
// and nothing scrolls sideways.
func TestBrowserScreeningPending390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	indexLoading(t, e)
	e.addStaff(t, "clerk", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "super", auth.RoleSupervisor, e.siteA.ID)
	clerk := e.signIn(t, "clerk", testPassword)
	form := validForm("pending-390")
	form.Set("action", "submit")
	id := submittedForm(t, clerk, form)

	browserAs(t, bctx, e, clerk)
	run("dashboard in Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff"),
		chromedp.WaitVisible(chromedp.CSS("#index-loading")))
	peek(t, bctx, "dashboard-pending-390-es.png")
	noSidewaysScroll(t, bctx, "dashboard", 390)
	banner, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#index-loading")))
	if !strings.Contains(banner, "Revisión de duplicados pendiente") || !strings.Contains(banner, "(37\u00a0% cargado)") {
		t.Errorf("dashboard banner = %q, want the Spanish notice with 37 %%", banner)
	}

	browserAs(t, bctx, e, e.signIn(t, "super", testPassword))
	run("review page in Spanish", chromedp.Navigate(e.ts.URL+"/staff/applications/"+id), chromedp.WaitVisible(chromedp.CSS("#screening-pending")))
	peek(t, bctx, "review-pending-390-es.png")
	noSidewaysScroll(t, bctx, "review page", 390)
	notice, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#screening-pending")))
	if !strings.Contains(notice, "el índice aún se está cargando") {
		t.Errorf("review page notice = %q, want the Spanish pending notice", notice)
	}
}
