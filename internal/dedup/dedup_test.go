package dedup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/synth"
)

var ctx = context.Background()

type env struct {
	app               *app.App
	dir               string
	clerk, supervisor auth.Actor
	photo             []byte
	today             person.Date
}

func open(t *testing.T, dir string) *app.App { return openWith(t, dir, nil) }

// openWith opens the data directory with random as its source of ids and
// keys (nil: crypto/rand).
func openWith(t *testing.T, dir string, random io.Reader) *app.App {
	t.Helper()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true, Screening: true, Auth: &opts, Rand: random})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// seeded is a deterministic source of ids and keys, safe for concurrent
// use: the application ids, and so which decisions a hash puts aside as
// held out, are the same in every run.
type seeded struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func newSeeded(seed byte) *seeded { return &seeded{r: rand.NewChaCha8([32]byte{seed})} }

func (s *seeded) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(p)
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

func newEnvWith(t *testing.T, random io.Reader) *env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	a := openWith(t, dir, random)
	t.Cleanup(func() { a.Close() })
	st, err := a.Sites.Create(ctx, auth.System(), site.Site{Name: "City Hall", Kind: site.KindCityHall})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(u string, r auth.Role) auth.Actor {
		s, err := a.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: u, DisplayName: u, Role: r, SiteID: st.ID, Password: "tangerine lighthouse across seventeen rivers"})
		if err != nil {
			t.Fatal(err)
		}
		return auth.Actor{StaffID: s.ID, Username: u, Role: r, SiteID: st.ID}
	}
	spec := photo.DefaultSpec()
	img := image.NewRGBA(image.Rect(0, 0, spec.Width, spec.Height))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.Black)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return &env{app: a, dir: dir, clerk: mk("clerk", auth.RoleClerk), supervisor: mk("super", auth.RoleSupervisor), photo: buf.Bytes(), today: person.DateOf(time.Now())}
}

func (e *env) submit(t testing.TB, p person.Person, key string) *enroll.Application {
	t.Helper()
	q := fee.Compute(e.app.Settings.Fees, fee.KindNew, p.DateOfBirth, e.today)
	in := enroll.Intake{Person: p, Photo: e.photo, IdempotencyKey: key,
		Documents: []evidence.Shown{{Type: "passport", Expires: e.today.AddYears(2)}, {Type: "lease"}},
		Payment:   fee.Payment{Method: "cash", AmountCents: q.AmountCents}}
	a, err := e.app.Enroll.Submit(ctx, e.clerk, "", in)
	if err != nil {
		t.Fatalf("Submit(%s): %v", p.FullName(), err)
	}
	// The clerk's answer never depends on other records (issue 10): a
	// possible duplicate shows as submitted. The supervisor sees the match.
	if a.Status == enroll.StatusNeedsReview || a.ReviewReason != "" {
		t.Errorf("the clerk is told %s/%s; want submitted with no reason", a.Status, a.ReviewReason)
	}
	sup, err := e.app.Enroll.Get(ctx, e.supervisor, a.ID, "")
	if err != nil {
		t.Fatalf("Get(%s) as the supervisor: %v", a.ID, err)
	}
	return sup
}

func TestSecondApplicationGoesToReview(t *testing.T) {
	e := newEnv(t)
	g := synth.New(7)
	orig := g.Person()
	first := e.submit(t, orig, "first")
	if first.Status != enroll.StatusSubmitted {
		t.Fatalf("first application status = %s, want submitted", first.Status)
	}
	dup := orig
	dup.SecondSurname = "" // a dropped second surname
	dup.Address.Line1 = "77 Ferry Street"
	second := e.submit(t, dup, "second")
	if second.Status != enroll.StatusNeedsReview || second.ReviewReason != enroll.ReviewPossibleDuplicate {
		t.Fatalf("second application = %s/%s, want needs_review/possible_duplicate", second.Status, second.ReviewReason)
	}
	app, reviews, err := e.app.Enroll.Duplicates(ctx, e.supervisor, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != second.ID || len(reviews) != 1 || reviews[0].Candidate.ID != first.ID {
		t.Fatalf("Duplicates = %d reviews, want the first application", len(reviews))
	}
	if reviews[0].Probability < 0.5 || len(reviews[0].Explanation.Fields) == 0 {
		t.Errorf("review = p %.2f with %d explained fields; want a probability ≥ 0.5 explained field by field", reviews[0].Probability, len(reviews[0].Explanation.Fields))
	}
	if _, _, err := e.app.Enroll.Duplicates(ctx, e.clerk, second.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("clerk opening duplicates: err = %v, want ErrForbidden", err)
	}

	// "Different people": remembered, and the application returns to the queue.
	if err := e.app.Enroll.ResolveDuplicate(ctx, e.supervisor, second.ID, first.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.app.Enroll.Get(ctx, e.supervisor, second.ID, enroll.PurposeReview)
	if err != nil || got.Status != enroll.StatusSubmitted {
		t.Errorf("after 'different people': %v, status %v; want submitted", err, got.Status)
	}

	// A third application by the same person: same-person decision rejects it as a duplicate.
	third := e.submit(t, g.Duplicate(orig), "third")
	if third.Status != enroll.StatusNeedsReview {
		t.Fatalf("third application status = %s, want needs_review", third.Status)
	}
	if err := e.app.Enroll.ResolveDuplicate(ctx, e.supervisor, third.ID, first.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	got, _ = e.app.Enroll.Get(ctx, e.supervisor, third.ID, enroll.PurposeReview)
	if got.Status != enroll.StatusRejected || got.DecisionReason != "duplicate" {
		t.Errorf("after 'same person': %s/%s, want rejected/duplicate", got.Status, got.DecisionReason)
	}
}

func TestRelativesAreNotFlagged(t *testing.T) {
	e := newEnv(t)
	g := synth.New(11)
	flagged := 0
	const n = 20
	for i := 0; i < n; i++ {
		p := g.Person()
		e.submit(t, p, "p"+p.FullName()+p.DateOfBirth.String())
		for _, rel := range []synth.Relation{synth.Twin, synth.Junior} {
			r := g.Relative(p, rel)
			a := e.submit(t, r, "r"+r.FullName()+r.DateOfBirth.String())
			if a.Status == enroll.StatusNeedsReview {
				flagged++
			}
		}
	}
	// Twins and parent/child pairs share a lot; a few may need a look, most must not.
	if flagged > n*2/10 {
		t.Errorf("%d of %d relatives flagged as duplicates; want at most 10%%", flagged, 2*n)
	}
}

func TestIndexRebuiltAtStart(t *testing.T) {
	e := newEnv(t)
	g := synth.New(3)
	p := g.Person()
	first := e.submit(t, p, "one")
	e.app.Close()
	a := open(t, e.dir)
	defer a.Close()
	if a.Screener.Len() != 1 {
		t.Fatalf("index after restart holds %d records, want 1", a.Screener.Len())
	}
	e.app = a
	dup := e.submit(t, p, "two")
	if dup.Status != enroll.StatusNeedsReview {
		t.Errorf("duplicate after restart: status %s, want needs_review (candidate %s)", dup.Status, first.ID)
	}
}

// TestNoListCardholderStillCaught erases a cardholder's personal data the
// "no list" way (match encoding kept, everything else gone) and checks a
// second application by the same person is still sent to review.
func TestNoListCardholderStillCaught(t *testing.T) {
	e := newEnv(t)
	g := synth.New(21)
	p := g.Person()
	first := e.submit(t, p, "first")
	enc, err := linkage.NewEncoder(e.app.Keys.MatchKey())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(enc.Encode(linkage.FromPerson(first.PersonID, p)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ReducePerson(ctx, first.PersonID, b, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Restart: the plain index no longer holds the erased person, the Bloom index does.
	e.app.Close()
	e.app = open(t, e.dir)
	defer e.app.Close()
	if _, err := e.app.Enroll.Get(ctx, e.supervisor, first.ID, enroll.PurposeFraudReview); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("erased application still opens: %v", err)
	}
	dup := g.Duplicate(p)
	second := e.submit(t, dup, "second")
	if second.Status != enroll.StatusNeedsReview {
		t.Fatalf("second application by an erased cardholder: status %s, want needs_review", second.Status)
	}
	_, reviews, err := e.app.Enroll.Duplicates(ctx, e.supervisor, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reviews) != 1 || !reviews[0].Erased || reviews[0].CandidateID != first.ID || reviews[0].Candidate != nil {
		t.Fatalf("Duplicates = %+v, want the erased first application, with no personal data", reviews)
	}
	// A different person is not flagged by the encodings.
	other := e.submit(t, g.Person(), "other")
	if other.Status != enroll.StatusSubmitted {
		t.Errorf("unrelated applicant: status %s, want submitted", other.Status)
	}
}
