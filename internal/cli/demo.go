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
	fs := newFlagSet(stdio, "demo", "demo [--data DIR] [--db URL] [--residents N] [--seed S]",
		"Load synthetic residents through the normal intake and review path (same service\n"+
			"layer as the staff portal). The same --seed gives the same residents and decisions.")
	data := addDataFlags(fs, "data directory (created if missing)", true)
	n := fs.Int("residents", 200, "how many residents to load")
	seed := fs.Int64("seed", 1, "random seed for the synthetic residents")
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
	return seedDemo(ctx, stdio, a, *n, *seed)
}

func seedDemo(ctx context.Context, stdio IO, a *app.App, n int, seed int64) error {
	prog := newMeter(stdio.Err, "loading residents", int64(n))
	start := time.Now()
	res, err := demo.Load(ctx, a, demo.Options{Residents: n, Seed: seed, Progress: func(done, total int) { prog.Set(int64(done)) }})
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
