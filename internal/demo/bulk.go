package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/synth"
)

// Bulk loads o.Residents synthetic residents in batched transactions
// (enroll.Import): the same validation, duplicate screening, sealing under
// a data key per person and audit events as Load, at the speed a 1.5
// million resident test needs. The same seed gives the same residents and
// decisions (ids and reference codes are random). It ends by refreshing
// the database's statistics (store.DB.Analyze).
func Bulk(ctx context.Context, a *app.App, o Options) (Result, error) {
	if o.Residents < 0 {
		return Result{}, errors.New("demo: residents must be 0 or more")
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 250
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
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	spec := photo.DefaultSpec()
	if a.Settings.Photo.Width > 0 {
		spec.Width, spec.Height = a.Settings.Photo.Width, a.Settings.Photo.Height
	}
	// Each portrait is normalized once, as intake would normalize it.
	portraits := make([][]byte, 12)
	for i := range portraits {
		raw, err := Portrait(r, spec.Width, spec.Height)
		if err != nil {
			return res, err
		}
		if portraits[i], err = photo.Normalize(bytes.NewReader(raw), spec); err != nil {
			return res, err
		}
	}
	type work struct {
		clerk int
		items []enroll.ImportItem
	}
	ch := make(chan work, o.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	done := 0
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range ch {
				out, err := a.Enroll.Import(ctx, clerks[w.clerk], supervisor, w.items)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					for _, im := range out {
						res.Submitted++
						switch im.Status {
						case enroll.StatusApproved:
							res.Approved++
						case enroll.StatusRejected:
							res.Rejected++
						default:
							res.Pending++
						}
					}
					done += len(out)
					if o.Progress != nil {
						o.Progress(done, o.Residents)
					}
				}
				mu.Unlock()
			}
		}()
	}
	gen := synth.New(o.Seed)
	today := a.Today()
	feed := func() {
		defer close(ch)
		for start := 0; start < o.Residents; start += batch {
			// Batches go to one clerk (one site) each, as a desk's day would.
			w := work{clerk: (start / batch) % len(clerks)}
			for i := start; i < min(start+batch, o.Residents); i++ {
				w.items = append(w.items, item(a, gen, r, portraits, today, o.Seed, i))
			}
			select {
			case ch <- w:
			case <-ctx.Done():
				return
			}
		}
	}
	feed()
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return res, fmt.Errorf("demo: bulk load: %w", firstErr)
	}
	if err := a.DB.Analyze(ctx); err != nil {
		return res, fmt.Errorf("demo: bulk load: %w", err)
	}
	return res, nil
}

// item draws one resident and the supervisor's decision from r, in the
// proportions Load uses.
func item(a *app.App, gen *synth.Generator, r *rand.Rand, portraits [][]byte, today person.Date, seed int64, i int) enroll.ImportItem {
	in := Applicant(a.Settings, gen, r, today)
	in.Photo = portraits[r.IntN(len(portraits))]
	in.IdempotencyKey = fmt.Sprintf("demo-%d-%d", seed, i)
	it := enroll.ImportItem{Intake: in}
	switch x := r.IntN(100); {
	case x < 88:
		it.Decision = enroll.StatusApproved
	case x < 92:
		it.Decision = enroll.StatusRejected
		it.Reason = a.Settings.Review.RejectReasons[r.IntN(len(a.Settings.Review.RejectReasons))]
	default:
		it.Decision = enroll.StatusSubmitted
	}
	return it
}

// Applicant draws one synthetic applicant as a clerk would type them in
// (no photo): a person from gen, documents that meet s's evidence rules,
// and the program's fee paid by one of its methods or, one time in ten,
// waived. The load test submits these through the intake form.
func Applicant(s config.Settings, gen *synth.Generator, r *rand.Rand, today person.Date) enroll.Intake {
	return intakeFor(s, gen.Person(), r, today)
}

// intakeFor is p's intake (no photo, no idempotency key): documents that
// meet s's evidence rules and the fee paid or, one time in ten, waived.
func intakeFor(s config.Settings, p person.Person, r *rand.Rand, today person.Date) enroll.Intake {
	docs := pickDocuments(s, p, today, r)
	q := fee.Compute(s.Fees, fee.KindNew, p.DateOfBirth, today)
	pay := fee.Payment{Method: s.Fees.PaymentMethods[r.IntN(len(s.Fees.PaymentMethods))], AmountCents: q.AmountCents}
	if r.IntN(10) == 0 && len(s.Fees.WaiverReasons) > 0 {
		pay = fee.Payment{Method: "waiver", WaiverReason: s.Fees.WaiverReasons[r.IntN(len(s.Fees.WaiverReasons))], WaiverNote: "demo waiver"}
	}
	if q.AmountCents == 0 {
		pay = fee.Payment{Method: s.Fees.PaymentMethods[0]}
	}
	return enroll.Intake{Person: p, Documents: docs, Payment: pay}
}
