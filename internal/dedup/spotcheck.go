package dedup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/store"
)

// Spot checks. Supervisors decide only the pairs screening flags (at or
// above the review threshold), so their decisions say how often a flag is
// right but can never show a duplicate that no model flagged: held-out
// decisions favour the model in use. A spot check draws, at random, pairs
// that screening scores from the auto-clear threshold up to under the
// review threshold — counted, never shown — for a supervisor to decide. The
// share of them that are one person is an unbiased look at what screening
// misses where it is least sure; the decisions are labels too.

// SpotCheckPairs is how many pairs a draw asks for.
const SpotCheckPairs = 20

// spotScreenLimit and spotBudget bound one draw: in a city whose records
// are well apart most residents have no pair in the band, and each
// screening takes a millisecond or more (at a million residents a few), so
// a draw stops after 20,000 residents or 15 seconds, well inside the
// server's 60-second write timeout, with the pairs it has.
const (
	spotScreenLimit = 20000
	spotBudget      = 15 * time.Second
)

// SpotDraw says what a draw did (no personal data).
type SpotDraw struct {
	Drawn    int // pairs added for supervisors to decide
	Screened int // residents screened from the index
	WithBand int // of them, those with a pair in the band not drawn or decided before
}

// DrawSpotChecks draws up to n pairs for a spot check: residents taken in a
// random order (rng), each screened against the index as an application
// would be (ScreenResident: nothing is read from the database or
// decrypted), and of each one's pairs in the band, one at random. Pairs
// drawn or decided before are left out. Only an administrator may draw;
// the draw is audited.
func (s *Screener) DrawSpotChecks(ctx context.Context, by auth.Actor, n int, rng *rand.Rand, now time.Time) (SpotDraw, error) {
	var d SpotDraw
	if err := mayManage(by); err != nil {
		return d, err
	}
	if s.loading.Load() {
		return d, enroll.ErrScreeningPending
	}
	if n <= 0 || n > 200 {
		return d, fmt.Errorf("draw %d spot checks: 1 to 200 at a time", n)
	}
	seen, err := s.pairsSeen(ctx)
	if err != nil {
		return d, err
	}
	ids := s.ix.IDs()
	slices.Sort(ids) // the map's order is not random enough to rely on, nor fixed enough to test
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var drawn []store.SpotCheck
	stop := time.Now().Add(spotBudget) // wall time spent, not the program's clock
	for _, id := range ids {
		if len(drawn) >= n || d.Screened >= spotScreenLimit || time.Now().After(stop) {
			break
		}
		if err := ctx.Err(); err != nil {
			return d, err
		}
		cands, err := s.ix.ScreenResident(id, s.t.AutoClear)
		if errors.Is(err, linkage.ErrUnknownID) {
			continue // removed since the ids were listed
		}
		if err != nil {
			return d, err
		}
		d.Screened++
		var band []linkage.Candidate
		for _, c := range cands {
			if c.Probability < s.t.Review && !seen[pairKey(id, c.ID)] {
				band = append(band, c)
			}
		}
		if len(band) == 0 {
			continue
		}
		d.WithBand++
		c := band[rng.IntN(len(band))]
		seen[pairKey(id, c.ID)] = true
		drawn = append(drawn, store.SpotCheck{ApplicationID: id, CandidateID: c.ID, Probability: c.Probability,
			BandPairs: len(band), DrawnBy: by.StaffID, DrawnAt: now.UTC()})
	}
	d.Drawn = len(drawn)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSpotChecks(ctx, drawn); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "linkage.spot_checks_drawn", RecordType: "spot_checks", RecordID: strconv.Itoa(d.Drawn)})
	})
	if err != nil {
		return SpotDraw{}, fmt.Errorf("draw spot checks: %w", err)
	}
	return d, nil
}

// pairKey names a pair whichever record comes first.
func pairKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// pairsSeen lists the pairs drawn or decided before, either way round.
func (s *Screener) pairsSeen(ctx context.Context) (map[[2]string]bool, error) {
	seen := map[[2]string]bool{}
	checks, err := s.db.SpotChecks(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, c := range checks {
		seen[pairKey(c.ApplicationID, c.CandidateID)] = true
	}
	decided, err := s.db.PairDecisions(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range decided {
		seen[pairKey(p.ApplicationID, p.CandidateID)] = true
	}
	return seen, nil
}

// SpotReport sums the decided spot checks up: Same of Decided were one
// person, with the 95 % Wilson interval of that share (Low, High; both 0
// with nothing decided). Open pairs wait for a supervisor.
type SpotReport struct {
	Open, Decided, Same int
	Low, High           float64
}

// SpotChecks lists the pairs drawn (the open ones only when open is set)
// and sums up the decided ones. Supervisors decide them; administrators
// draw them; either may list them (ids and the model's figure only).
func (s *Screener) SpotChecks(ctx context.Context, by auth.Actor, open bool) ([]store.SpotCheck, SpotReport, error) {
	var rep SpotReport
	if !by.Can(auth.RoleSupervisor) && !by.Can(auth.RoleAdmin) {
		return nil, rep, fmt.Errorf("spot checks: %w", errs.ErrForbidden)
	}
	all, err := s.db.SpotChecks(ctx, false)
	if err != nil {
		return nil, rep, err
	}
	var out []store.SpotCheck
	for _, c := range all {
		switch {
		case c.Same == nil:
			rep.Open++
		case *c.Same:
			rep.Decided++
			rep.Same++
		default:
			rep.Decided++
		}
		if !open || c.Same == nil {
			out = append(out, c)
		}
	}
	rep.Low, rep.High = wilson(rep.Same, rep.Decided)
	return out, rep, nil
}

// SpotCheck returns one drawn pair (ids, the model's figure, and whether
// and how it was decided) for a supervisor about to decide it.
func (s *Screener) SpotCheck(ctx context.Context, by auth.Actor, applicationID, candidateID string) (store.SpotCheck, error) {
	if !by.Can(auth.RoleSupervisor) {
		return store.SpotCheck{}, fmt.Errorf("spot check: %w", errs.ErrForbidden)
	}
	c, err := s.db.SpotCheckPair(ctx, applicationID, candidateID)
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("spot check: %w", errs.ErrNotFound)
	}
	return c, err
}

// wilson is the 95 % Wilson score interval of k successes in n: it stays
// inside 0–1 and says something with few pairs, or none found.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 0
	}
	const z = 1.959964
	p, fn := float64(k)/float64(n), float64(n)
	den := 1 + z*z/fn
	mid := (p + z*z/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / den
	return max(0, mid-half), min(1, mid+half)
}

// ErrSpotDecided means another supervisor decided the pair first; their
// decision stands.
var ErrSpotDecided = fmt.Errorf("this pair was decided already: %w", errs.ErrConflict)

// DecideSpotCheck records a supervisor's decision on a drawn pair: kept with
// the spot check, and as a label the model learns from (as a decision on a
// flagged pair is). "Same person" also puts the pending record of the two,
// if there is one, before the supervisors as a possible duplicate
// (enroll.Service.FlagMissedDuplicate, in the same transaction); flagged is
// its id. Audited. A pair not drawn is errs.ErrNotFound.
func (s *Screener) DecideSpotCheck(ctx context.Context, svc *enroll.Service, by auth.Actor, applicationID, candidateID string, same bool, now time.Time) (flagged string, err error) {
	if !by.Can(auth.RoleSupervisor) {
		return "", fmt.Errorf("decide a spot check: %w", errs.ErrForbidden)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		flagged = ""
		if err := tx.DecideSpotCheck(ctx, applicationID, candidateID, same, by.StaffID, now.UTC()); err != nil {
			return err
		}
		if same && svc != nil {
			c, err := tx.SpotCheckPair(ctx, applicationID, candidateID)
			if err != nil {
				return err
			}
			if flagged, err = svc.FlagMissedDuplicate(ctx, tx, by, applicationID, candidateID, c.Probability, now); err != nil {
				return err
			}
		}
		if err := tx.RecordPairDecision(ctx, applicationID, candidateID, same, by.StaffID, now.UTC()); err != nil {
			return err
		}
		action := "linkage.spot_check_distinct"
		if same {
			action = "linkage.spot_check_same"
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: action, RecordType: "application", RecordID: applicationID})
	})
	switch {
	case errors.Is(err, errs.ErrConflict):
		return "", ErrSpotDecided
	case errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("spot check %s/%s: %w", applicationID, candidateID, errs.ErrNotFound)
	case err != nil:
		return "", err
	}
	return flagged, nil
}
