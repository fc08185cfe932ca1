// Package demo loads synthetic residents through the normal intake and
// review path, so a newcomer sees a living system and bugs found on demo
// data can be replayed: the same seed gives the same residents, documents
// and decisions (ids and reference codes are random, as in production).
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/synth"
)

// Options control a demo load.
type Options struct {
	Residents int
	Seed      int64
	Workers   int                   // parallel intakes; default 4 (Bulk: 2)
	Batch     int                   // Bulk: residents per transaction; default 250
	Progress  func(done, total int) // called as residents are loaded
}

// Result says what was loaded.
type Result struct {
	Submitted, Approved, Rejected, Pending int
	// Staff accounts created for the demo, with one-time passwords (empty when they existed).
	Staff map[string]string
}

// Load pushes o.Residents synthetic residents through intake and review.
func Load(ctx context.Context, a *app.App, o Options) (Result, error) {
	if o.Residents < 0 {
		return Result{}, errors.New("demo: residents must be 0 or more")
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	res := Result{Staff: map[string]string{}}
	sites, err := ensureSites(ctx, a)
	if err != nil {
		return res, err
	}
	clerks, supervisor, err := ensureStaff(ctx, a, sites, res.Staff)
	if err != nil {
		return res, err
	}

	// Generate every resident up front from one seeded stream so the data
	// does not depend on how the workers interleave.
	gen := synth.New(o.Seed)
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	portraits := make([][]byte, 12)
	spec := photo.DefaultSpec()
	if a.Settings.Photo.Width > 0 {
		spec.Width, spec.Height = a.Settings.Photo.Width, a.Settings.Photo.Height
	}
	for i := range portraits {
		if portraits[i], err = Portrait(r, spec.Width, spec.Height); err != nil {
			return res, err
		}
	}
	type job struct {
		i       int
		intake  enroll.Intake
		clerk   auth.Actor
		outcome int // 0 approve, 1 reject, 2 leave pending
		reason  string
	}
	today := a.Today()
	jobs := make([]job, o.Residents)
	for i := range jobs {
		in := intakeFor(a.Settings, gen.Person(), r, today)
		j := job{i: i, clerk: clerks[r.IntN(len(clerks))]}
		in.Photo, in.IdempotencyKey = portraits[r.IntN(len(portraits))], fmt.Sprintf("demo-%d-%d", o.Seed, i)
		j.intake = in
		switch x := r.IntN(100); {
		case x < 88:
			j.outcome = 0
		case x < 92:
			j.outcome = 1
			j.reason = a.Settings.Review.RejectReasons[r.IntN(len(a.Settings.Review.RejectReasons))]
		default:
			j.outcome = 2
		}
		jobs[i] = j
	}

	var mu sync.Mutex
	done := 0
	var firstErr error
	ch := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				err := run(ctx, a, j.clerk, supervisor, j.intake, j.outcome, j.reason)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("demo resident %d: %w", j.i, err)
				}
				if err == nil {
					res.Submitted++
					switch j.outcome {
					case 0:
						res.Approved++
					case 1:
						res.Rejected++
					default:
						res.Pending++
					}
				}
				done++
				if o.Progress != nil {
					o.Progress(done, o.Residents)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

func run(ctx context.Context, a *app.App, clerk, supervisor auth.Actor, in enroll.Intake, outcome int, reason string) error {
	app, err := a.Enroll.Submit(ctx, clerk, "", in)
	if err != nil {
		return err
	}
	if app.Status != enroll.StatusSubmitted {
		return nil // a replayed idempotency key: already decided earlier
	}
	switch outcome {
	case 0:
		return a.Enroll.Approve(ctx, supervisor, app.ID, "")
	case 1:
		return a.Enroll.Reject(ctx, supervisor, app.ID, reason, "")
	}
	return nil
}

// pickDocuments chooses documents the resident "shows" until the rules are met.
func pickDocuments(s config.Settings, p person.Person, today person.Date, r *rand.Rand) []evidence.Shown {
	var ident, resid []config.Document
	for _, d := range s.Documents {
		if d.IdentityPoints > 0 && d.HasPhoto {
			ident = append(ident, d)
		}
		if d.ResidencyPoints > 0 {
			resid = append(resid, d)
		}
	}
	sort.SliceStable(ident, func(i, j int) bool { return ident[i].IdentityPoints > ident[j].IdentityPoints })
	var shown []evidence.Shown
	add := func(d config.Document) {
		sh := evidence.Shown{Type: d.Code, Expires: today.AddYears(1 + r.IntN(5))}
		if d.DatedWithinDays > 0 {
			sh = evidence.Shown{Type: d.Code, Dated: today.AddDays(-r.IntN(d.DatedWithinDays))}
		}
		shown = append(shown, sh)
	}
	if len(ident) > 0 {
		add(ident[r.IntN(min(len(ident), 3))])
	}
	if len(resid) > 0 {
		add(resid[r.IntN(len(resid))])
	}
	in := evidence.Input{Age: p.DateOfBirth.AgeOn(today), Today: today}
	for _, d := range s.Documents {
		in.Shown = shown
		if evidence.Evaluate(s.Evidence, s.Documents, in).OK {
			break
		}
		add(d)
	}
	return shown
}

func ensureSites(ctx context.Context, a *app.App) ([]store.Site, error) {
	want := []store.Site{
		{Name: "City Hall", Kind: site.KindCityHall, Address: "165 Church Street"},
		{Name: "Community Partner (demo)", Kind: site.KindPartner, Address: "1 Fair Haven Road"},
	}
	var out []store.Site
	for _, w := range want {
		s, err := a.Sites.ByName(ctx, w.Name)
		if errors.Is(err, errs.ErrNotFound) {
			s, err = a.Sites.Create(ctx, auth.System(), w)
		}
		if err != nil {
			return nil, fmt.Errorf("demo site %q: %w", w.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func ensureStaff(ctx context.Context, a *app.App, sites []store.Site, created map[string]string) ([]auth.Actor, auth.Actor, error) {
	existing, err := a.Auth.ListStaff(ctx, auth.System())
	if err != nil {
		return nil, auth.Actor{}, err
	}
	byName := map[string]auth.Staff{}
	for _, s := range existing {
		byName[s.Username] = s
	}
	get := func(username string, role auth.Role, siteID string) (auth.Actor, error) {
		s, ok := byName[username]
		if !ok {
			var pw string
			var err error
			s, pw, err = a.Auth.CreateStaffOneTime(ctx, auth.System(), auth.NewStaff{Username: username, DisplayName: username, Role: role, SiteID: siteID})
			if err != nil {
				return auth.Actor{}, fmt.Errorf("demo staff %s: %w", username, err)
			}
			created[username] = pw
		}
		return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}, nil
	}
	var clerks []auth.Actor
	for i, st := range sites {
		c, err := get(fmt.Sprintf("demo-clerk-%d", i+1), auth.RoleClerk, st.ID)
		if err != nil {
			return nil, auth.Actor{}, err
		}
		clerks = append(clerks, c)
	}
	sup, err := get("demo-supervisor", auth.RoleSupervisor, sites[0].ID)
	if err != nil {
		return nil, auth.Actor{}, err
	}
	return clerks, sup, nil
}
