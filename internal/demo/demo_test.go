package demo_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// load runs a demo load into a fresh data directory and returns what it
// made: every resident's name, date of birth and decision, sorted.
func load(t *testing.T, seed int64, n int) ([]string, demo.Result) {
	t.Helper()
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Auth: &opts})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := demo.Load(ctx, a, demo.Options{Residents: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	statuses := []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview, enroll.StatusApproved, enroll.StatusRejected}
	err = a.Enroll.EachPerson(ctx, statuses, func(id string, p person.Person) error {
		out = append(out, p.FullName()+"|"+p.DateOfBirth.String()+"|"+p.Address.Line1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out, res
}

func TestDemoIsDeterministicForASeed(t *testing.T) {
	a, ra := load(t, 5, 30)
	b, rb := load(t, 5, 30)
	c, _ := load(t, 6, 30)
	if len(a) != 30 {
		t.Fatalf("loaded %d residents, want 30", len(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different residents: %q vs %q", a[i], b[i])
		}
	}
	if ra.Approved != rb.Approved || ra.Rejected != rb.Rejected || ra.Pending != rb.Pending {
		t.Errorf("same seed, different decisions: %+v vs %+v", ra, rb)
	}
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("a different seed gave the same residents")
	}
}

// TestDemoLoadsInTheEvening: at 21:30 in New Haven it is already tomorrow
// in UTC. The loader must date documents by the program's calendar day, as
// intake judges them, or a bill dated "today" in UTC is refused as dated in
// the future and the load stops.
func TestDemoLoadsInTheEvening(t *testing.T) {
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	evening := time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC) // 21:30 on the 4th in New Haven
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Auth: &opts,
		Now: func() time.Time { return evening }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Location.String() == "UTC" {
		t.Skip("the default time zone is UTC; nothing to test")
	}
	if _, err := demo.Load(ctx, a, demo.Options{Residents: 150, Seed: 3}); err != nil {
		t.Fatalf("demo load at 21:30 local time: %v", err)
	}
	if _, err := demo.Bulk(ctx, a, demo.Options{Residents: 150, Seed: 4}); err != nil {
		t.Fatalf("bulk load at 21:30 local time: %v", err)
	}
}

// TestDemoReturning: after a load, returning residents and look-alike
// relatives go through screening; most second applications are flagged,
// the supervisor's decisions are kept as labels of both kinds, and some
// flagged applications wait in the duplicate review queue.
func TestDemoReturning(t *testing.T) {
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Auth: &opts, Screening: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := demo.Bulk(ctx, a, demo.Options{Residents: 1500, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	rr, err := demo.Returning(ctx, a, demo.Options{Residents: 1500, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rr)
	if rr.Second < 30 || rr.Relatives < 15 {
		t.Fatalf("returning: %+v; want about one approved resident in 25 back and one in 50 with a relative", rr)
	}
	if float64(rr.SecondFlagged) < 0.8*float64(rr.Second) {
		t.Errorf("screening flagged %d of %d second applications, want 80%% or more", rr.SecondFlagged, rr.Second)
	}
	ds, err := a.DB.PairDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for _, d := range ds {
		if d.Same {
			same++
		}
	}
	if len(ds) != rr.Decided || same == 0 || same == len(ds) {
		t.Errorf("%d decisions stored (%d same person) for %d made; want every one, of both kinds", len(ds), same, rr.Decided)
	}
	waiting, err := a.Enroll.List(ctx, auth.Actor{StaffID: "x", Role: auth.RoleSupervisor}, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusNeedsReview}})
	if err != nil {
		t.Fatal(err)
	}
	if rr.LeftForReview == 0 || len(waiting) < rr.LeftForReview {
		t.Errorf("%d applications need review, %d left for it; want some left and all of them waiting", len(waiting), rr.LeftForReview)
	}
}
