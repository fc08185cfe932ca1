package card_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/site"
)

// TestFourEyesEditor: a supervisor who edited someone else's draft is one
// of its handlers and cannot approve it either.
func TestFourEyesEditor(t *testing.T) {
	e := newEnv(t, "")
	in := enrollIntake(t, "edited")
	d, err := e.app.Enroll.SaveDraft(ctx, e.clerk, "", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Enroll.SaveDraft(ctx, e.supervisor, d.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Enroll.Submit(ctx, e.clerk, d.ID, in); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Enroll.Approve(ctx, e.supervisor, d.ID, ""); !errors.Is(err, enroll.ErrFourEyes) {
		t.Errorf("Approve by the supervisor who edited the draft = %v, want ErrFourEyes", err)
	}
	if err := e.app.Enroll.Approve(ctx, e.approver, d.ID, ""); err != nil {
		t.Errorf("Approve by another supervisor = %v", err)
	}
}

// TestSinglePersonSite: where the settings list a site as staffed by one
// person, that person may take, approve and issue; the card is then listed
// for a second review, which only someone else can complete.
func TestSinglePersonSite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	first, err := app.Open(context.Background(), app.Options{DataDir: dir, Create: true, Auth: &opts})
	if err != nil {
		t.Fatal(err)
	}
	mobile := apptest.Site(t, first, "Mobile unit", site.KindMobile)
	first.Close()
	path := filepath.Join(dir, app.SettingsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "# single_person_sites = []", `single_person_sites = ["`+mobile.ID+`"]`, 1))
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, Auth: &opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	solo := apptest.Staff(t, a, "solo", auth.RoleSupervisor, mobile.ID)
	other := apptest.Staff(t, a, "other", auth.RoleSupervisor, mobile.ID)
	sub, err := a.Enroll.Submit(ctx, solo, "", enrollIntake(t, "solo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Enroll.Approve(ctx, solo, sub.ID, ""); err != nil {
		t.Fatalf("Approve at a single-person site by the taker = %v, want allowed", err)
	}
	c, err := a.Cards.Issue(ctx, solo, sub.ID)
	if err != nil {
		t.Fatalf("Issue at a single-person site by the approver = %v, want allowed", err)
	}
	list, err := a.Cards.SecondReviews(ctx, other)
	if err != nil || len(list) != 1 || list[0].Card.ID != c.ID || list[0].Reason != enroll.FourEyesWaived {
		t.Fatalf("SecondReviews = %+v, %v; want the card marked %s", list, err, enroll.FourEyesWaived)
	}
	if err := a.Cards.CompleteSecondReview(ctx, solo, c.ID); !errors.Is(err, enroll.ErrFourEyes) {
		t.Errorf("second review by the one person = %v, want ErrFourEyes", err)
	}
	if err := a.Cards.CompleteSecondReview(ctx, other, c.ID); err != nil {
		t.Errorf("second review by another supervisor = %v", err)
	}
	if list, _ := a.Cards.SecondReviews(ctx, other); len(list) != 0 {
		t.Errorf("SecondReviews after the review = %d, want 0", len(list))
	}
}
