package uplink_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/api"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/uplink"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/site"
)

// End to end against the real city server (the API on SQLite and
// PostgreSQL): a laptop whose clock is a year slow enrols, a supervisor
// compares the code and approves it, a clerk finishes an application
// offline, and the sync puts it in the city's review queue under the
// receipt's reference; the same packet sent again is one application.
func TestOfflineIntakeReachesReviewQueue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		a := apptest.Open(t, dbURL, nil)
		partner := apptest.Site(t, a, "St. Rose church", site.KindPartner)
		sup := apptest.Staff(t, a, "super", auth.RoleSupervisor, "")
		ts := httptest.NewServer(api.New(a.Services, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
		t.Cleanup(ts.Close)

		slow := func() time.Time { return time.Now().AddDate(-1, 0, 0) }
		st, err := station.Init(filepath.Join(t.TempDir(), "station"), "St. Rose laptop", ts.URL, station.Options{Now: slow})
		if err != nil {
			t.Fatal(err)
		}
		c, err := uplink.New(ts.URL, ts.Client())
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := uplink.Sync(ctx, st, c); err != nil || rep.Enrolment != wire.StatusPending {
			t.Fatalf("first sync = %+v, %v; want pending", rep, err)
		}
		views, err := a.Field.Stations(ctx, sup)
		if err != nil || len(views) != 1 || views[0].Code != wire.Code(st.PublicKey()) {
			t.Fatalf("the supervisor's page shows %+v, %v; want one request with the code of the station's key %s", views, err, wire.Code(st.PublicKey()))
		}
		if err := a.Field.Approve(ctx, sup, views[0].ID, partner.ID); err != nil {
			t.Fatal(err)
		}
		if rep, err := uplink.Sync(ctx, st, c); err != nil || rep.Enrolment != wire.StatusApproved {
			t.Fatalf("second sync = %+v, %v; want approved", rep, err)
		}

		// Offline: the clerk finishes an application; the station seals it.
		clerk, err := st.AddClerk("rosa", "seven long words for the station clerk", auth.TestParams())
		if err != nil {
			t.Fatal(err)
		}
		receipt, err := st.Finish(clerk.ID, apptest.FieldIntake(t, "María José"))
		if err != nil {
			t.Fatal(err)
		}
		waiting, err := st.Outbox()
		if err != nil || len(waiting) != 1 {
			t.Fatalf("outbox = %v, %v; want one packet", waiting, err)
		}
		sealed, err := os.ReadFile(waiting[0].Path)
		if err != nil {
			t.Fatal(err)
		}

		// Back online.
		if rep, err := uplink.Sync(ctx, st, c); err != nil || rep.Uploaded != 1 || rep.Waiting != 0 {
			t.Fatalf("sync with the packet = %+v, %v; want 1 uploaded, none waiting", rep, err)
		}
		queue, err := a.Enroll.List(ctx, sup, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview}})
		if err != nil || len(queue) != 1 {
			t.Fatalf("review queue = %+v, %v; want the station's application", queue, err)
		}
		if got := queue[0]; got.Reference != receipt.Reference || got.SiteID != partner.ID || got.ClerkID != views[0].ID {
			t.Errorf("queued application = %+v; want reference %s at the partner site, taken by the station", got, receipt.Reference)
		}
		// The acknowledgement was lost: the same packet again is the same application.
		if ack, err := c.Upload(ctx, sealed); err != nil || ack.Result != wire.ResultAlreadyImported {
			t.Fatalf("the same packet again = %+v, %v; want already_imported", ack, err)
		}
		if all, _ := a.Enroll.List(ctx, sup, enroll.ListFilter{}); len(all) != 1 {
			t.Errorf("%d applications after the packet twice, want 1", len(all))
		}
	})
}
