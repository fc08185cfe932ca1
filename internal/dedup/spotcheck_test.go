package dedup_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/synth"
)

// TestSpotChecks: an administrator draws pairs that screening scored under
// the review threshold (down to auto-clear) — the pairs no supervisor would
// otherwise see — from the index alone; a supervisor decides each once,
// and each decision is a label. Nobody else may draw or decide; a pair is
// never drawn twice nor after it was decided; every step is audited.
func TestSpotChecks(t *testing.T) {
	e := newEnv(t)
	sc := e.app.Screener
	g := synth.New(77)
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	admin := auth.Actor{StaffID: "stf_admin", Username: "admin", Role: auth.RoleAdmin}
	for i := range 40 {
		p := g.Person()
		e.submit(t, p, fmt.Sprintf("p%d", i))
		e.submit(t, g.Relative(p, synth.Namesake), fmt.Sprintf("n%d", i))
		rel := synth.Twin
		if i%2 == 1 {
			rel = synth.Sibling
		}
		e.submit(t, g.Relative(p, rel), fmt.Sprintf("r%d", i))
		// The same name at another address with a birth date two
		// keystrokes off, or another date, or ten years off: one person's
		// second form, or a namesake. Screening scores some of these
		// under the review threshold but above auto-clear — the band spot
		// checks are for (about one in five in this small city).
		q := p
		q.Address = g.Person().Address
		switch i % 4 {
		case 0:
			q.DateOfBirth.Day = q.DateOfBirth.Day%27 + 1
			q.DateOfBirth.Month = q.DateOfBirth.Month%12 + 1
		case 1:
			q.DateOfBirth = g.Person().DateOfBirth
		case 2:
			q.SecondSurname = ""
			q.DateOfBirth.Day = q.DateOfBirth.Day%27 + 1
			q.DateOfBirth.Month = q.DateOfBirth.Month%12 + 1
		default:
			q.DateOfBirth.Year -= 10
			q.DateOfBirth.Day = q.DateOfBirth.Day%27 + 1
		}
		e.submit(t, q, fmt.Sprintf("q%d", i))
	}
	rng := rand.New(rand.NewPCG(1, 2))

	for _, by := range []auth.Actor{e.supervisor, e.clerk} {
		if _, err := sc.DrawSpotChecks(ctx, by, 5, rng, now); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s draws spot checks: %v, want forbidden", by.Role, err)
		}
	}
	if _, _, err := sc.SpotChecks(ctx, e.clerk, true); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("a clerk lists spot checks: %v, want forbidden", err)
	}

	d, err := sc.DrawSpotChecks(ctx, admin, 10, rng, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first draw: %+v", d)
	if d.Drawn == 0 || d.Screened != 160 && d.Drawn < 10 {
		t.Fatalf("draw %+v: want pairs drawn, from every resident screened unless 10 were found first", d)
	}
	open, rep, err := sc.SpotChecks(ctx, e.supervisor, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != d.Drawn || rep.Open != d.Drawn || rep.Decided != 0 {
		t.Fatalf("listed %d open (report %+v), want the %d drawn", len(open), rep, d.Drawn)
	}
	lk := e.app.Settings.Linkage
	th := linkage.Thresholds{AutoClear: lk.AutoClear, Review: lk.Review}
	seen := map[[2]string]bool{}
	for _, c := range open {
		if c.Probability < th.AutoClear || c.Probability >= th.Review {
			t.Errorf("pair %s/%s drawn at %.3f, outside [%.2f, %.2f)", c.ApplicationID, c.CandidateID, c.Probability, th.AutoClear, th.Review)
		}
		if c.ApplicationID == c.CandidateID || c.BandPairs < 1 || c.DrawnBy != admin.StaffID {
			t.Errorf("pair %+v", c)
		}
		k := [2]string{min(c.ApplicationID, c.CandidateID), max(c.ApplicationID, c.CandidateID)}
		if seen[k] {
			t.Errorf("pair %s/%s drawn twice", c.ApplicationID, c.CandidateID)
		}
		seen[k] = true
	}

	// Decisions: a clerk may not; a supervisor once; the label is kept.
	first := open[0]
	if _, err := sc.DecideSpotCheck(ctx, e.app.Enroll, e.clerk, first.ApplicationID, first.CandidateID, false, now); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("a clerk decides: %v, want forbidden", err)
	}
	if flagged, err := sc.DecideSpotCheck(ctx, e.app.Enroll, e.supervisor, first.ApplicationID, first.CandidateID, false, now); err != nil || flagged != "" {
		t.Fatal(err)
	}
	if _, err := sc.DecideSpotCheck(ctx, e.app.Enroll, e.supervisor, first.ApplicationID, first.CandidateID, true, now); !errors.Is(err, dedup.ErrSpotDecided) {
		t.Errorf("deciding a pair again: %v, want ErrSpotDecided", err)
	}
	if _, err := sc.DecideSpotCheck(ctx, e.app.Enroll, e.supervisor, first.CandidateID, "app_nobody", true, now); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deciding a pair never drawn: %v, want not found", err)
	}
	if len(open) > 1 {
		// Same person: both records are pending here, so the newer goes
		// before a supervisor as a possible duplicate of the other.
		flagged, err := sc.DecideSpotCheck(ctx, e.app.Enroll, e.supervisor, open[1].ApplicationID, open[1].CandidateID, true, now)
		if err != nil {
			t.Fatal(err)
		}
		if flagged != open[1].ApplicationID && flagged != open[1].CandidateID {
			t.Fatalf("'same person' flagged %q, want one of the pair", flagged)
		}
		other := open[1].ApplicationID
		if flagged == other {
			other = open[1].CandidateID
		}
		got, err := e.app.Enroll.Get(ctx, e.supervisor, flagged, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != enroll.StatusNeedsReview || got.ReviewReason != enroll.ReviewPossibleDuplicate {
			t.Errorf("the flagged application is %s/%s, want in review as a possible duplicate", got.Status, got.ReviewReason)
		}
		cands, err := e.app.DB.DuplicateCandidates(ctx, flagged)
		if err != nil || !slices.ContainsFunc(cands, func(c enroll.DuplicateCandidate) bool { return c.CandidateID == other }) {
			t.Errorf("the flagged application's candidates %+v (%v), want the other record", cands, err)
		}
		if ev, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "application.flag_duplicate"}); err != nil || len(ev) != 1 || ev[0].RecordID != flagged {
			t.Errorf("flag audited %+v (%v)", ev, err)
		}
	}
	labels, err := e.app.DB.PairDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != min(2, len(open)) || labels[0].Same == labels[len(labels)-1].Same && len(labels) == 2 {
		t.Errorf("labels kept %+v, want the two decisions", labels)
	}
	_, rep, err = sc.SpotChecks(ctx, admin, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Decided != len(labels) || rep.Same != len(labels)-1 || rep.Open != d.Drawn-len(labels) {
		t.Errorf("report %+v after %d decisions (one same)", rep, len(labels))
	}
	if rep.Decided > 0 && !(rep.Low <= float64(rep.Same)/float64(rep.Decided) && float64(rep.Same)/float64(rep.Decided) <= rep.High && rep.High < 1) {
		t.Errorf("interval %.3f–%.3f does not hold the share %d/%d", rep.Low, rep.High, rep.Same, rep.Decided)
	}

	// A second draw never repeats a pair.
	d2, err := sc.DrawSpotChecks(ctx, admin, 200, rng, now)
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := sc.SpotChecks(ctx, admin, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != d.Drawn+d2.Drawn {
		t.Errorf("%d pairs after drawing %d and %d", len(all), d.Drawn, d2.Drawn)
	}
	again := map[[2]string]bool{}
	for _, c := range all {
		k := [2]string{min(c.ApplicationID, c.CandidateID), max(c.ApplicationID, c.CandidateID)}
		if again[k] {
			t.Errorf("pair %v drawn twice over two draws", k)
		}
		again[k] = true
	}

	events, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "linkage.spot_checks_drawn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Actor != admin.StaffID {
		t.Errorf("draws audited %+v, want two by the administrator", events)
	}
	for _, a := range []string{"linkage.spot_check_distinct", "linkage.spot_check_same"} {
		if ev, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: a}); err != nil || len(ev) != 1 || ev[0].Actor != e.supervisor.StaffID {
			t.Errorf("%s audited %+v (%v), want one by the supervisor", a, ev, err)
		}
	}
}
