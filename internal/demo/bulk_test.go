package demo_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/checkpoint"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// TestBulkIsTheIntakePath: a bulk load stores what intake stores — every
// application opens with its data key to the resident the generator made,
// with a photo; decisions are in the queue counts and the audit chain
// (submit + decision per resident) verifies; and a resident applying again
// through the normal path afterwards is caught by screening.
func TestBulkIsTheIntakePath(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		opts := auth.DefaultOptions()
		opts.Argon = auth.TestParams()
		a, err := app.Open(ctx, app.Options{DataDir: t.TempDir(), DBURL: dbURL, Create: true, Auth: &opts, Screening: true})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		const n = 300
		res, err := demo.Bulk(ctx, a, demo.Options{Residents: n, Seed: 9, Batch: 64})
		if err != nil {
			t.Fatal(err)
		}
		if res.Submitted != n || res.Approved+res.Rejected+res.Pending != n || res.Approved < n*3/4 || res.Rejected == 0 {
			t.Fatalf("Bulk = %+v, want %d residents, mostly approved, some rejected", res, n)
		}
		want := map[string]bool{}
		gen := synth.New(9)
		for range n {
			p := gen.Person().Normalize()
			want[p.FullName()+"|"+p.DateOfBirth.String()] = true
		}
		got := 0
		err = a.Enroll.EachPerson(ctx, []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview, enroll.StatusApproved, enroll.StatusRejected},
			func(id string, p person.Person) error {
				if !want[p.FullName()+"|"+p.DateOfBirth.String()] {
					t.Errorf("application %s opens to a resident the generator did not make: %s", id, p.FullName())
				}
				got++
				return nil
			})
		if err != nil || got != n {
			t.Fatalf("opened %d applications (%v), want %d", got, err, n)
		}
		// The index at start is rebuilt with the decryption spread over
		// workers: the same people in the same order as one at a time.
		var one, par []string
		statuses := enroll.ScreenedStatuses()
		if err := a.Enroll.EachPerson(ctx, statuses, func(id string, p person.Person) error {
			one = append(one, id+"|"+p.FullName()+"|"+p.DateOfBirth.String())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := a.Enroll.EachPersonParallel(ctx, statuses, 3, func(id string, p person.Person) error {
			par = append(par, id+"|"+p.FullName()+"|"+p.DateOfBirth.String())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(one) < n*3/4 || !slices.Equal(one, par) {
			t.Errorf("EachPersonParallel gave %d people, EachPerson %d (or another order)", len(par), len(one))
		}
		rep, err := checkpoint.VerifyLog(ctx, a.DB, nil, nil)
		if err != nil || rep.Problem != nil || rep.Events < 2*n-int64(res.Pending) {
			t.Fatalf("audit log after bulk load: %+v, %v; want an intact chain with a submit and a decision per resident", rep, err)
		}
		staff, _ := a.Auth.ListStaff(ctx, auth.System())
		var clerk, sup auth.Actor
		for _, s := range staff {
			switch s.Role {
			case auth.RoleClerk:
				clerk = auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
			case auth.RoleSupervisor:
				sup = auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
			}
		}
		// The first generated resident applies again, through intake.
		first := synth.New(9).Person()
		again, err := a.Enroll.Submit(ctx, clerk, "", enroll.Intake{Person: first, Documents: demoDocs(a), Photo: demoPhoto(t),
			Payment: demoPayment(a, first), IdempotencyKey: "again-" + time.Now().String()})
		if err != nil {
			t.Fatal(err)
		}
		// The clerk is told nothing of other records (issue 10); the
		// supervisor sees the match.
		if again.ReviewReason != "" {
			t.Errorf("the clerk is told review reason %q, want none", again.ReviewReason)
		}
		if again, err = a.Enroll.Get(ctx, sup, again.ID, ""); err != nil {
			t.Fatal(err)
		}
		if again.ReviewReason != enroll.ReviewPossibleDuplicate {
			t.Errorf("a second application by a bulk-loaded resident: review reason %q, want %q", again.ReviewReason, enroll.ReviewPossibleDuplicate)
		}
		// The same seed again reuses the idempotency keys: the first batch
		// (written with COPY on PostgreSQL) is refused whole, nothing added.
		before, _ := a.DB.AuditCount(ctx)
		if _, err := demo.Bulk(ctx, a, demo.Options{Residents: 64, Seed: 9, Batch: 64, Workers: 1}); !errors.Is(err, errs.ErrWriteConflict) {
			t.Errorf("Bulk with the same seed again = %v, want a write conflict", err)
		}
		if after, _ := a.DB.AuditCount(ctx); after != before {
			t.Errorf("a refused batch left %d audit events, want none", after-before)
		}
	})
}

func demoDocs(a *app.App) []evidence.Shown {
	exp := person.DateOf(a.Now().AddDate(2, 0, 0))
	return []evidence.Shown{{Type: "passport", Issuer: "Peru", Expires: exp}, {Type: "lease"}}
}

func demoPhoto(t *testing.T) []byte {
	t.Helper()
	b, err := demo.Portrait(rand.New(rand.NewPCG(1, 2)), 600, 750)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func demoPayment(a *app.App, p person.Person) fee.Payment {
	q := fee.Compute(a.Settings.Fees, fee.KindNew, p.DateOfBirth, person.DateOf(a.Now()))
	return fee.Payment{Method: "cash", AmountCents: q.AmountCents}
}
