package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// An administrator on a 390 px phone in Spanish: each staff member, request
// and site, each document rule, each row of the privacy and statistics
// tables is a small card with its column names, and neither the page nor a
// table scrolls sideways (the staff table needed 734 px, the sites table
// 465, the settings' document rules 531, the privacy holdings 448, the
// statistics 516-582, scrolling in their own boxes). The buttons in those tables
// carry screen-reader-only names (absolutely positioned spans) that once
// escaped the table's scroll box and made the staff page 595 px wide.
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
		{"/staff/admin/settings", `main table tbody tr`},
		{"/staff/privacy", `tr#class-drafts`},
		{"/staff/stats", `main table tfoot tr`},
	} {
		run(p.path, chromedp.Navigate(e.ts.URL+p.path), chromedp.WaitReady(chromedp.CSS(p.table)))
		peek(t, bctx, "narrow"+strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(p.path, "/staff"), "/admin"), "/", "-")+".png")
		noSidewaysScroll(t, bctx, p.path, 390)
		cellsWithin(t, bctx, p.path, 390)
	}
}

// cellsWithin fails the test when a table cell of the page reaches past
// width: a table wider than the screen scrolls in its own box, which the
// page's width does not show.
func cellsWithin(t *testing.T, bctx context.Context, step string, width int) {
	t.Helper()
	over, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll("tbody td, tbody th"))
		.filter(c => c.getBoundingClientRect().width > 0 && c.getBoundingClientRect().right > %d)
		.slice(0, 5).map(c => (c.dataset.label || c.tagName) + ":" + Math.round(c.getBoundingClientRect().right))`, width+1)))
	if err != nil || len(over) > 0 {
		t.Errorf("%s at %d px: table cells reach past the screen (%v): %v", step, width, err, over)
	}
}

// smallTargets lists the page's visible controls under 44 px tall: buttons,
// form fields (file pickers too), the header's menu and language links.
// Links inside running text, tick boxes and the hidden file inputs behind
// a button-styled label (their labels are the target) are left out.
const smallTargets = `Array.from(document.querySelectorAll('button, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, header a, table.summaries a, table.cards a, .tabs a'))
 .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.height < 43.5 && !e.classList.contains('skip') && !(e.type === 'file' && e.closest('.file-pick')); })
 .map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.type ? '[' + e.type + ']' : '') + ' "' + (e.innerText || '').trim().slice(0, 20) + '" ' + Math.round(e.getBoundingClientRect().height) + ' px')`

// Staff and tellers at 390 px in Spanish: every button, field, file
// picker, menu link, the verifier's card/phone tabs and each "Open" link of
// the application list (a card per application on a phone) is at least
// 44 px tall, as on the resident site. Before, fields were 39–42 px,
// "Cerrar sesión" 23 px, the menu, language and tab links 18–19 px, the
// month pickers of the statistics and the verifier's file picker 21 px.
func TestBrowserStaffTouchTargets390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 120*time.Second)
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	clerk := e.signIn(t, "clerk1", testPassword)
	sup := e.signIn(t, "sup1", testPassword)
	form := validForm("targets-390")
	form.Set("action", "submit")
	id := submittedForm(t, clerk, form)
	check := func(who, path, ready string) {
		t.Helper()
		run(who+" "+path, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		peek(t, bctx, "targets-"+who+strings.ReplaceAll(path, "/", "_")+".png")
		small, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](smallTargets))
		if err != nil || len(small) > 0 {
			t.Errorf("%s %s at 390 px: controls under 44 px tall (%v): %q", who, path, err, small)
		}
	}
	browserAs(t, bctx, e, clerk)
	run("Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff"), chromedp.WaitVisible(chromedp.CSS("main")))
	check("clerk", "/staff/intake", "#f-photo")
	check("clerk", "/staff/applications", "#f-q")
	browserAs(t, bctx, e, sup)
	run("Spanish", chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff"), chromedp.WaitVisible(chromedp.CSS("main")))
	check("supervisor", "/staff/applications/"+id, "#approve")
	check("supervisor", "/staff/stats", "#f-from")
	check("teller", "/es/verify", "#f-photo")
	check("teller", "/es/verify/phone", `form button[type=submit]`)
}
