package uplink

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/web"
)

// The whole path, against a real city server (SQLite, and PostgreSQL when
// CITYID_TEST_POSTGRES is set): a laptop is set up and enrols; the
// supervisor compares the code and approves it; with the city's server
// unreachable a clerk finishes two applications; the sync fails and loses
// nothing; when the server is back the next sync uploads both, and they
// wait in the city's review queue under the references on the residents'
// receipts, at the partner's site, with the station as their clerk. A
// third sync has nothing to send and the city still has two. The laptop's
// clock is a year slow all along: the station measures the offset at its
// first sync and judges the documents (a passport valid for months, a
// lease) by the city's day.
func TestOfflineIntakeToReviewQueue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		a := apptest.Open(t, dbURL, nil)
		partner := apptest.Site(t, a, "St. Rose church", site.KindPartner)
		sup := apptest.Staff(t, a, "super", auth.RoleSupervisor, partner.ID)
		srv, err := web.New(a.Services, web.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var down atomic.Bool // the city's server unreachable (the network, really)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				panic(http.ErrAbortHandler)
			}
			srv.Handler().ServeHTTP(w, r)
		}))
		defer ts.Close()

		slow := func() time.Time { return time.Now().AddDate(-1, 0, 0) }
		st, err := station.Init(t.TempDir(), "St. Rose church", ts.URL, station.Options{Now: slow})
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := Sync(ctx, st, c); err != nil || rep.Enrolment != wire.StatusPending {
			t.Fatalf("enrolment sync = %+v, %v", rep, err)
		}
		id := st.State().StationID
		e, err := a.Field.Enrolment(ctx, id)
		if err != nil || e.Code != st.State().Code || e.Code != wire.Code(st.PublicKey()) {
			t.Fatalf("the supervisor sees code %q, the station shows %q (%v)", e.Code, st.State().Code, err)
		}
		if err := a.Field.Approve(ctx, sup, id, partner.ID); err != nil {
			t.Fatal(err)
		}
		if rep, err := Sync(ctx, st, c); err != nil || rep.Enrolment != wire.StatusApproved {
			t.Fatalf("sync after approval = %+v, %v", rep, err)
		}

		if s, _ := st.Status(); !s.ClockOff || s.ClockOffset < 364*24*time.Hour {
			t.Errorf("clock offset = %v (warn %v), want about a year", s.ClockOffset, s.ClockOff)
		}
		down.Store(true)
		var refs []string
		for _, given := range []string{"Ximena", "Yolotl"} {
			rc, err := st.Finish("clk_ana", apptest.FieldIntake(t, given))
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, rc.Reference)
		}
		if _, err := Sync(ctx, st, c); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("sync with the server down = %v", err)
		}
		if s, _ := st.Status(); s.Waiting != 2 {
			t.Fatalf("waiting after a failed sync = %d", s.Waiting)
		}

		down.Store(false)
		rep, err := Sync(ctx, st, c)
		if err != nil || rep.Uploaded != 2 || rep.Refused != 0 || rep.Waiting != 0 {
			t.Fatalf("sync when back = %+v, %v", rep, err)
		}
		if rep, err := Sync(ctx, st, c); err != nil || rep.Uploaded != 0 {
			t.Fatalf("third sync = %+v, %v", rep, err)
		}
		list, err := a.Enroll.List(ctx, sup, enroll.ListFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]enroll.Summary{}
		for _, s := range list {
			found[s.Reference] = s
		}
		if len(list) != 2 {
			t.Errorf("the city holds %d applications, want 2", len(list))
		}
		for _, ref := range refs {
			s, ok := found[ref]
			switch {
			case !ok:
				t.Errorf("reference %s on the receipt is not in the city's list", ref)
			case s.SiteID != partner.ID || s.ClerkID != id:
				t.Errorf("%s: site %s clerk %s, want the partner site and the station", ref, s.SiteID, s.ClerkID)
			case s.Status != enroll.StatusSubmitted && s.Status != enroll.StatusNeedsReview:
				t.Errorf("%s is %s, want it waiting for review", ref, s.Status)
			}
		}
		if s, _ := st.Status(); s.Sealed != 2 || s.Acked != 2 || s.Waiting != 0 {
			t.Errorf("station status = %+v", s)
		}
	})
}
