package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/linkage"
)

func cmdLinkage(ctx context.Context, stdio IO, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "generate":
			return cmdLinkageGenerate(ctx, stdio, args[1:])
		case "model":
			return cmdLinkageModel(ctx, stdio, args[1:])
		case "explain":
			return cmdLinkageExplain(ctx, stdio, args[1:])
		}
	}
	fs := newFlagSet(stdio, "linkage", "linkage --format febrl|csv [flags] FILE [FILE2]\n       cityid linkage generate --help\n       cityid linkage explain --help\n       cityid linkage model --help",
		"Find records that describe the same person (one file) or link two files.\n"+
			"Writes predicted pairs as CSV (id_l,id_r,probability); with --eval, the last line\n"+
			"is a JSON object with precision, recall and F1 computed from the files' own truth.\n"+
			"'cityid linkage generate' makes a synthetic city with truth to evaluate on.")
	format := fs.String("format", "febrl", "input format: febrl (rec-N-org/dup ids give the truth) or csv (needs --map)")
	mode := fs.String("mode", "plain", "compare plaintext (plain) or keyed Bloom-filter encodings only (bloom)")
	eval := fs.Bool("eval", false, "print an evaluation JSON line last (needs truth in the files)")
	out := fs.String("out", "", "write pairs to this file instead of standard output")
	mapping := fs.String("map", "", "csv: field=column list, e.g. id=unique_id,given_name=first,surname=last,date_of_birth=dob")
	truth := fs.String("truth-column", "", "csv: column holding a cluster label for --eval")
	keyFile := fs.String("key-file", "", "bloom: file with the encoding key (32+ bytes, raw or hex); default a fresh random key")
	transitive := fs.Bool("transitive", true, "one file: add pairs implied by others (A=B, B=C give A=C) in small groups")
	moves := fs.Bool("household-moves", true, "link the records at the two ends of a household's move (another member's renewal at the new address) as one household's address, and block on birth date with name initials")
	workers := fs.Int("workers", 0, "goroutines comparing pairs (default: all CPUs)")
	blockingOnly := fs.Bool("blocking-only", false, "with --eval: count candidate pairs and pair completeness without comparing (fast; writes no pairs) — for tuning the blocking")
	relations := fs.String("relations", "", "with --eval on one file: a person_a,person_b,relation file (from 'linkage generate'); prints how often each kind of look-alike was linked, and the recall on people who moved")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) < 1 || len(files) > 2 {
		fmt.Fprintln(stdio.Err, "cityid linkage: give one file to deduplicate or two files to link")
		fs.Usage()
		return errUsage
	}
	m, err := linkageMapping(stdio, "cityid linkage", *format, *mapping)
	if err != nil {
		return err
	}
	m.Truth = *truth
	md, ok := linkage.ParseMode(*mode)
	if !ok {
		fmt.Fprintf(stdio.Err, "cityid linkage: unknown --mode %q (plain or bloom)\n", *mode)
		return errUsage
	}
	if *blockingOnly && !*eval {
		fmt.Fprintln(stdio.Err, "cityid linkage: --blocking-only needs --eval (it measures the blocking and writes no pairs)")
		return errUsage
	}
	opt := linkage.Options{Mode: md, Workers: *workers, Transitive: *transitive, BlockingOnly: *blockingOnly, SkipHouseholdMoves: !*moves, Progress: linkageProgress(stdio.Err)}
	if md == linkage.ModeBloom {
		key, err := encodingKey(*keyFile)
		if err != nil {
			return err
		}
		opt.Key = key
	}

	start := time.Now()
	var sets [][]linkage.Record
	for _, name := range files {
		recs, err := readRecords(name, m)
		if err != nil {
			return err
		}
		sets = append(sets, recs)
	}
	var res *linkage.Result
	var right []linkage.Record
	if len(sets) == 2 {
		right = sets[1]
		res, err = linkage.Link(ctx, sets[0], right, opt)
	} else {
		res, err = linkage.Dedup(ctx, sets[0], opt)
	}
	if err != nil {
		return fmt.Errorf("linking: %w", err)
	}
	elapsed := time.Since(start)
	if *blockingOnly {
		ev := linkage.Evaluate(sets[0], right, res)
		if ev.TruePairs == 0 {
			fmt.Fprintln(stdio.Err, "linkage: warning: the files carry no truth labels; pair completeness is 0")
		}
		line, _ := json.Marshal(struct {
			Records          int     `json:"records"`
			Candidates       int64   `json:"candidates"`
			TruePairs        int64   `json:"true_pairs"`
			CandidateMatches int64   `json:"candidate_matches"`
			PairCompleteness float64 `json:"pair_completeness"`
			SkippedBlocks    int     `json:"skipped_blocks"`
			ReductionRatio   float64 `json:"reduction_ratio"`
			Seconds          float64 `json:"seconds"`
		}{ev.Records, ev.Candidates, ev.TruePairs, res.Stats.CandidateMatches, round(ev.PairCompleteness),
			res.Stats.SkippedBlocks, round(ev.ReductionRatio), round(elapsed.Seconds())})
		fmt.Fprintln(stdio.Out, string(line))
		return nil
	}

	w := stdio.Out
	var closeOut func() error
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		w, closeOut = f, f.Close
	}
	if err := writePairs(w, sets[0], right, res.Pairs); err != nil {
		if closeOut != nil {
			closeOut()
		}
		return fmt.Errorf("writing pairs: %w", err)
	}
	if closeOut != nil {
		if err := closeOut(); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	fmt.Fprintf(stdio.Err, "linkage: %d records, %d candidate pairs (reduction ratio %.6f), %d predicted pairs (%d found through household moves), %.2fs\n",
		res.Stats.Records, res.Stats.Candidates, res.Stats.ReductionRatio, len(res.Pairs), res.Stats.MoveLinks, elapsed.Seconds())
	if *eval {
		ev := linkage.Evaluate(sets[0], right, res)
		if ev.TruePairs == 0 {
			fmt.Fprintln(stdio.Err, "linkage: warning: the files carry no truth labels; precision and recall are 0")
		}
		line, _ := json.Marshal(struct {
			Records          int     `json:"records"`
			Candidates       int64   `json:"candidates"`
			Precision        float64 `json:"precision"`
			Recall           float64 `json:"recall"`
			F1               float64 `json:"f1"`
			Seconds          float64 `json:"seconds"`
			TruePairs        int64   `json:"true_pairs"`
			Predicted        int     `json:"predicted"`
			PairCompleteness float64 `json:"pair_completeness"`
			ReductionRatio   float64 `json:"reduction_ratio"`
			Mode             string  `json:"mode"`
			MoveLinks        int     `json:"move_links"`
		}{ev.Records, ev.Candidates, round(ev.Precision), round(ev.Recall), round(ev.F1), round(elapsed.Seconds()),
			ev.TruePairs, ev.Predicted, round(ev.PairCompleteness), round(ev.ReductionRatio), md.String(), res.Stats.MoveLinks})
		fmt.Fprintln(stdio.Out, string(line))
		if *relations != "" && right == nil {
			f, err := os.Open(*relations)
			if err != nil {
				return fmt.Errorf("relations: %w", err)
			}
			rels, err := linkage.ReadRelations(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("relations %s: %w", *relations, err)
			}
			b, _ := json.Marshal(linkage.EvaluateBreakdown(sets[0], res, rels))
			fmt.Fprintln(stdio.Out, string(b))
		}
	}
	return nil
}

// linkageMapping returns the column mapping of --format and --map, or a
// usage error said on stdio.Err under cmd's name.
func linkageMapping(stdio IO, cmd, format, mapping string) (linkage.Mapping, error) {
	switch format {
	case "febrl":
		return linkage.FEBRLMapping(), nil
	case "csv":
		if mapping == "" {
			fmt.Fprintf(stdio.Err, "%s: --format csv needs --map field=column,...\n", cmd)
			return linkage.Mapping{}, errUsage
		}
		return linkage.ParseMapping(mapping)
	}
	fmt.Fprintf(stdio.Err, "%s: unknown --format %q (febrl or csv)\n", cmd, format)
	return linkage.Mapping{}, errUsage
}

func round(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 6, 64), 64)
	return v
}

func readRecords(name string, m linkage.Mapping) ([]linkage.Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := linkage.ReadCSV(f, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return recs, nil
}

func writePairs(w io.Writer, left, right []linkage.Record, pairs []linkage.Pair) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	other := right
	if other == nil {
		other = left
	}
	cw.Write([]string{"id_l", "id_r", "probability"})
	for _, p := range pairs {
		cw.Write([]string{left[p.Left].ID, other[p.Right].ID, strconv.FormatFloat(p.Probability, 'f', 6, 64)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// encodingKey reads a key file (raw bytes or hex) or makes a fresh random
// key, which is enough when one run encodes both files.
func encodingKey(path string) ([]byte, error) {
	if path == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("encoding key: %w", err)
		}
		return key, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encoding key: %w", err)
	}
	if h, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil {
		b = h
	}
	if len(b) < linkage.MinKeyLen {
		return nil, fmt.Errorf("encoding key %s: %w", path, linkage.ErrShortKey)
	}
	return b, nil
}

// linkageProgress reports a linkage run's stages on w, a meter each; off a
// terminal, stages under 100,000 units show nothing.
func linkageProgress(w io.Writer) func(stage string, done, total int) {
	s := &stagedMeter{w: w, label: "linkage: ", quietBelow: 100_000}
	return func(stage string, done, total int) {
		if total > 0 {
			s.setOf(stage, int64(done), int64(total))
		}
	}
}
