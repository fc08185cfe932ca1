package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/synth"
)

// Returning applicants: after a load, some residents apply again (a
// renewal or a lost card typed anew by another clerk, often from a new
// address) and some bring someone who looks alike (a twin, a son of the
// same name, a namesake born on the same day ten years apart). They go through the portal's path (enroll.Submit), so
// duplicate screening flags what it finds, and the supervisor decides
// most flagged pairs by the truth ("same person", "different people"),
// leaving some in the queue. A demo then has a duplicate review to walk
// through and decisions for `cityid linkage model estimate` to learn from.

// Shares of the loaded residents: one in returnEvery applies again, one
// in relativeEvery brings a relative; at most maxReturning of each.
const (
	returnEvery   = 25
	relativeEvery = 50
	maxReturning  = 1000
	// leaveEvery: one flagged application in leaveEvery is left undecided.
	leaveEvery = 5
)

// ReturningResult says what Returning did.
type ReturningResult struct {
	// Second applications by residents already on file, and how many of
	// them screening flagged as possible duplicates.
	Second, SecondFlagged int
	// Applications by a look-alike relative, and how many were flagged.
	Relatives, RelativesFlagged int
	// Pairs the supervisor decided (each kept as a label), and flagged
	// applications left for review.
	Decided, LeftForReview int
}

// errEnough stops the walk over the loaded residents.
var errEnough = errors.New("enough residents")

// Returning sends second applications and relatives' applications for
// residents already loaded (approved ones; chosen by a hash of their name
// and birth date, so a seed picks the same people whatever the ids), and
// decides the flagged pairs as a supervisor who knows the truth would.
func Returning(ctx context.Context, a *app.App, o Options) (ReturningResult, error) {
	var res ReturningResult
	sites, err := ensureSites(ctx, a)
	if err != nil {
		return res, err
	}
	clerks, supervisor, err := ensureStaff(ctx, a, sites, map[string]string{})
	if err != nil {
		return res, err
	}
	type resident struct {
		id  string
		p   person.Person
		key string
	}
	var again, kin []resident
	err = a.Enroll.EachPerson(ctx, []enroll.Status{enroll.StatusApproved}, func(id string, p person.Person) error {
		key := p.FullName() + "|" + p.DateOfBirth.String() + "|" + p.Address.Line1
		h := fnv.New64a()
		fmt.Fprintf(h, "%d|%s", o.Seed, key)
		switch x := h.Sum64(); {
		case x%returnEvery == 0 && len(again) < maxReturning:
			again = append(again, resident{id, p, key})
		case x%relativeEvery == 1 && len(kin) < maxReturning:
			kin = append(kin, resident{id, p, key})
		}
		if len(again) >= maxReturning && len(kin) >= maxReturning {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return res, fmt.Errorf("demo: returning applicants: %w", err)
	}
	byKey := func(x, y resident) int { return strings.Compare(x.key, y.key) }
	slices.SortFunc(again, byKey)
	slices.SortFunc(kin, byKey)

	gen := synth.New(o.Seed + 1)
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x2e7))
	spec := photo.DefaultSpec()
	if a.Settings.Photo.Width > 0 {
		spec.Width, spec.Height = a.Settings.Photo.Width, a.Settings.Photo.Height
	}
	portraits := make([][]byte, 12)
	for i := range portraits {
		if portraits[i], err = Portrait(r, spec.Width, spec.Height); err != nil {
			return res, err
		}
	}
	today := a.Today()
	flagged := 0
	submit := func(k int, p person.Person, original string) (bool, error) {
		in := intakeFor(a.Settings, p, r, today)
		in.Photo, in.IdempotencyKey = portraits[r.IntN(len(portraits))], fmt.Sprintf("demo-returning-%d-%d", o.Seed, k)
		got, err := a.Enroll.Submit(ctx, clerks[r.IntN(len(clerks))], "", in)
		if err != nil {
			return false, err
		}
		// The clerk is not told of a possible duplicate (clerkView); the
		// candidates recorded for the supervisor say it.
		cands, err := a.DB.DuplicateCandidates(ctx, got.ID)
		if err != nil || len(cands) == 0 {
			return false, err
		}
		flagged++
		if flagged%leaveEvery == 0 {
			res.LeftForReview++
			return true, nil
		}
		// "Different people" first: "same person" rejects the application
		// and closes its review.
		for _, same := range []bool{false, true} {
			for _, c := range cands {
				if (c.CandidateID == original) != same {
					continue
				}
				if err := a.Enroll.ResolveDuplicate(ctx, supervisor, got.ID, c.CandidateID, same, ""); err != nil {
					return true, fmt.Errorf("decide %s against %s: %w", got.ID, c.CandidateID, err)
				}
				res.Decided++
			}
		}
		return true, nil
	}
	for k, x := range again {
		f, err := submit(k, gen.Duplicate(x.p), x.id)
		if err != nil {
			return res, fmt.Errorf("demo: second application %d: %w", k, err)
		}
		res.Second++
		if f {
			res.SecondFlagged++
		}
	}
	for k, x := range kin {
		var rel person.Person
		switch k % 3 {
		case 0:
			rel = gen.Relative(x.p, synth.Twin)
		case 1:
			rel = gen.Relative(x.p, synth.Junior)
		default:
			// A namesake elsewhere in the city born on the same day ten
			// years apart: one keystroke from a typo in the year, the
			// look-alike screening flags most often.
			rel = gen.Relative(x.p, synth.Namesake)
			rel.DateOfBirth = person.DateOf(x.p.DateOfBirth.Time().AddDate(-10, 0, 0))
		}
		f, err := submit(len(again)+k, rel, "")
		if err != nil {
			return res, fmt.Errorf("demo: relative's application %d: %w", k, err)
		}
		res.Relatives++
		if f {
			res.RelativesFlagged++
		}
	}
	return res, nil
}
