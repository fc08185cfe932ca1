package web

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// brokenScreener fails every screening, as an index that cannot be read.
type brokenScreener struct{}

func (brokenScreener) Screen(context.Context, string, person.Person) ([]enroll.Match, error) {
	return nil, errors.New("screening index unreadable")
}
func (brokenScreener) Add(string, person.Person, int64) {}
func (brokenScreener) Remove(string)                    {}
func (brokenScreener) Explain(string, person.Person) (enroll.Explanation, error) {
	return enroll.Explanation{}, errors.New("screening index unreadable")
}

// An application sealed at a field station after the station was revoked,
// whose duplicate screening then failed, waits for review for both
// reasons: the supervisor's page (390 px, Spanish) says both, where it
// used to show only the failed screening and hide the revoked station.
func TestBrowserReviewShowsRevokedStationAndFailedScreening(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.app.Enroll.SetScreener(brokenScreener{})
	clerk := e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	in := validIntake(t, e, "revoked-and-failed")
	in.Field = &enroll.FieldOrigin{TakenOn: person.DateOf(e.clk.Now()), Review: enroll.ReviewRevokedStation}
	a, err := e.app.Enroll.Submit(context.Background(), auth.Actor{StaffID: clerk.ID, Username: clerk.Username, Role: clerk.Role, SiteID: clerk.SiteID}, "", in)
	if err != nil {
		t.Fatalf("Submit from a revoked station: %v", err)
	}
	// The clerk's answer hides why it waits (clerkView); the supervisor's record says.
	supA := auth.Actor{StaffID: "reader", Role: auth.RoleSupervisor}
	got, err := e.app.Enroll.Get(context.Background(), supA, a.ID, enroll.PurposeReview)
	if err != nil || got.Status != enroll.StatusNeedsReview || got.ReviewReason != enroll.ReviewScreeningFailed || got.FieldReview != enroll.ReviewRevokedStation {
		t.Fatalf("application = %v/%q/%q (%v), want needs_review, screening_failed, revoked_station", got.Status, got.ReviewReason, got.FieldReview, err)
	}
	sup := e.signIn(t, "sup1", testPassword)

	browserAs(t, bctx, e, sup)
	run("review page in Spanish", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/applications/"+a.ID),
		chromedp.WaitVisible(chromedp.CSS("#approve")))
	peek(t, bctx, "review-revoked-failed-390-es.png")
	noSidewaysScroll(t, bctx, "review page", 390)
	for _, c := range []struct{ id, want string }{
		{"#screening-failed", "La revisión de duplicados no pudo hacerse"},
		{"#revoked-station", "estación de campo revocada"},
	} {
		got, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(c.id), chromedp.AtLeast(0)))
		if err != nil || !strings.Contains(got, c.want) {
			main, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
			t.Errorf("review page %s = %q (%v), want it to say %q; page: %.500s", c.id, got, err, c.want, main)
		}
	}
}
