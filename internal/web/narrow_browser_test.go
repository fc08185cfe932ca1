package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// An administrator on a 390 px phone in Spanish: the staff and sites
// tables scroll inside their own box and the page itself does not scroll
// sideways. The buttons in those tables carry screen-reader-only names
// (absolutely positioned spans) that escaped the table's scroll box and
// made the staff page 595 px wide and the sites page 465 px.
func TestBrowserAdminTablesFit390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.addStaff(t, "adm1", auth.RoleAdmin, "")
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	adm := e.signIn(t, "adm1", testPassword)
	browserAs(t, bctx, e, adm)
	run("Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff"), chromedp.WaitVisible(chromedp.CSS("main")))
	for _, p := range []struct{ path, table string }{
		{"/staff/admin/staff", `form[action$="/reset"] button`},
		{"/staff/admin/sites", `a[href^="/staff/admin/sites/site_"]`},
	} {
		run(p.path, chromedp.Navigate(e.ts.URL+p.path), chromedp.WaitReady(chromedp.CSS(p.table)))
		peek(t, bctx, "narrow"+p.path[len("/staff/admin"):]+".png")
		noSidewaysScroll(t, bctx, p.path, 390)
	}
}
