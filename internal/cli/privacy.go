package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/retention"
	"github.com/cityid/cityid/internal/store"
)

// privacySummary is the JSON last line of `cityid privacy report`.
type privacySummary struct {
	At        time.Time         `json:"at"`
	NoList    bool              `json:"no_list"`
	Counts    map[string]int    `json:"counts"`
	ByAge     map[string][4]int `json:"by_age"` // <30 days, 30–89, 90–364, 365+
	DueNow    map[string]int    `json:"due_now"`
	Due30Days map[string]int    `json:"due_within_30_days"`
	LastPurge *time.Time        `json:"last_purge,omitempty"`
	NextPurge *time.Time        `json:"next_purge,omitempty"`
	// Unclassified counts people and records no retention rule covers
	// (they would be kept forever); it must be 0.
	Unclassified int `json:"unclassified"`
}

func cmdPrivacy(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] != "report" {
		fmt.Fprintln(stdio.Err, "Show what personal data the system holds.\n\nUsage: cityid privacy report [--data DIR] [--db URL] [--now RFC3339-TIME]\n\n"+
			"report prints counts per data class and age, what the next purges erase, and,\n"+
			"as its last line, one JSON object with the same counts. It shows no names or ids.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errUsage
	}
	fs := newFlagSet(stdio, "privacy report", "privacy report [--data DIR] [--db URL] [--now RFC3339-TIME]",
		"Print the counts per data class and age that the privacy page shows; the last line is JSON.")
	data := addDataFlags(fs, "", true)
	nowFlag := fs.String("now", "", "count ages and due records at this RFC 3339 time (default: now)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
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
	rep, err := eng.Report(ctx, at, 24*time.Hour)
	if err != nil {
		return err
	}
	sum := privacySummary{At: rep.At, NoList: rep.Policy.NoList, Counts: rep.Counts(), ByAge: map[string][4]int{},
		DueNow: classCounts(rep.DueNow.Due), Due30Days: classCounts(rep.DueSoon.Due), Unclassified: rep.Counts()[store.ClassUnclassified]}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\t< 30 days\t30–89\t90–364\t≥ 365\ttotal\t")
	for _, h := range rep.Holdings {
		sum.ByAge[h.Class] = h.Buckets
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", h.Class, h.Buckets[0], h.Buckets[1], h.Buckets[2], h.Buckets[3], h.Total())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "\nretention: drafts %d days, rejected %d days, undecided %d days, approved without a card %d days, uncollected cards %d days, cardholders %d days after card expiry, walk-in tickets %d days; \"no list\" mode %s (grace %d days); disabled staff accounts' names %d days\n",
		rep.Policy.DraftDays, rep.Policy.RejectedDays, rep.Policy.PendingDays, rep.Policy.ApprovedDays, rep.Policy.UncollectedDays, rep.Policy.CardholderAfterExpiryDays, rep.Policy.TicketDays, map[bool]string{true: "on", false: "off"}[rep.Policy.NoList], rep.Policy.NoListGraceDays, rep.Policy.StaffDisabledDays)
	if sum.Unclassified > 0 {
		fmt.Fprintf(stdio.Out, "WARNING: %d people or records are covered by no retention rule and would be kept forever; report this as a defect\n", sum.Unclassified)
	} else {
		fmt.Fprintln(stdio.Out, "every person and record is covered by a retention rule")
	}
	fmt.Fprintf(stdio.Out, "a purge now would erase %d people; within 30 days %d\n", rep.DueNow.Total(), rep.DueSoon.Total())
	if rep.LastRun != nil {
		last, next := rep.LastRun.StartedAt, rep.NextPurge
		sum.LastPurge, sum.NextPurge = &last, &next
		fmt.Fprintf(stdio.Out, "last purge %s (erased %d, reduced %d); next scheduled purge %s (while cityid serve runs)\n",
			last.Format(time.RFC3339), rep.LastRun.Erased, rep.LastRun.Reduced, next.Format(time.RFC3339))
	} else {
		fmt.Fprintln(stdio.Out, "no purge has run yet; cityid serve runs one 5 minutes after start and daily after that")
	}
	return json.NewEncoder(stdio.Out).Encode(sum)
}
