package dedup_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// slowBuild holds a rebuild of the index after its first batch until
// release is called, as a large city's minute-long build would.
type slowBuild struct {
	reached chan int
	gate    chan struct{}
	once    sync.Once
}

func holdBuild(t *testing.T) *slowBuild {
	b := &slowBuild{reached: make(chan int, 1), gate: make(chan struct{})}
	restore := dedup.SetBeforeBatch(func(n int) {
		select {
		case b.reached <- n:
		default:
		}
		<-b.gate
	})
	t.Cleanup(func() { b.release(); restore() })
	return b
}

func (b *slowBuild) release() { b.once.Do(func() { close(b.gate) }) }

// startLater opens the data directory as serve does: the index loads in
// the background (held by b) while the server takes applications.
func startLater(t *testing.T, e *env, b *slowBuild) (a *app.App, loaded chan error, stop func()) {
	t.Helper()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: e.dir, Screening: true, ScreenLater: true, Auth: &opts})
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	loaded = make(chan error, 1)
	go func() { loaded <- a.LoadScreening(lctx) }()
	select {
	case <-b.reached:
	case err := <-loaded:
		t.Fatalf("the index loaded (%v) before the test could hold it", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the index build never started")
	}
	if st := a.Screener.State(); st.Ready {
		t.Fatalf("index state during the build = %+v, want not ready", st)
	}
	e.app = a
	return a, loaded, cancel
}

func (e *env) status(t *testing.T, id string) *enroll.Application {
	t.Helper()
	got, err := e.app.Enroll.Get(ctx, e.supervisor, id, enroll.PurposeReview)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestApplicationsTakenWhileIndexLoads: a server answers while its index
// is still being built. What it takes meanwhile waits in review as
// "screening pending" and cannot be approved; once an index is ready it is
// screened — a duplicate gets its candidate, an unrelated applicant returns
// to the normal queue — also when the server that took it died mid-build.
func TestApplicationsTakenWhileIndexLoads(t *testing.T) {
	e := newEnv(t)
	g := synth.New(41)
	orig := g.Person()
	first := e.submit(t, orig, "first")
	if err := e.app.Enroll.Approve(ctx, e.supervisor, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.app.Close()

	// Server B starts, takes two applications during its build, and dies.
	b := holdBuild(t)
	bApp, bLoaded, bStop := startLater(t, e, b)
	dup1 := e.submit(t, g.Duplicate(orig), "dup1") // the clerk sees "submitted" (checked by submit)
	other := e.submit(t, g.Person(), "other")
	for _, a := range []*enroll.Application{dup1, other} {
		if a.Status != enroll.StatusNeedsReview || a.ReviewReason != enroll.ReviewScreeningPending {
			t.Fatalf("application taken during the build = %s/%q, want needs_review/%q", a.Status, a.ReviewReason, enroll.ReviewScreeningPending)
		}
	}
	err := bApp.Enroll.Approve(ctx, e.supervisor, other.ID, "")
	var ve *enroll.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Key != "dup.error.pending_approve" {
		t.Fatalf("approving an application pending screening: err = %v, want the dup.error.pending_approve refusal", err)
	}
	if got := e.status(t, other.ID); got.Status != enroll.StatusNeedsReview {
		t.Fatalf("after the refused approval: %s, want needs_review", got.Status)
	}
	bStop() // killed mid-build
	b.release()
	<-bLoaded
	bApp.Close()

	// Server C starts; it too takes one during its build.
	c := holdBuild(t)
	cApp, cLoaded, cStop := startLater(t, e, c)
	defer cApp.Close()
	defer cStop()
	dup2 := e.submit(t, g.Duplicate(orig), "dup2")
	if dup2.ReviewReason != enroll.ReviewScreeningPending {
		t.Fatalf("second server's application during its build: %s/%q, want screening pending", dup2.Status, dup2.ReviewReason)
	}
	c.release()
	if err := <-cLoaded; err != nil {
		t.Fatal(err)
	}
	if st := cApp.Screener.State(); !st.Ready || st.Loaded != 4 {
		t.Errorf("index state after the build = %+v, want ready with 4 records (the cardholder and three pending)", st)
	}
	fctx, fstop := context.WithCancel(ctx)
	defer fstop()
	go cApp.Screener.Follow(fctx, cApp.Enroll, 10*time.Millisecond, slog.New(slog.DiscardHandler))

	deadline := time.Now().Add(30 * time.Second)
	for e.status(t, dup1.ID).ReviewReason == enroll.ReviewScreeningPending ||
		e.status(t, dup2.ID).ReviewReason == enroll.ReviewScreeningPending ||
		e.status(t, other.ID).ReviewReason == enroll.ReviewScreeningPending {
		if time.Now().After(deadline) {
			t.Fatal("applications taken during the builds were not screened once the index was ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range []string{dup1.ID, dup2.ID} {
		got := e.status(t, id)
		if got.Status != enroll.StatusNeedsReview || got.ReviewReason != enroll.ReviewPossibleDuplicate {
			t.Errorf("duplicate taken during a build, once screened: %s/%q, want needs_review/possible_duplicate", got.Status, got.ReviewReason)
			continue
		}
		_, reviews, err := cApp.Enroll.Duplicates(ctx, e.supervisor, id)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range reviews {
			found = found || r.CandidateID == first.ID
		}
		if !found {
			t.Errorf("duplicate %s screened after the build: %d candidates, none the cardholder %s", id, len(reviews), first.ID)
		}
	}
	if got := e.status(t, other.ID); got.Status != enroll.StatusSubmitted || got.ReviewReason != "" {
		t.Errorf("unrelated applicant screened after the build: %s/%q, want submitted with no reason", got.Status, got.ReviewReason)
	}
	if err := cApp.Enroll.Approve(ctx, e.supervisor, other.ID, ""); err != nil {
		t.Errorf("approving once screened: %v", err)
	}
	events, err := cApp.DB.AuditEvents(ctx, audit.Filter{RecordID: other.ID})
	if err != nil {
		t.Fatal(err)
	}
	screened := 0
	for _, ev := range events {
		if ev.Action == "application.screen" && ev.Actor == auth.System().StaffID {
			screened++
		}
	}
	if screened != 1 {
		t.Errorf("audit events application.screen for the unrelated applicant = %d, want 1", screened)
	}
	// A server whose index is ready screens at once.
	late := e.submit(t, g.Duplicate(orig), "late")
	if late.ReviewReason != enroll.ReviewPossibleDuplicate {
		t.Errorf("application once the index is ready: %s/%q, want possible_duplicate", late.Status, late.ReviewReason)
	}
}

// TestRevokedStationStaysInReview: a packet sealed after its station was
// revoked must be seen by a supervisor whatever screening finds. Once its
// possible duplicate is resolved as another person, and once it is
// screened after being taken while the index loaded, it goes back to
// review for the revoked station — it used to go to the normal queue.
func TestRevokedStationStaysInReview(t *testing.T) {
	e := newEnv(t)
	g := synth.New(43)
	orig := g.Person()
	first := e.submit(t, orig, "first")
	if err := e.app.Enroll.Approve(ctx, e.supervisor, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	fromRevokedStation := func(p person.Person, key string) *enroll.Application {
		t.Helper()
		q := fee.Compute(e.app.Settings.Fees, fee.KindNew, p.DateOfBirth, e.today)
		in := enroll.Intake{Person: p, Photo: e.photo, IdempotencyKey: key,
			Documents: []evidence.Shown{{Type: "passport", Expires: e.today.AddYears(2)}, {Type: "lease"}},
			Payment:   fee.Payment{Method: "cash", AmountCents: q.AmountCents},
			Field:     &enroll.FieldOrigin{TakenOn: e.today, Review: enroll.ReviewRevokedStation}}
		a, err := e.app.Enroll.Submit(ctx, e.clerk, "", in)
		if err != nil {
			t.Fatalf("Submit(%s) from a revoked station: %v", p.FullName(), err)
		}
		return e.status(t, a.ID)
	}
	want := func(what string, id string) {
		t.Helper()
		if got := e.status(t, id); got.Status != enroll.StatusNeedsReview || got.ReviewReason != enroll.ReviewRevokedStation {
			t.Errorf("%s: %s/%q, want needs_review/%q", what, got.Status, got.ReviewReason, enroll.ReviewRevokedStation)
		}
	}

	dup := fromRevokedStation(g.Duplicate(orig), "dup")
	if dup.ReviewReason != enroll.ReviewPossibleDuplicate {
		t.Fatalf("a revoked station's duplicate = %s/%q, want possible_duplicate first", dup.Status, dup.ReviewReason)
	}
	if err := e.app.Enroll.ResolveDuplicate(ctx, e.supervisor, dup.ID, first.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	want("its duplicate resolved as another person", dup.ID)

	e.app.Close()
	b := holdBuild(t)
	bApp, bLoaded, bStop := startLater(t, e, b)
	defer bApp.Close()
	defer bStop()
	other := fromRevokedStation(g.Person(), "other")
	if other.ReviewReason != enroll.ReviewScreeningPending {
		t.Fatalf("taken during the build: %s/%q, want screening pending", other.Status, other.ReviewReason)
	}
	b.release()
	if err := <-bLoaded; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.status(t, other.ID).ReviewReason == enroll.ReviewScreeningPending {
		if time.Now().After(deadline) {
			t.Fatal("not screened once the index was ready")
		}
		if _, err := bApp.Enroll.ScreenPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want("screened after the build, no duplicate found", other.ID)
}
