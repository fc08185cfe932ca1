package linkage

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// PairTrace says what a batch run did with one pair of records, step by
// step: for whoever asks why a pair was, or was not, linked (a data steward
// reading a missed duplicate, a developer tuning the model).
type PairTrace struct {
	Left, Right int // indexes into the records
	// Keys are the blocking keys the two records share, plaintext.
	Keys []SharedKey `json:"keys"`
	// LeftKeys and RightKeys are each record's own keys, for a pair that
	// shares none: the nearest misses show what blocking would need.
	LeftKeys  []SharedKey `json:"left_keys,omitempty"`
	RightKeys []SharedKey `json:"right_keys,omitempty"`
	// Candidate says whether the pair was compared: a shared key's block
	// within the cap, or the intersection of two oversized blocks.
	Candidate bool `json:"candidate"`
	// Explanation is the comparison under the model the run trained, as
	// the review page shows it.
	Explanation Explanation `json:"explanation"`
	// The pair's probability after each step; 0 where the pair was not
	// linked after it. Scored: the comparison (kept at or over the review
	// threshold); Moved: household moves (comove.go) may add it; Split: a
	// record linked to two people keeps one side (splitContradicted);
	// Final: the output, after pairs implied by others were added.
	Scored float64 `json:"scored"`
	Moved  float64 `json:"moved"`
	Split  float64 `json:"split"`
	Final  float64 `json:"final"`
	// DroppedAsContradiction is set when splitContradicted removed the pair
	// (a record linked to two people who are plainly two).
	DroppedAsContradiction bool `json:"dropped_as_contradiction,omitempty"`
}

// SharedKey is one blocking key two records share and how many records
// hold it. A block over MaxBlock is skipped (Oversized); its pairs are
// compared only through another key.
type SharedKey struct {
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Size      int    `json:"size"`
	Oversized bool   `json:"oversized"`
}

// keyKinds names the blocking keys by their prefix (blockKeys,
// dateInitialKeys).
var keyKinds = map[string]string{
	"s": "surname sound and birth year",
	"d": "birth date (day and month in either order)",
	"n": "given name and first surname sounds",
	"p": "first surname and postcode",
	"m": "given name and first surname (Spanish keys)",
	"g": "given name and birth year",
	"c": "town and street",
	"e": "e-mail address",
	"l": "e-mail address before the @",
	"t": "phone number",
	"a": "postcode, house number and street",
	"i": "birth date and given name initial",
	"j": "birth date and surname initial",
}

// tracer follows some pairs through a batch run (Trace). Its methods do
// nothing on a nil tracer: an ordinary run.
type tracer struct {
	recs   []Record
	traces []PairTrace
	// hash turns a key name into the key a batch's entries hold: fnv64 in
	// plain mode, the keyed hash in Bloom mode.
	hash func(string) uint64
}

// Trace deduplicates recs as Dedup does (same options, same result) and
// follows the pairs of record indexes in want through the run. In Bloom
// mode the run compares encodings only, as it does without a trace; the
// trace names the keys and values from recs, which whoever runs it holds in
// plaintext anyway.
func Trace(ctx context.Context, recs []Record, opt Options, want [][2]int) (*Result, []PairTrace, error) {
	tr := &tracer{recs: recs, hash: fnv64}
	if opt.Mode == ModeBloom {
		e, err := NewEncoder(opt.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("linkage: trace: %w", err)
		}
		tr.hash = e.blockKeyHash
	}
	for _, w := range want {
		i, j := min(w[0], w[1]), max(w[0], w[1])
		if i < 0 || j >= len(recs) || i == j {
			return nil, nil, fmt.Errorf("linkage: trace: no pair of records %d and %d among %d", w[0], w[1], len(recs))
		}
		tr.traces = append(tr.traces, PairTrace{Left: i, Right: j})
	}
	opt.trace = tr
	res, err := run(ctx, recs, 0, opt)
	if err != nil {
		return nil, nil, err
	}
	return res, tr.traces, nil
}

// keyNames returns record i's blocking keys as a batch makes them, before
// hashing.
func (tr *tracer) keyNames(b *batch, i int) []string {
	p := prepare(&tr.recs[i], b.sc.nick)
	keys := blockKeys(p, b.sc.nick)
	if !b.opt.SkipHouseholdMoves && b.opt.Mode != ModeBloom {
		keys = append(keys, dateInitialKeyNames(p)...)
	}
	return keys
}

// blocking fills in the shared keys and whether each pair was compared;
// called once the blocks are compacted.
func (tr *tracer) blocking(b *batch) {
	if tr == nil {
		return
	}
	sizes := map[uint64]int{}
	for t := range tr.traces {
		pt := &tr.traces[t]
		theirs := tr.keyNames(b, pt.Right)
		for _, k := range tr.keyNames(b, pt.Left) {
			if slices.Contains(theirs, k) && !slices.ContainsFunc(pt.Keys, func(s SharedKey) bool { return s.Key == k }) {
				pt.Keys = append(pt.Keys, SharedKey{Key: k, Kind: keyKinds[k[:strings.IndexByte(k, '|')]]})
				sizes[tr.hash(k)] = 0
			}
		}
		pt.Candidate = firstShared(b.kept.blocksOf(pt.Left), b.kept.blocksOf(pt.Right)) >= 0
		if len(pt.Keys) == 0 {
			for _, side := range []struct {
				i    int
				keys *[]SharedKey
			}{{pt.Left, &pt.LeftKeys}, {pt.Right, &pt.RightKeys}} {
				for _, k := range tr.keyNames(b, side.i) {
					if !slices.ContainsFunc(*side.keys, func(s SharedKey) bool { return s.Key == k }) {
						*side.keys = append(*side.keys, SharedKey{Key: k, Kind: keyKinds[k[:strings.IndexByte(k, '|')]]})
						sizes[tr.hash(k)] = 0
					}
				}
			}
		}
	}
	for i := range b.entries {
		seen := map[uint64]bool{}
		for _, k := range b.entries[i].keys {
			if n, ok := sizes[k]; ok && !seen[k] {
				sizes[k], seen[k] = n+1, true
			}
		}
	}
	for t := range tr.traces {
		pt := &tr.traces[t]
		for _, keys := range [][]SharedKey{pt.Keys, pt.LeftKeys, pt.RightKeys} {
			for s := range keys {
				k := &keys[s]
				k.Size = sizes[tr.hash(k.Key)]
				k.Oversized = k.Size > b.opt.MaxBlock
			}
		}
	}
}

// explain compares each pair under the trained model.
func (tr *tracer) explain(b *batch) {
	if tr == nil {
		return
	}
	for t := range tr.traces {
		pt := &tr.traces[t]
		pt.Explanation = b.sc.explain(&b.entries[pt.Left], &b.entries[pt.Right], b.opt.Thresholds)
		if b.opt.Mode == ModeBloom { // the encodings hold no values to show
			l, r := prepare(&tr.recs[pt.Left], b.sc.nick), prepare(&tr.recs[pt.Right], b.sc.nick)
			for i := range pt.Explanation.Fields {
				fs := &pt.Explanation.Fields[i]
				for f := Field(0); f < numFields; f++ {
					if f.String() == fs.Field {
						fs.Left, fs.Right = l.display(f), r.display(f)
					}
				}
			}
		}
	}
}

// stage records each pair's probability in pairs (0 when absent) into the
// field that get returns.
func (tr *tracer) stage(pairs []Pair, get func(*PairTrace) *float64) {
	if tr == nil {
		return
	}
	at := make(map[[2]int]float64, len(tr.traces))
	for t := range tr.traces {
		at[[2]int{tr.traces[t].Left, tr.traces[t].Right}] = 0
	}
	for _, p := range pairs {
		k := [2]int{min(p.Left, p.Right), max(p.Left, p.Right)}
		if _, ok := at[k]; ok {
			at[k] = p.Probability
		}
	}
	for t := range tr.traces {
		pt := &tr.traces[t]
		*get(pt) = at[[2]int{pt.Left, pt.Right}]
	}
}

// dropped marks the pairs splitContradicted removed.
func (tr *tracer) dropped(d map[[2]int]bool) {
	if tr == nil {
		return
	}
	for t := range tr.traces {
		pt := &tr.traces[t]
		pt.DroppedAsContradiction = d[[2]int{pt.Left, pt.Right}] || d[[2]int{pt.Right, pt.Left}]
	}
}
