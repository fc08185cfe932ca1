package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
)

// duplicateEnv submits an application and a second one by the same person
// (second surname dropped, another street) through the intake form; it
// returns the environment, the clerk and the flagged application's id.
func duplicateEnv(t *testing.T) (*env, *client, string) {
	t.Helper()
	return duplicateEnvWith(t, nil)
}

// withScreener gives e's intake a duplicate screener, with setup (if set)
// run on it first.
func withScreener(t *testing.T, e *env, setup func(*dedup.Screener)) {
	t.Helper()
	sc, err := dedup.New(e.app.Settings.Linkage, e.app.DB, e.app.Keys.MatchKey())
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(sc)
	}
	e.app.Enroll.SetScreener(sc)
	e.app.Screener = sc
	e.app.Services.Duplicates = sc
}

// duplicateEnvWith is duplicateEnv with setup run on the screener before
// the two applications are taken.
func duplicateEnvWith(t *testing.T, setup func(*dedup.Screener)) (*env, *client, string) {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	withScreener(t, e, setup)
	e.addStaff(t, "clerk", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "super", auth.RoleSupervisor, e.siteA.ID)
	clerk := e.signIn(t, "clerk", testPassword)
	submit := func(key string, edit func(url.Values)) string {
		form := validForm(key)
		form.Set("action", "submit")
		edit(form)
		r := clerk.postMultipart(t, "/staff/intake", form, testPNG(t))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("submit %s = %d: %s", key, r.Status, text(r.Body))
		}
		return r.Location
	}
	submit("first", func(url.Values) {})
	// The same person again: second surname dropped, another street.
	submit("second", func(f url.Values) { f.Set("second_surname", ""); f.Set("address_line1", "77 Ferry Street") })
	list, err := e.app.Enroll.List(ctx, auth.Actor{StaffID: "x", Role: auth.RoleSupervisor}, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusNeedsReview}})
	if err != nil || len(list) != 1 {
		t.Fatalf("applications needing review = %d (%v), want 1", len(list), err)
	}
	id := list[0].ID
	return e, clerk, id
}

// TestDuplicateReview: a second application by the same person goes to
// review; the supervisor compares both side by side and decides.
func TestDuplicateReview(t *testing.T) {
	e, clerk, id := duplicateEnv(t)
	ctx := context.Background()

	super := e.signIn(t, "super", testPassword)
	if q := text(super.get(t, "/staff/queue").Body); !strings.Contains(q, "possible duplicate") {
		t.Errorf("the queue does not mark the possible duplicate: %s", q)
	}
	review := super.get(t, "/staff/applications/"+id+"?purpose=review")
	if !strings.Contains(review.Body, `id="open-duplicates"`) {
		t.Fatalf("review page does not flag the possible duplicate: %s", text(review.Body))
	}
	dup := super.get(t, "/staff/applications/"+id+"/duplicates")
	if dup.Status != http.StatusOK {
		t.Fatalf("duplicates page = %d: %s", dup.Status, text(dup.Body))
	}
	body := text(dup.Body)
	for _, want := range []string{"Zenobia Quetzalcóatl Ibarra", "Zenobia Quetzalcóatl", "likely the same person", "Agreement", "Different people"} {
		if !strings.Contains(body, want) {
			t.Errorf("duplicates page lacks %q", want)
		}
	}
	// A match is never certain: a probability that rounds to 100 % reads
	// "over 99%".
	if strings.Contains(body, "100%") || !strings.Contains(body, "over 99% likely the same person") {
		t.Errorf("duplicates page does not say \"over 99%%\" for a near-certain match:\n%s", body)
	}
	if strings.Count(dup.Body, `class="portrait"`) != 2 {
		t.Errorf("duplicates page shows %d photos, want both side by side", strings.Count(dup.Body, `class="portrait"`))
	}
	if !strings.Contains(dup.Body, `<tr class="agree">`) || !strings.Contains(dup.Body, `<tr class="differ">`) && !strings.Contains(dup.Body, `<tr class="missing">`) {
		t.Errorf("comparison rows are not marked as agreeing and disagreeing")
	}
	// The sentence that says what decided it, naming the fields.
	want := "Same given name and birth date; nearly the same surname; different address — people move; a second surname is often dropped, added or swapped."
	if !strings.Contains(body, want) {
		t.Errorf("duplicates page does not explain the score in words: want %q in\n%s", want, body)
	}
	super.lang = "es"
	es := text(super.get(t, "/staff/applications/"+id+"/duplicates").Body)
	if !strings.Contains(es, "más del 99% de probabilidad de ser la misma persona") {
		t.Errorf("Spanish duplicates page does not say \"más del 99%%\":\n%s", es)
	}
	if !strings.Contains(es, "Son personas distintas") {
		t.Errorf("Spanish duplicates page lacks its decision button")
	}
	if want := "Coinciden: nombre y fecha de nacimiento; casi coinciden: apellidos; no coinciden: dirección — la gente se muda;"; !strings.Contains(es, want) {
		t.Errorf("Spanish duplicates page does not explain the score: want %q in\n%s", want, es)
	}
	if r := clerk.get(t, "/staff/applications/"+id+"/duplicates"); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("clerk opening the duplicates page = %d, want 403/404", r.Status)
	}

	cands, err := e.app.DB.DuplicateCandidates(ctx, id)
	if err != nil || len(cands) != 1 {
		t.Fatalf("candidates = %v, %v", cands, err)
	}
	r := super.post(t, "/staff/applications/"+id+"/duplicates/"+cands[0].CandidateID+"/distinct", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("different people = %d: %s", r.Status, text(r.Body))
	}
	got, err := e.app.Enroll.Get(ctx, auth.Actor{StaffID: "x", Role: auth.RoleSupervisor}, id, enroll.PurposeReview)
	if err != nil || got.Status != enroll.StatusSubmitted {
		t.Errorf("after 'different people': %v %v, want back in the queue as submitted", got.Status, err)
	}

	// Same person, and this application replaces the earlier one: the
	// earlier card is revoked and the new application goes ahead.
	supActor := auth.Actor{StaffID: e.staffID(t, "super"), Role: auth.RoleSupervisor, SiteID: e.siteA.ID}
	firstID := cands[0].CandidateID
	if err := e.app.Enroll.Approve(ctx, supActor, firstID, ""); err != nil {
		t.Fatal(err)
	}
	issuer := e.addStaff(t, "issuer1", auth.RoleSupervisor, "") // four eyes: not the approver
	old, err := e.app.Cards.Issue(ctx, auth.Actor{StaffID: issuer.ID, Username: issuer.Username, Role: issuer.Role}, firstID)
	if err != nil {
		t.Fatal(err)
	}
	form := validForm("third")
	form.Set("action", "submit")
	form.Set("address_line1", "9 Chapel Street")
	if r := clerk.postMultipart(t, "/staff/intake", form, testPNG(t)); r.Status != http.StatusSeeOther {
		t.Fatalf("submit third = %d: %s", r.Status, text(r.Body))
	}
	third, err := e.app.Enroll.List(ctx, supActor, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusNeedsReview}})
	if err != nil || len(third) != 1 {
		t.Fatalf("third application needing review = %d (%v), want 1", len(third), err)
	}
	page := super.get(t, "/staff/applications/"+third[0].ID+"/duplicates")
	if !strings.Contains(text(page.Body), "replaces the earlier card") && !strings.Contains(text(page.Body), "reemplaza la tarjeta anterior") {
		t.Errorf("duplicates page offers no replacement of the earlier card: %s", text(page.Body))
	}
	if r := super.post(t, "/staff/applications/"+third[0].ID+"/duplicates/"+firstID+"/replace", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("replace = %d: %s", r.Status, text(r.Body))
	}
	oldNow, err := e.app.Cards.Get(ctx, old.ID)
	if err != nil || oldNow.Status != card.StatusRevoked {
		t.Errorf("earlier card after 'replace' = %v (%v), want revoked", oldNow.Status, err)
	}
	// The third application also resembles the second (the same person, told
	// apart earlier from the first only): that candidate stays open.
	left, err := e.app.DB.DuplicateCandidates(ctx, third[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range left {
		if l.CandidateID == firstID {
			t.Errorf("the replaced record is still a candidate of the third application")
		}
	}
	app3, err := e.app.Enroll.Get(ctx, supActor, third[0].ID, enroll.PurposeReview)
	if want := enroll.StatusSubmitted; len(left) > 0 {
		want = enroll.StatusNeedsReview
		if err != nil || app3.Status != want {
			t.Errorf("third application after 'replace' with %d candidates left = %v (%v), want %s", len(left), app3.Status, err, want)
		}
	} else if err != nil || app3.Status != want {
		t.Errorf("third application after 'replace' = %v (%v), want %s", app3.Status, err, want)
	}
}

// TestDuplicateReviewShowsCalibratedFigure: with a model calibrated to the
// city's decisions active (here one that says pairs it scores anywhere
// were one person 42 % of the time), the review page shows the calibrated
// figure, in English and Spanish, and the pair is still flagged.
func TestDuplicateReviewShowsCalibratedFigure(t *testing.T) {
	e, _, id := duplicateEnvWith(t, func(sc *dedup.Screener) {
		m := linkage.DefaultModel()
		m.Calibration = []linkage.CalibrationPoint{{Model: 0.0001, Share: 0.42}, {Model: 1, Share: 0.42}}
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		ctx, now := context.Background(), time.Now()
		v, err := sc.Import(ctx, auth.System(), body, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Activate(ctx, auth.System(), v, now); err != nil {
			t.Fatal(err)
		}
	})
	super := e.signIn(t, "super", testPassword)
	page := text(super.get(t, "/staff/applications/"+id+"/duplicates").Body)
	if !strings.Contains(page, "42% likely the same person") {
		t.Errorf("duplicates page does not show the calibrated 42%%:\n%s", page)
	}
	super.lang = "es"
	if es := text(super.get(t, "/staff/applications/"+id+"/duplicates").Body); !strings.Contains(es, "42% de probabilidad de ser la misma persona") {
		t.Errorf("Spanish duplicates page does not show the calibrated 42%%:\n%s", es)
	}
}
