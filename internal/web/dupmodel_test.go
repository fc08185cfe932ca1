package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/synth"
)

// decidePairs submits n synthetic residents, each with a second
// application (same person) and a twin or a junior (different people), and
// records a supervisor's decision on both pairs, as the review does.
func decidePairs(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := context.Background()
	submit := clerkSubmit(t, e, "clerk-decide")
	g := synth.New(53)
	record := func(a, b string, same bool) {
		t.Helper()
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.RecordPairDecision(ctx, a, b, same, "sup-decide", e.clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		p := g.Person()
		orig := submit(p, fmt.Sprintf("o%d", i))
		record(submit(g.Duplicate(p), fmt.Sprintf("d%d", i)), orig, true)
		rel := synth.Twin
		if i%2 == 1 {
			rel = synth.Junior
		}
		record(submit(g.Relative(p, rel), fmt.Sprintf("r%d", i)), orig, false)
	}
}

// clerkSubmit adds a clerk at site A and returns a function that submits a
// person's application as that clerk (paying the fee for the applicant's
// age today) and gives its id.
func clerkSubmit(t *testing.T, e *env, username string) func(p person.Person, key string) string {
	t.Helper()
	st := e.addStaff(t, username, auth.RoleClerk, e.siteA.ID)
	clerk := auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role, SiteID: st.SiteID}
	return func(p person.Person, key string) string {
		t.Helper()
		in := validIntake(t, e, key)
		in.Person = p
		in.Payment.AmountCents = fee.Compute(e.app.Settings.Fees, fee.KindNew, p.DateOfBirth, person.DateOf(e.clk.Now())).AmountCents
		a, err := e.app.Enroll.Submit(context.Background(), clerk, "", in)
		if err != nil {
			t.Fatalf("Submit(%s): %v", key, err)
		}
		return a.ID
	}
}

// TestModelPage: an administrator sees the duplicate model's versions and
// what each did on the decisions it never trained on, has it learn from the
// decisions now, brings back a version and goes back; each change is in
// the audit log under their name. Other roles are refused.
func TestModelPage(t *testing.T) {
	e := newEnv(t)
	adm := e.addStaff(t, "adm1", auth.RoleAdmin, "")
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	admin := e.signIn(t, "adm1", testPassword)
	super := e.signIn(t, "sup1", testPassword)
	// A server without duplicate screening has no model to manage.
	if r := admin.get(t, "/staff/admin/model"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Duplicate screening is off on this server") || strings.Contains(r.Body, "model-estimate") {
		t.Errorf("model page without screening = %d, want it to say screening is off and offer nothing: %s", r.Status, r.Body)
	}
	if r := admin.post(t, "/staff/admin/model/estimate", nil); r.Status != http.StatusNotFound {
		t.Errorf("POST estimate without screening = %d, want 404", r.Status)
	}
	withScreener(t, e, nil)
	for _, path := range []string{"/staff/admin/model"} {
		if r := super.get(t, path); r.Status != http.StatusForbidden {
			t.Errorf("supervisor GET %s = %d, want 403", path, r.Status)
		}
	}
	if r := super.post(t, "/staff/admin/model/estimate", nil); r.Status != http.StatusForbidden {
		t.Errorf("supervisor POST estimate = %d, want 403", r.Status)
	}

	r := admin.get(t, "/staff/admin/model")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="model-in-use">the built-in model<`) || !strings.Contains(r.Body, "No version yet") {
		t.Fatalf("admin GET /staff/admin/model = %d; want the built-in model in use and no version: %s", r.Status, r.Body)
	}
	// Nothing to learn from yet: said so, nothing stored.
	r = admin.post(t, "/staff/admin/model/estimate", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=few") {
		t.Fatalf("POST estimate with no decisions = %d %s, want 303 to done=few", r.Status, r.Location)
	}
	if r = admin.get(t, r.Location); !strings.Contains(r.Body, "Not enough decisions to learn from yet") {
		t.Errorf("after an estimate with no decisions the page does not say why: %s", r.Body)
	}

	decidePairs(t, e, 60)
	r = admin.post(t, "/staff/admin/model/estimate", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "v=1") {
		t.Fatalf("POST estimate = %d %s, want 303 to version 1", r.Status, r.Location)
	}
	r = admin.get(t, r.Location)
	ms, err := e.app.Services.Duplicates.Models(context.Background(), auth.System())
	if err != nil || len(ms) != 1 {
		t.Fatalf("Models = %d versions, %v; want 1", len(ms), err)
	}
	rep := ms[0].Report
	// The page shows what the store holds, whichever way the held-out test went.
	wantState, wantNotice := "in use", "Version 1 learned from the decisions and is now in use."
	if ms[0].Refused {
		wantState, wantNotice = "refused", "Version 1 learned from the decisions but did worse on those it never saw"
	}
	for _, want := range []string{
		wantNotice, `<tr id="model-1">`, wantState,
		fmt.Sprintf("learned from %d, tested on %d", rep.Trained, rep.HeldOut),
		fmt.Sprintf("%d of %d (", rep.Candidate.TP, rep.Candidate.Same),
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("model page after the estimate lacks %q", want)
		}
	}
	// The version in use shows how true its percentages were.
	if chart := strings.Contains(r.Body, `<figure class="chart-figure" id="model-chart">`); chart == ms[0].Refused {
		t.Errorf("calibration chart shown %v with version 1 refused %v; want it for the version in use", chart, ms[0].Refused)
	}
	// Asked again with no new decision: nothing learned, no copy stored.
	if r := admin.post(t, "/staff/admin/model/estimate", nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=nothing") {
		t.Errorf("POST estimate with no new decision = %d %s, want 303 to done=nothing", r.Status, r.Location)
	} else if body := admin.get(t, r.Location).Body; !strings.Contains(body, "there is nothing new to learn from") {
		t.Errorf("the page does not say there was nothing new")
	}
	if again, _ := e.app.Services.Duplicates.Models(context.Background(), auth.System()); len(again) != 1 {
		t.Errorf("%d versions after asking again with no new decision, want 1", len(again))
	}
	if rep.Trained+rep.HeldOut != 120 {
		t.Errorf("the estimate used %d+%d decisions, want the 120 made", rep.Trained, rep.HeldOut)
	}

	// A model file stored as a version (not in use) can be brought in by
	// the administrator, then left by going back.
	body, _ := json.Marshal(linkage.DefaultModel())
	v, err := e.app.Services.Duplicates.Import(context.Background(), auth.System(), body, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	before := e.app.Services.Duplicates.ModelVersion()
	r = admin.get(t, "/staff/admin/model")
	if !strings.Contains(r.Body, fmt.Sprintf(`action="/staff/admin/model/%d/activate"`, v)) {
		t.Fatalf("the imported version %d has no 'Use this version' button", v)
	}
	if ms[0].Refused && strings.Contains(r.Body, `action="/staff/admin/model/1/activate"`) {
		t.Error("a refused version offers 'Use this version'")
	}
	r = admin.post(t, fmt.Sprintf("/staff/admin/model/%d/activate", v), nil)
	if r.Status != http.StatusSeeOther || e.app.Services.Duplicates.ModelVersion() != v {
		t.Fatalf("POST activate %d = %d, model in use %d", v, r.Status, e.app.Services.Duplicates.ModelVersion())
	}
	if r = admin.get(t, r.Location); !strings.Contains(r.Body, fmt.Sprintf("Version %d is now in use.", v)) || !strings.Contains(r.Body, fmt.Sprintf(`id="model-in-use">Version %d<`, v)) {
		t.Errorf("after activating %d the page does not say so: %s", v, r.Body)
	}
	r = admin.post(t, "/staff/admin/model/rollback", nil)
	if r.Status != http.StatusSeeOther || e.app.Services.Duplicates.ModelVersion() != before {
		t.Fatalf("POST rollback = %d %s, model in use %d; want %d back", r.Status, r.Location, e.app.Services.Duplicates.ModelVersion(), before)
	}
	if r = admin.get(t, r.Location); !strings.Contains(r.Body, "Went back: version") {
		t.Errorf("after going back the page does not say so")
	}
	// Every change is in the audit log under the administrator's name.
	evs, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Actor: adm.ID, Action: "linkage.model_activate", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 2 {
		t.Errorf("%d model activations audited under the administrator, want the activation and the rollback", len(evs))
	}
	// A link cannot make the page announce what did not happen.
	if body := admin.get(t, "/staff/admin/model?done=activated&v=<b>7</b>").Body; strings.Contains(body, "is now in use.") {
		t.Error("a notice was shown for a version number that is not one")
	}
	// A version that does not exist is an error page, not a change.
	if r = admin.post(t, "/staff/admin/model/999/activate", nil); r.Status < 400 {
		t.Errorf("POST activate 999 = %d, want an error", r.Status)
	}
}

// TestBrowserModelPage390Spanish: the administrator's page of model
// versions on a 390 px phone in Spanish: each version a small card whose
// figures are labelled, nothing past the screen's edge, and "Usar esta
// versión" puts a version in use.
func TestBrowserModelPage390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 2*time.Minute)
	e := newEnv(t)
	withScreener(t, e, nil)
	e.addStaff(t, "adm1", auth.RoleAdmin, "")
	admin := e.signIn(t, "adm1", testPassword)
	decidePairs(t, e, 60)
	if _, err := e.app.Services.Duplicates.Estimate(context.Background(), e.app.Enroll, auth.System(), e.clk.Now()); err != nil {
		t.Logf("estimate: %v", err) // refused is a state the page shows too
	}
	body, _ := json.Marshal(linkage.DefaultModel())
	v, err := e.app.Services.Duplicates.Import(context.Background(), auth.System(), body, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	browserAsSpanish(t, bctx, e, admin)
	run("open the model page", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/staff/admin/model"), chromedp.WaitVisible(chromedp.CSS("#model-versions")))
	peek(t, bctx, "model-es.png")
	noSidewaysScroll(t, bctx, "model page", 390)
	cellsWithin(t, bctx, "model page", 390)
	label, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#model-1 td[data-label]"), "::before").content`))
	if err != nil || !strings.Contains(label, "Creada: ") {
		t.Errorf("the first figure of version 1 is labelled %s (%v), want 'Creada: '", label, err)
	}
	if ms, _ := e.app.Services.Duplicates.Models(context.Background(), auth.System()); len(ms) == 2 && ms[1].Active {
		// Version 1 in use: its chart fits the phone.
		right, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector("#model-chart svg").getBoundingClientRect().right`))
		if err != nil || right > 390 {
			t.Errorf("the calibration chart ends at %.0f px (%v), want within 390", right, err)
		}
	}
	run("use the imported version", chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/staff/admin/model/%d/activate"] button`, v))), chromedp.WaitVisible(chromedp.CSS(".notice")))
	notice, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".notice")))
	if err != nil || !strings.Contains(notice, fmt.Sprintf("La versión %d ya está en uso.", v)) {
		t.Errorf("after 'Usar esta versión' the notice reads %q (%v)", notice, err)
	}
	peek(t, bctx, "model-es-activated.png")
	if e.app.Services.Duplicates.ModelVersion() != v {
		t.Errorf("model in use %d, want %d", e.app.Services.Duplicates.ModelVersion(), v)
	}
}

// TestCalibrationChart: each band with pairs is drawn as two bars on one
// 0–100 % scale, the percentage shown and the share supervisors called one
// person, each value written as text; empty bands are left out, and no
// bands at all is no chart.
func TestCalibrationChart(t *testing.T) {
	e := newEnv(t)
	p := &page{c: &call{P: e.app.I18n.Printer("en")}}
	bands := []linkage.CalibrationBand{
		{From: 0.5, To: 0.7, Pairs: 0},
		{From: 0.7, To: 0.9, Pairs: 10, Same: 6, MeanProbability: 0.81},
		{From: 0.99, To: 1, Pairs: 1, Same: 1, MeanProbability: 0.998},
	}
	svg := string(calibrationChart(p, "c", "How true", bands))
	for _, want := range []string{
		`role="img"`, `<title id="c-title">How true</title>`,
		"70–90 %: 10 pairs", "99–100 %: 1 pair", "shown over 99%",
		`width="44.55%" height="14" fill="#9ca3af"`, "shown 81%",
		`width="33.00%" height="14" fill="#1d4ed8"`, "same person: 60%",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "50–70") {
		t.Error("an empty band is drawn")
	}
	if got := calibrationChart(p, "c", "none", bands[:1]); got != "" {
		t.Errorf("no pairs: chart %q, want none", got)
	}
}
