package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/retention"
	"github.com/cityid/cityid/internal/store"
)

// retentionEngine builds the purge engine for an opened data directory.
func retentionEngine(a *app.App, o retention.Options) (*retention.Engine, error) {
	if o.Now == nil {
		o.Now = a.Now
	}
	o.Rand, o.Log = a.Rand, a.Log
	return retention.New(a.DB, a.Vault, a.Keys.MatchKey(), retention.PolicyFrom(a.Settings.Retention), o)
}

// runRetentionScheduler purges daily (the first time 5 minutes after start)
// until ctx ends; `cityid serve` runs it in a goroutine. A failure to set
// it up is logged, not fatal: the server still serves.
func runRetentionScheduler(ctx context.Context, a *app.App) {
	var o retention.Options
	if a.Screener != nil {
		// Erased people leave the in-memory duplicate-screening index too.
		o.Erased = func(ids []string) {
			for _, id := range ids {
				a.Screener.Remove(id)
			}
			// People reduced to match encodings ("no list") stay screenable.
			if _, err := a.Screener.LoadEncodings(ctx); err != nil {
				a.Log.Warn("reload no-list match encodings", "error", err)
			}
		}
	}
	eng, err := retentionEngine(a, o)
	if err != nil {
		a.Log.Error("retention scheduler not started", "error", err)
		return
	}
	(&retention.Scheduler{Engine: eng, Now: a.Now, Log: a.Log}).Run(ctx)
}

// purgeSummary is the JSON last line of `cityid purge`.
type purgeSummary struct {
	DryRun   bool           `json:"dry_run"`
	At       time.Time      `json:"at"`
	NoList   bool           `json:"no_list"`
	ModeSwap bool           `json:"mode_change"`
	Due      map[string]int `json:"due"`
	Done     map[string]int `json:"done,omitempty"`
	Rows     map[string]int `json:"rows,omitempty"` // rows deleted or blanked per table
	Skipped  int            `json:"skipped,omitempty"`
	Run      string         `json:"run,omitempty"`
	Finished bool           `json:"finished"`
}

func cmdPurge(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "purge", "purge [--data DIR] [--db URL] [--dry-run] [--now RFC3339-TIME]",
		"Erase what the retention settings say is due: expired pre-applications (with their bookings),\n"+
			"abandoned drafts, rejected applications, applications never decided, approved applications\n"+
			"whose card was never issued, cards never collected, cardholders past card expiry plus the\n"+
			"retention period, old walk-in tickets and, in \"no list\" mode, the personal data of\n"+
			"cardholders whose card was handed over.\n"+
			"Erasing destroys the person's data key and deletes the rows (crypto-shredding).\n"+
			"Prints what is due per class; the last line is a JSON summary.")
	data := addDataFlags(fs, "", true)
	dryRun := fs.Bool("dry-run", false, "only show what would be erased; change nothing")
	nowFlag := fs.String("now", "", "judge due times at this RFC 3339 time (default: now); a later time previews a future purge (with --dry-run)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	a, err := data.open(ctx, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	at, err := parseNow(*nowFlag, a.Now)
	if err != nil {
		return err
	}
	eng, err := retentionEngine(a, retention.Options{})
	if err != nil {
		return err
	}
	sum := purgeSummary{DryRun: *dryRun, At: at.UTC(), NoList: a.Settings.Retention.NoListMode}
	var plan retention.Plan
	if *dryRun {
		if plan, err = eng.Plan(ctx, at); err != nil {
			return err
		}
	} else {
		prog := newMeter(stdio.Err, "purging", 0)
		res, err := eng.Purge(ctx, at)
		prog.Done()
		if errors.Is(err, retention.ErrFuture) {
			return fmt.Errorf("%w (a future --now is for previews: add --dry-run)", err)
		}
		if err != nil {
			return err
		}
		plan = res.Plan
		sum.Done, sum.Skipped, sum.Run, sum.Finished = classCounts(res.Done), res.Skipped, res.RunID, res.Finished
		sum.Rows = map[string]int{"persons": res.Rows.Persons, "applications": res.Rows.Applications,
			"preapplications": res.Rows.Preapplications, "cards": res.Rows.Cards, "match_encodings": res.Rows.Encodings}
	}
	sum.Due, sum.ModeSwap = classCounts(plan.Due), plan.ModeChange
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	verb := "erased"
	if *dryRun {
		verb = "would erase"
	}
	fmt.Fprintf(tw, "judged at %s (%s)\n", sum.At.Format(time.RFC3339), map[bool]string{true: "dry run", false: "purge"}[*dryRun])
	fmt.Fprintf(tw, "class\tdue\t%s\n", verb)
	for _, c := range retention.Classes {
		done := "-"
		if sum.Done != nil {
			done = fmt.Sprint(sum.Done[string(c)])
		} else if *dryRun {
			done = fmt.Sprint(plan.Due[c])
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", c, plan.Due[c], done)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if plan.ModeChange {
		fmt.Fprintf(stdio.Out, "\"no list\" mode changed to %v since the last purge (audited when the purge runs)\n", sum.NoList)
	}
	if !*dryRun && !sum.Finished {
		fmt.Fprintln(stdio.Out, "interrupted: every person is whole or erased; run cityid purge again to continue")
	}
	return json.NewEncoder(stdio.Out).Encode(sum)
}

func classCounts(m map[store.DueClass]int) map[string]int {
	out := make(map[string]int, len(m))
	for _, c := range retention.Classes {
		out[string(c)] = m[c]
	}
	return out
}

// parseNow reads --now (RFC 3339); empty means the clock.
func parseNow(s string, clock func() time.Time) (time.Time, error) {
	if s == "" {
		return clock(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now %q: want an RFC 3339 time such as 2027-01-31T09:00:00Z", s)
	}
	return t, nil
}
