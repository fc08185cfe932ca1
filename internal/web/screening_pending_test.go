package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
)

// indexLoading gives e a screening index that is still loading, as serve
// opens it (the index loads in the background); the dashboard is told it
// is 37 % loaded.
func indexLoading(t *testing.T, e *env) {
	t.Helper()
	sc, err := dedup.New(e.app.Settings.Linkage, e.app.DB, e.app.Keys.MatchKey())
	if err != nil {
		t.Fatal(err)
	}
	sc.SetLoading()
	e.app.Enroll.SetScreener(sc)
	e.app.Screener = sc
	e.app.Services.ScreeningLoading = func() (int, bool) { return 37, !sc.State().Ready }
}

// TestScreeningPendingWhileIndexLoads: while the duplicate-screening index
// is still loading, staff see it on the dashboard, an application taken
// goes to the supervisor's queue marked "duplicate check pending" (in
// English and Spanish), and approving it is refused with that reason.
func TestScreeningPendingWhileIndexLoads(t *testing.T) {
	e := newEnv(t)
	indexLoading(t, e)
	e.addStaff(t, "clerk", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "super", auth.RoleSupervisor, e.siteA.ID)
	clerk := e.signIn(t, "clerk", testPassword)
	if d := text(clerk.get(t, "/staff").Body); !strings.Contains(d, "Duplicate check pending — the index is still loading (37% loaded)") {
		t.Errorf("the clerk's dashboard does not say the index is loading: %s", d)
	}
	form := validForm("during-build")
	form.Set("action", "submit")
	if r := clerk.postMultipart(t, "/staff/intake", form, testPNG(t)); r.Status != http.StatusSeeOther {
		t.Fatalf("submit during the build = %d: %s", r.Status, text(r.Body))
	}
	list, err := e.app.Enroll.List(context.Background(), auth.Actor{StaffID: "x", Role: auth.RoleSupervisor}, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusNeedsReview}})
	if err != nil || len(list) != 1 || list[0].ReviewReason != enroll.ReviewScreeningPending {
		t.Fatalf("review queue = %+v (%v), want the application pending screening", list, err)
	}
	id := list[0].ID

	super := e.signIn(t, "super", testPassword)
	if q := text(super.get(t, "/staff/queue").Body); !strings.Contains(q, "duplicate check pending") {
		t.Errorf("the queue does not mark the application pending screening: %s", q)
	}
	review := super.get(t, "/staff/applications/"+id+"?purpose=review")
	if !strings.Contains(review.Body, `id="screening-pending"`) || !strings.Contains(text(review.Body), "the index is still loading") {
		t.Errorf("review page does not say the duplicate check is pending: %s", text(review.Body))
	}
	r := super.post(t, "/staff/applications/"+id+"/approve", url.Values{})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "Approve this application once it has been screened") {
		t.Errorf("approve while pending = %d: %s; want 422 saying to wait for the screening", r.Status, text(r.Body))
	}
	super.lang = "es"
	r = super.post(t, "/staff/applications/"+id+"/approve", url.Values{})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "Revisión de duplicados pendiente: el índice aún se está cargando") {
		t.Errorf("approve while pending, in Spanish = %d: %s", r.Status, text(r.Body))
	}
	if got, err := e.app.Enroll.Get(context.Background(), auth.Actor{StaffID: "x", Role: auth.RoleSupervisor}, id, enroll.PurposeReview); err != nil || got.Status != enroll.StatusNeedsReview {
		t.Errorf("after the refused approvals: %v, %v; want still needs_review", got.Status, err)
	}
}
