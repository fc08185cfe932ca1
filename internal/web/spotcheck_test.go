package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// spotEnv takes three applications — Ana Rivera, a second form of hers
// with a new address and a birth date two keystrokes off, and a stranger —
// on a server with screening, and returns their ids.
func spotEnv(t *testing.T, e *env) (ana, again, other string) {
	t.Helper()
	withScreener(t, e, nil)
	submit := clerkSubmit(t, e, "clerk-spot")
	p := person.Person{GivenNames: "Ana Lucía", FirstSurname: "Rivera", SecondSurname: "Torres", DateOfBirth: person.Date{Year: 1979, Month: 3, Day: 14},
		Address: person.Address{Line1: "55 Orchard St", City: "New Haven", State: "CT", PostalCode: "06511"}, Language: "es"}
	ana = submit(p, "spot-ana")
	e.clk.Add(48 * time.Hour) // her second form two days later: the newer of the two
	q := p
	q.Address = person.Address{Line1: "410 Winchester Ave", Line2: "Apt 2", City: "New Haven", State: "CT", PostalCode: "06515"}
	q.DateOfBirth = person.Date{Year: 1979, Month: 4, Day: 15}
	again = submit(q, "spot-again")
	other = submit(person.Person{GivenNames: "Dieudonné", FirstSurname: "Lafortune", DateOfBirth: person.Date{Year: 2001, Month: 11, Day: 2},
		Address: person.Address{Line1: "7 Upson Rd", City: "New Haven", State: "CT", PostalCode: "06510"}, Language: "en"}, "spot-other")
	return ana, again, other
}

// addSpotCheck stores a drawn pair, as a draw would.
func addSpotCheck(t *testing.T, e *env, a, b string) {
	t.Helper()
	if err := e.app.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertSpotChecks(context.Background(), []store.SpotCheck{{ApplicationID: a, CandidateID: b, Probability: 0.6, BandPairs: 1, DrawnBy: "stf_admin", DrawnAt: e.clk.Now()}})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestSpotCheckPages: an administrator draws pairs from the model page;
// a supervisor finds them under Spot checks (a list with no personal
// data), opens one (both records read under fraud_review, audited; no
// percentage shown), and decides it; "same person" says screening missed
// them and links both records. A second decision on the pair is refused
// with a notice; the model page sums the decisions up. Clerks and
// supervisors cannot draw; administrators and clerks cannot decide.
func TestSpotCheckPages(t *testing.T) {
	e := newEnv(t)
	ana, again, other := spotEnv(t, e)
	e.addStaff(t, "adm1", auth.RoleAdmin, "")
	sup := e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	admin := e.signIn(t, "adm1", testPassword)
	super := e.signIn(t, "sup1", testPassword)
	clerk := e.signIn(t, "clerk1", testPassword)

	r := admin.get(t, "/staff/admin/model")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="spot-draw"`) || !strings.Contains(r.Body, "Draw 20 pairs for a spot check") ||
		!strings.Contains(r.Body, "from 50 % to under 80 %") {
		t.Fatalf("model page = %d, want the spot-check section with the draw button and the band:\n%s", r.Status, text(r.Body))
	}
	r = admin.post(t, "/staff/admin/model/spot-checks", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=drawn") {
		t.Fatalf("POST draw = %d %s, want 303 to a done notice", r.Status, r.Location)
	}
	drawn, err := e.app.DB.SpotChecks(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	body := text(admin.get(t, r.Location).Body)
	switch want := fmt.Sprintf("%d pairs were drawn", len(drawn)); {
	case len(drawn) == 1 && !strings.Contains(body, "1 pair was drawn"),
		len(drawn) > 1 && !strings.Contains(body, want),
		len(drawn) == 0 && !strings.Contains(body, "none had a pair under the review threshold left to draw"):
		t.Errorf("after drawing %d pairs the page says: %s", len(drawn), body)
	}
	t.Logf("the draw found %d pairs among 3 applications", len(drawn))
	if ev, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Action: "linkage.spot_checks_drawn"}); err != nil || len(ev) != 1 {
		t.Errorf("draw audited %d times (%v), want once", len(ev), err)
	}
	for _, c := range []*client{super, clerk} {
		if r := c.post(t, "/staff/admin/model/spot-checks", nil); r.Status != http.StatusForbidden {
			t.Errorf("non-administrator POST draw = %d, want 403", r.Status)
		}
	}
	for _, c := range []*client{admin, clerk} {
		if r := c.get(t, "/staff/spot-checks"); r.Status != http.StatusForbidden {
			t.Errorf("non-supervisor GET /staff/spot-checks = %d, want 403", r.Status)
		}
	}

	// The supervisor's list: pairs, no names.
	addSpotCheck(t, e, again, ana)
	addSpotCheck(t, e, other, ana)
	r = super.get(t, "/staff/spot-checks")
	pairPath := "/staff/spot-checks/" + again + "/" + ana
	if r.Status != http.StatusOK || !strings.Contains(r.Body, pairPath) || !strings.Contains(r.Body, `href="/staff/spot-checks"`) {
		t.Fatalf("supervisor list = %d, want a link to the pair and a menu entry:\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "Rivera") || strings.Contains(r.Body, "Lafortune") {
		t.Error("the list of spot checks shows names; opening a pair is the audited read")
	}

	// Opening the pair reads both records, audited; no percentage.
	r = super.get(t, pairPath)
	if r.Status != http.StatusOK || strings.Count(r.Body, "Rivera") < 2 || !strings.Contains(r.Body, `id="spot-same"`) {
		t.Fatalf("pair page = %d, want both records and the decision buttons:\n%s", r.Status, text(r.Body))
	}
	if strings.Contains(text(r.Body), "%") {
		t.Errorf("the pair page shows a percentage; the supervisor decides from the records: %s", text(r.Body))
	}
	reads, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Actor: sup.ID, Action: "application.read"})
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]string{}
	for _, ev := range reads {
		read[ev.RecordID] = ev.Purpose
	}
	if read[ana] != "fraud_review" || read[again] != "fraud_review" {
		t.Errorf("opening the pair audited %v, want both records read for fraud_review", read)
	}

	// Same person, both pending: the newer goes before a supervisor as a
	// possible duplicate, and the notice leads there.
	r = super.post(t, pairPath+"/same", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=flagged") {
		t.Fatalf("POST same = %d %s, want 303 to done=flagged", r.Status, r.Location)
	}
	r = super.get(t, r.Location)
	if !strings.Contains(r.Body, "the pending application is now in the review queue as a possible duplicate") ||
		!strings.Contains(r.Body, `href="/staff/applications/`+again+`/duplicates"`) {
		t.Errorf("after 'same person' the list does not say where the application went:\n%s", r.Body)
	}
	if strings.Contains(r.Body, pairPath) {
		t.Error("the decided pair is still listed")
	}
	if r := super.get(t, "/staff/applications/"+again+"/duplicates"); r.Status != http.StatusOK || !strings.Contains(r.Body, "/staff/applications/"+again+"/duplicates/"+ana+"/same") {
		t.Errorf("the flagged application's duplicates page = %d, want Ana's first form as its candidate", r.Status)
	}

	// Same person, neither pending (both rejected here): nothing to queue,
	// so the notice links both records for the supervisor to act on.
	supActor := auth.Actor{StaffID: sup.ID, Username: sup.Username, Role: sup.Role, SiteID: sup.SiteID}
	for _, id := range []string{other, ana} {
		if err := e.app.Enroll.Reject(context.Background(), supActor, id, "not_resident", ""); err != nil {
			t.Fatal(err)
		}
	}
	r = super.post(t, "/staff/spot-checks/"+other+"/"+ana+"/same", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=same") {
		t.Fatalf("POST same on two decided records = %d %s, want 303 to done=same", r.Status, r.Location)
	}
	r = super.get(t, r.Location)
	if !strings.Contains(r.Body, "Screening did not flag these two records") ||
		!strings.Contains(r.Body, `href="/staff/applications/`+other+`?purpose=fraud_review"`) || !strings.Contains(r.Body, `href="/staff/applications/`+ana+`?purpose=fraud_review"`) {
		t.Errorf("after 'same person' on decided records the list does not link both:\n%s", r.Body)
	}
	// A link cannot make the page link elsewhere.
	if r := super.get(t, "/staff/spot-checks?done=same&a="+url.QueryEscape(`"><script>x</script>`)+"&b=app_aaaaaaaaaaaaaaaa"); strings.Contains(r.Body, "<script>x") || strings.Contains(r.Body, "spot-same-links") {
		t.Error("a crafted link put its ids in the page")
	}
	labels, err := e.app.DB.PairDecisions(context.Background())
	if err != nil || len(labels) != 2 || !labels[0].Same || !labels[1].Same || labels[0].DecidedBy != sup.ID {
		t.Errorf("labels %+v (%v), want the supervisor's two 'same person'", labels, err)
	}

	// Decided already: the page and a second POST say so.
	for _, r := range []resp{super.get(t, pairPath), super.post(t, pairPath+"/distinct", nil)} {
		if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=taken") {
			t.Errorf("the decided pair again = %d %s, want 303 to done=taken", r.Status, r.Location)
		}
	}
	if body := super.get(t, "/staff/spot-checks?done=taken").Body; !strings.Contains(body, "Another supervisor decided that pair first") {
		t.Error("the taken notice is missing")
	}
	if r := super.get(t, "/staff/spot-checks/"+ana+"/"+other); r.Status != http.StatusNotFound {
		t.Errorf("a pair never drawn = %d, want 404", r.Status)
	}
	addSpotCheck(t, e, ana, again)
	if r := admin.post(t, "/staff/spot-checks/"+ana+"/"+again+"/same", nil); r.Status != http.StatusForbidden {
		t.Errorf("administrator decides = %d, want 403", r.Status)
	}

	// The model page sums the decisions up.
	r = admin.get(t, "/staff/admin/model")
	for _, want := range []string{`id="spot-decided-count">2<`, `id="spot-same-count">2<`, "Decided so far: 2 pairs; one person: 2."} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("model page lacks %q", want)
		}
	}
}

// TestBrowserSpotCheck390Spanish: a supervisor on a phone in Spanish opens
// a spot check from the menu, sees both records within the screen, and
// calls them different people.
func TestBrowserSpotCheck390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 2*time.Minute)
	e := newEnv(t)
	ana, again, _ := spotEnv(t, e)
	addSpotCheck(t, e, again, ana)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	super := e.signIn(t, "sup1", testPassword)
	browserAsSpanish(t, bctx, e, super)
	run("open the menu", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/staff"), chromedp.Click(chromedp.CSS("details.menu summary")),
		chromedp.WaitVisible(chromedp.CSS(`details.menu a[href="/staff/spot-checks"]`)))
	peek(t, bctx, "spot-menu-es.png")
	entry, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`details.menu a[href="/staff/spot-checks"]`)))
	if err != nil || entry != "Comprobaciones al azar" {
		t.Errorf("menu entry %q (%v), want Comprobaciones al azar", entry, err)
	}
	run("open the spot checks from the menu", chromedp.Click(chromedp.CSS(`details.menu a[href="/staff/spot-checks"]`)), chromedp.WaitVisible(chromedp.CSS("#spot-open a")))
	peek(t, bctx, "spot-list-es.png")
	noSidewaysScroll(t, bctx, "spot check list", 390)
	run("open the pair", chromedp.Click(chromedp.CSS("#spot-open a")), chromedp.WaitVisible(chromedp.CSS("#spot-distinct")))
	peek(t, bctx, "spot-pair-es.png")
	noSidewaysScroll(t, bctx, "spot check pair", 390)
	cellsWithin(t, bctx, "spot check pair", 390)
	heading, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || heading != "Comprobación al azar" {
		t.Errorf("heading %q (%v), want Spanish", heading, err)
	}
	run("different people", chromedp.Click(chromedp.CSS("#spot-distinct")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	notice, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".notice")))
	if err != nil || !strings.Contains(notice, "Registrado: son personas distintas.") {
		t.Errorf("notice %q (%v)", notice, err)
	}
	peek(t, bctx, "spot-done-es.png")
	if labels, err := e.app.DB.PairDecisions(context.Background()); err != nil || len(labels) != 1 || labels[0].Same {
		t.Errorf("labels %+v (%v), want one 'different people'", labels, err)
	}
}
