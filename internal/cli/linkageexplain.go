package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cityid/cityid/internal/linkage"
)

// cmdLinkageExplain runs a batch on a file and says, for pairs of record
// ids, why each was linked or not: the blocking keys they share and their
// block sizes, the comparison field by field, and the pair's probability
// after each step of the run.
func cmdLinkageExplain(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "linkage explain", "linkage explain --format febrl|csv [flags] FILE ID1 ID2 [ID1 ID2 ...]",
		"Say why pairs of records were linked or not: deduplicates FILE as 'cityid linkage' does\n"+
			"(same flags, same result) and, for each pair of record ids, prints the blocking keys the\n"+
			"two share (and how many records hold each; a block over the cap is skipped), the\n"+
			"comparison field by field under the model the run trained, and the pair's probability\n"+
			"after each step: compared, household moves, a record linked to two people, output.\n"+
			"--mode bloom compares the keyed encodings as 'cityid linkage --mode bloom' does and\n"+
			"shows the plaintext it read from FILE beside them. Example:\n"+
			"  cityid linkage explain --format febrl city.febrl.csv rec-32490-org rec-32488-org")
	format := fs.String("format", "febrl", "input format: febrl or csv (needs --map)")
	mode := fs.String("mode", "plain", "as for 'cityid linkage': plain or bloom")
	keyFile := fs.String("key-file", "", "bloom: as for 'cityid linkage'")
	mapping := fs.String("map", "", "csv: field=column list, e.g. id=unique_id,given_name=first,surname=last,date_of_birth=dob")
	transitive := fs.Bool("transitive", true, "as for 'cityid linkage'")
	moves := fs.Bool("household-moves", true, "as for 'cityid linkage'")
	workers := fs.Int("workers", 0, "goroutines comparing pairs (default: all CPUs)")
	truth := fs.String("truth-column", "", "csv: column holding a cluster label, to say whether each pair is one person")
	asJSON := fs.Bool("json", false, "print one JSON object per pair instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 3 || len(rest)%2 != 1 {
		fmt.Fprintln(stdio.Err, "cityid linkage explain: give a file and pairs of record ids")
		fs.Usage()
		return errUsage
	}
	m, err := linkageMapping(stdio, "cityid linkage explain", *format, *mapping)
	if err != nil {
		return err
	}
	if *truth != "" {
		m.Truth = *truth
	}
	recs, err := readRecords(rest[0], m)
	if err != nil {
		return err
	}
	at := make(map[string]int, len(recs))
	for i, r := range recs {
		at[r.ID] = i
	}
	var want [][2]int
	for k := 1; k < len(rest); k += 2 {
		var pair [2]int
		for x, id := range rest[k : k+2] {
			i, ok := at[id]
			if !ok {
				return fmt.Errorf("%s holds no record with id %q (ids are the file's first column for febrl, the id= column for csv)", rest[0], id)
			}
			pair[x] = i
		}
		if pair[0] == pair[1] {
			return fmt.Errorf("a pair needs two different records, got %q twice", rest[k])
		}
		want = append(want, pair)
	}
	md, ok := linkage.ParseMode(*mode)
	if !ok {
		fmt.Fprintf(stdio.Err, "cityid linkage explain: unknown --mode %q (plain or bloom)\n", *mode)
		return errUsage
	}
	opt := linkage.Options{Mode: md, Workers: *workers, Transitive: *transitive, SkipHouseholdMoves: !*moves, Progress: linkageProgress(stdio.Err)}
	if md == linkage.ModeBloom {
		if opt.Key, err = encodingKey(*keyFile); err != nil {
			return err
		}
	}
	_, traces, err := linkage.Trace(ctx, recs, opt, want)
	if err != nil {
		return fmt.Errorf("linking: %w", err)
	}
	for _, t := range traces {
		if *asJSON {
			b, _ := json.Marshal(struct {
				IDL string `json:"id_l"`
				IDR string `json:"id_r"`
				linkage.PairTrace
			}{recs[t.Left].ID, recs[t.Right].ID, t})
			fmt.Fprintln(stdio.Out, string(b))
			continue
		}
		printTrace(stdio.Out, recs, t)
	}
	return nil
}

// printTrace writes one pair's trace for a person to read.
func printTrace(w io.Writer, recs []linkage.Record, t linkage.PairTrace) {
	l, r := recs[t.Left], recs[t.Right]
	verdict := "not linked"
	if t.Final > 0 {
		verdict = fmt.Sprintf("linked, probability %.4f", t.Final)
	}
	fmt.Fprintf(w, "== %s and %s: %s\n", l.ID, r.ID, verdict)
	if l.Truth != "" && r.Truth != "" {
		truth := "different people"
		if l.Truth == r.Truth {
			truth = "one person"
		}
		fmt.Fprintf(w, "truth: %s\n", truth)
	}

	switch {
	case t.Candidate:
		fmt.Fprintln(w, "blocking: compared")
	default:
		fmt.Fprintln(w, "blocking: NOT compared (no shared key within the block cap)")
	}
	if len(t.Keys) == 0 {
		fmt.Fprintln(w, "  no blocking key in common; each record's own keys:")
		printKeys(w, "  "+l.ID+" ", t.LeftKeys)
		printKeys(w, "  "+r.ID+" ", t.RightKeys)
	} else {
		printKeys(w, "  ", t.Keys)
	}

	ex := t.Explanation
	against := "two unrelated residents who look alike"
	if ex.Against == linkage.AgainstHousehold {
		against = "two people of one household"
	}
	fmt.Fprintf(w, "comparison (one person, weighed against %s):\n", against)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  field\tleft\tright\tlevel\tweight\t")
	for _, f := range ex.Fields {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%+.2f\t\n", f.Field, f.Left, f.Right, f.Level, f.Weight)
	}
	fmt.Fprintf(tw, "  prior\t\t\t\t%+.2f\t\n", ex.PriorWeight)
	tw.Flush()
	fmt.Fprintf(w, "  total weight %+.2f bits: probability %.4f, %s\n", ex.Weight, ex.Probability, ex.Decision)

	step := func(p float64) string {
		if p == 0 {
			return "-"
		}
		return fmt.Sprintf("%.4f", p)
	}
	fmt.Fprintf(w, "steps: compared %s → household moves %s → one side kept %s → output %s\n",
		step(t.Scored), step(t.Moved), step(t.Split), step(t.Final))
	var notes []string
	if t.Scored == 0 && t.Candidate {
		notes = append(notes, fmt.Sprintf("the comparison fell below the review threshold (%.2f)", linkage.Defaults().Review))
	}
	if t.Moved > 0 && t.Scored == 0 {
		notes = append(notes, "linked because another member of the household moved between the same two addresses")
	}
	if t.DroppedAsContradiction {
		notes = append(notes, "removed: one of the records is linked to two people who are plainly two, and kept the other side")
	}
	if t.Final > 0 && t.Split == 0 {
		notes = append(notes, "added as implied by other pairs (A=B and B=C give A=C)")
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintln(w)
}

// printKeys writes blocking keys as a table, each with its block's size.
func printKeys(w io.Writer, indent string, keys []linkage.SharedKey) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "%skey\tkind\trecords\t\n", indent)
	for _, k := range keys {
		size := fmt.Sprint(k.Size)
		if k.Oversized {
			size += " (over the cap: skipped)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t\n", indent, k.Key, k.Kind, size)
	}
	tw.Flush()
}
