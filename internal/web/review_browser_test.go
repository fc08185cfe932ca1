package web

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// A supervisor on a 390 px phone in Spanish: the review queue, an
// application's review page and the approval, with nothing scrolling
// sideways and the decision confirmed in Spanish. CITYID_SCREENSHOTS=1
// saves docs/img/review-390-es.png.
func TestBrowserSupervisorApprovesSpanish390(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	clerk := e.signIn(t, "clerk1", testPassword)
	sup := e.signIn(t, "sup1", testPassword)
	form := validForm("review-390")
	form.Set("action", "submit")
	id := submittedForm(t, clerk, form)

	browserAs(t, bctx, e, sup)
	wide := func(step string) {
		t.Helper()
		noSidewaysScroll(t, bctx, step, 390)
	}
	run("queue in Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/queue"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/staff/applications/`+id+`"]`)))
	wide("review queue")
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "Cola de revisión") {
		t.Errorf("queue is not in Spanish: %.300s", body)
	}
	run("open the application", chromedp.Click(chromedp.CSS(`a[href="/staff/applications/`+id+`"]`)), chromedp.WaitVisible(chromedp.CSS("#approve")))
	wide("review page")
	body, _ = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "Aprobar") || !strings.Contains(body, "Decisión") {
		t.Errorf("review page is not the Spanish decision page: %.400s", body)
	}
	if os.Getenv("CITYID_SCREENSHOTS") == "1" {
		screenshot(t, bctx, "review-390-es.png", "")
	}
	run("approve", chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	flash, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".flash")))
	if !strings.Contains(flash, "Decisión registrada") {
		t.Errorf("after approving, the flash says %q, want the Spanish confirmation", flash)
	}
	wide("page after the decision")
	if got := refRE.FindAllStringSubmatch(sup.get(t, "/staff/applications?status=approved").Body, -1); len(got) != 1 {
		t.Errorf("approved applications after the decision = %d, want 1", len(got))
	}
}
