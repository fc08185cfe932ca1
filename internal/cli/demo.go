package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/demo"
)

func cmdDemo(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "demo", "demo [--data DIR] [--db URL] [--residents N] [--seed S] [--one-by-one] [--returning] [--cards]",
		"Load synthetic residents through the enrollment service: validated, screened for duplicates,\n"+
			"sealed under a data key each and audited like every intake, and decided as a supervisor\n"+
			"would (88% approved, 4% rejected, the rest left for review). By default residents go in\n"+
			"batched transactions (enroll.Import), fast enough for a city of 1.5 million; --one-by-one\n"+
			"submits and decides each through the same calls the staff portal makes. --returning then\n"+
			"has one resident in 25 apply again and one in 50 bring a look-alike relative (a twin, a\n"+
			"son of the same name) through the portal's path, and decides most of what duplicate\n"+
			"screening flags as a supervisor who knows the truth: a duplicate review queue to walk\n"+
			"through, and decisions for 'cityid linkage model estimate' to learn from. --cards then\n"+
			"issues, prints and hands over cards and adds pre-applications, bookings and tickets.\n"+
			"The same --seed gives the same residents and decisions.")
	data := addDataFlags(fs, "data directory (created if missing)", true)
	n := fs.Int("residents", 200, "how many residents to load")
	seed := fs.Int64("seed", 1, "random seed for the synthetic residents")
	oneByOne := fs.Bool("one-by-one", false, "submit and decide each resident in its own requests (slow; the portal's path)")
	returning := fs.Bool("returning", false, "then second applications and look-alike relatives, screened and mostly decided (see above)")
	cards := fs.Bool("cards", false, "then issue, print and hand over cards, and add pre-applications, bookings and tickets")
	batch := fs.Int("batch", 250, "residents per transaction (bulk load)")
	workers := fs.Int("workers", 2, "parallel loaders")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 0 {
		fmt.Fprintln(stdio.Err, "cityid demo: --residents must be 0 or more")
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := data.open(ctx, app.Options{Create: true, Logger: logger, Screening: true})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, _, _, err := a.Auth.Bootstrap(ctx); err != nil {
		return err
	}
	if err := seedDemo(ctx, stdio, a, demo.Options{Residents: *n, Seed: *seed, Batch: *batch, Workers: *workers}, !*oneByOne); err != nil {
		return err
	}
	if *returning {
		if err := seedReturning(ctx, stdio, a, *seed); err != nil {
			return err
		}
	}
	if !*cards {
		return nil
	}
	lc, err := demo.Live(ctx, a, demo.Options{Residents: *n, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "cards: %d issued, %d printed, %d handed over; %d pre-applications (%d booked, %d waitlisted, %d in a lottery); %d walk-in tickets\n",
		lc.Issued, lc.Printed, lc.HandedOver, lc.Preapplications, lc.Booked, lc.Waitlisted, lc.LotteryEntries, lc.Tickets)
	if lc.PrintFailed > 0 {
		// Said, not hidden: each is a card a clerk would find unprintable.
		fmt.Fprintf(stdio.Err, "cards: %d could not be laid out for printing and were left issued (see 'cityid card print' for why)\n", lc.PrintFailed)
	}
	return nil
}

func seedDemo(ctx context.Context, stdio IO, a *app.App, o demo.Options, bulk bool) error {
	prog := newMeter(stdio.Err, "loading residents", int64(o.Residents))
	start := time.Now()
	o.Progress = func(done, total int) { prog.Set(int64(done)) }
	load := demo.Load
	if bulk {
		load = demo.Bulk
	}
	res, err := load(ctx, a, o)
	prog.Done()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdio.Out, "loaded %d residents in %.1fs (%.0f/s): %d approved, %d rejected, %d waiting for review\n",
		res.Submitted, secs, float64(res.Submitted)/max(secs, 1e-9), res.Approved, res.Rejected, res.Pending)
	for user, pw := range res.Staff {
		fmt.Fprintf(stdio.Out, "demo account %s, one-time password %s\n", user, pw)
	}
	return nil
}

// seedReturning sends returning residents and look-alikes after a demo
// load (demo.Returning) and says what screening made of them.
func seedReturning(ctx context.Context, stdio IO, a *app.App, seed int64) error {
	rr, err := demo.Returning(ctx, a, demo.Options{Seed: seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "returning: %d second applications (%d flagged as possible duplicates), %d look-alikes (%d flagged); %d pairs decided, %d applications left for duplicate review\n",
		rr.Second, rr.SecondFlagged, rr.Relatives, rr.RelativesFlagged, rr.Decided, rr.LeftForReview)
	return nil
}
