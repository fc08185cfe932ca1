package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
)

// stationsScene enrols three stations: one pending, one that synced (two
// imported, one refused) and one approved that never synced, then moves
// the clock past the stale warning.
func stationsScene(t *testing.T, e *env) (pending, synced *apptest.Station) {
	t.Helper()
	st := e.addStaff(t, "fieldsup", auth.RoleSupervisor, "")
	sup := auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role}
	synced = apptest.EnrolStation(t, e.app, "Parroquia San José", &sup, e.siteB.ID)
	apptest.EnrolStation(t, e.app, "Unidad móvil 2", &sup, e.siteB.ID)
	incomplete := apptest.FieldIntake(t, "Cora")
	incomplete.Documents = incomplete.Documents[:1] // no proof of residency: refused
	upload := func(b []byte) {
		if _, err := e.app.Field.Receive(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	upload(synced.Seal(t, apptest.FieldIntake(t, "Ana"), e.clk.Now(), "K7QM-4XPA-2RTA"))
	upload(synced.Seal(t, apptest.FieldIntake(t, "Bea"), e.clk.Now(), "K7QM-4XPA-2RTB"))
	upload(synced.Seal(t, incomplete, e.clk.Now(), "K7QM-4XPA-2RTC"))
	synced.Seal(t, apptest.FieldIntake(t, "Dora"), e.clk.Now(), "K7QM-4XPA-2RTD") // sealed, still on the laptop
	upload(synced.Seal(t, apptest.FieldIntake(t, "Eva"), e.clk.Now(), "K7QM-4XPA-2RTE"))
	cut := synced.Seal(t, apptest.FieldIntake(t, "Flor"), e.clk.Now(), "K7QM-4XPA-2RTF")
	upload(cut[:len(cut)-40]) // an interrupted upload: the header is not trusted, the station unknown
	e.clk.Add(10 * 24 * time.Hour)
	pending = apptest.EnrolStation(t, e.app, "Biblioteca Fair Haven", nil, "")
	return pending, synced
}

// The page counts per station without naming anyone, flags the station
// that never synced, lists the quarantine, and a supervisor approves the
// pending request; clerks cannot open it.
func TestStationsPage(t *testing.T) {
	e := newEnv(t)
	pending, synced := stationsScene(t, e)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	if r := e.signIn(t, "clerk1", testPassword).get(t, "/staff/stations"); r.Status != 403 {
		t.Fatalf("a clerk opens the stations page: %d, want 403", r.Status)
	}
	sup := e.signIn(t, "fieldsup", testPassword)
	body := strings.Join(strings.Fields(text(sup.get(t, "/staff/stations").Body)), " ")
	for _, want := range []string{"Parroquia San José", "Sealed 5", "Uploaded 4", "Not yet uploaded 1", "Imported 3", "Refused 1",
		"does not meet the program's rules (fields or documents). (1)", "cut short", "No sync for more than 7 days", "Biblioteca Fair Haven"} {
		if !strings.Contains(body, want) {
			t.Errorf("stations page lacks %q:\n%.2000s", want, body)
		}
	}
	for _, name := range []string{"Ana", "Bea", "García"} {
		if strings.Contains(body, name) {
			t.Errorf("stations page names a resident (%q)", name)
		}
	}
	dash := strings.Join(strings.Fields(text(sup.get(t, "/staff").Body)), " ")
	if !strings.Contains(dash, "1 station waiting for approval.") || !strings.Contains(dash, "2 stations have not synced for more than 7 days.") {
		t.Errorf("the supervisor's dashboard does not point at the waiting and the silent stations:\n%.1500s", dash)
	}
	for _, bad := range []string{"", "site_nosuchsite"} {
		if r := sup.post(t, "/staff/stations/"+pending.ID+"/approve", map[string][]string{"site": {bad}}); r.Status != 422 ||
			!strings.Contains(r.Body, "Choose the site its applications belong to") {
			t.Errorf("approve at site %q = %d, want 422 asking for a site", bad, r.Status)
		}
	}
	r := sup.post(t, "/staff/stations/"+pending.ID+"/approve", map[string][]string{"site": {e.siteB.ID}})
	if r.Status != 303 {
		t.Fatalf("approve = %d, want 303", r.Status)
	}
	if en, err := e.app.Field.Enrolment(context.Background(), pending.ID); err != nil || en.PacketKey == nil {
		t.Fatalf("after approval the enrolment = %+v, %v; want the packet key", en, err)
	}
	// The laptop is lost: revoke it, still accepting what it sealed up to number 5.
	if r := sup.post(t, "/staff/stations/"+synced.ID+"/revoke", map[string][]string{"accept_through": {"5"}}); r.Status != 303 {
		t.Fatalf("revoke = %d, want 303", r.Status)
	}
	body = strings.Join(strings.Fields(text(sup.get(t, "/staff/stations").Body)), " ")
	if !strings.Contains(body, "Parroquia San José (revoked)") || !strings.Contains(body, "Still accept packets numbered up to 5") {
		t.Errorf("after revoking, the page does not show it:\n%.2500s", body)
	}
}

// A supervisor on a 390 px phone in Spanish compares the code and approves
// a station; nothing scrolls sideways. CITYID_SCREENSHOTS=1 saves
// docs/img/stations-390-es.png.
func TestBrowserStationsSpanish390(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	pending, _ := stationsScene(t, e)
	sup := e.signIn(t, "fieldsup", testPassword)
	browserAs(t, bctx, e, sup)
	run("stations in Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/stations"),
		chromedp.WaitVisible(chromedp.CSS("#station-"+pending.ID)))
	noSidewaysScroll(t, bctx, "stations page", 390)
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Estaciones de campo", "Esperando aprobación", "Sin sincronizar desde hace más de 7 días", "Cuarentena", "incompleto"} {
		if !strings.Contains(body, want) {
			t.Errorf("Spanish stations page lacks %q: %.1500s", want, body)
		}
	}
	code, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#station-"+pending.ID+" .station-code")))
	if code != pendingCode(t, e, pending) {
		t.Errorf("code shown %q, want the station's %q", code, pendingCode(t, e, pending))
	}
	if os.Getenv("CITYID_SCREENSHOTS") == "1" {
		screenshot(t, bctx, "stations-390-es.png", "")
	}
	run("approve", chromedp.SetValue(chromedp.CSS("#site-"+pending.ID), e.siteB.ID),
		chromedp.Click(chromedp.CSS(`#station-`+pending.ID+` form[action$="/approve"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	flash, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".flash")))
	if !strings.Contains(flash, "Estación aprobada") {
		t.Errorf("after approving, the flash says %q", flash)
	}
	noSidewaysScroll(t, bctx, "stations page after approval", 390)
}

func pendingCode(t *testing.T, e *env, s *apptest.Station) string {
	t.Helper()
	en, err := e.app.Field.Enrolment(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return en.Code
}
