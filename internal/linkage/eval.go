package linkage

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Evaluation compares predicted pairs with the truth labels of the records.
type Evaluation struct {
	Records          int     `json:"records"`
	Candidates       int64   `json:"candidates"`
	TruePairs        int64   `json:"true_pairs"`
	Predicted        int     `json:"predicted"`
	TruePositives    int     `json:"true_positives"`
	Precision        float64 `json:"precision"`
	Recall           float64 `json:"recall"`
	F1               float64 `json:"f1"`
	PairCompleteness float64 `json:"pair_completeness"`
	ReductionRatio   float64 `json:"reduction_ratio"`
}

// Evaluate scores a Dedup result (right == nil) or a Link result against the
// records' Truth labels. Records without a label never form a true pair.
func Evaluate(left, right []Record, res *Result) Evaluation {
	ev := Evaluation{Records: len(left) + len(right), Candidates: res.Stats.Candidates,
		Predicted: len(res.Pairs), ReductionRatio: res.Stats.ReductionRatio}
	count := func(rs []Record) map[string]int64 {
		c := map[string]int64{}
		for _, r := range rs {
			if r.Truth != "" {
				c[r.Truth]++
			}
		}
		return c
	}
	cl := count(left)
	if right == nil {
		for _, n := range cl {
			ev.TruePairs += n * (n - 1) / 2
		}
	} else {
		for k, n := range count(right) {
			ev.TruePairs += n * cl[k]
		}
	}
	other := right
	if other == nil {
		other = left
	}
	for _, p := range res.Pairs {
		if t := left[p.Left].Truth; t != "" && t == other[p.Right].Truth {
			ev.TruePositives++
		}
	}
	if ev.Predicted > 0 {
		ev.Precision = float64(ev.TruePositives) / float64(ev.Predicted)
	}
	if ev.TruePairs > 0 {
		ev.Recall = float64(ev.TruePositives) / float64(ev.TruePairs)
		ev.PairCompleteness = float64(res.Stats.CandidateMatches) / float64(ev.TruePairs)
	}
	if ev.Precision+ev.Recall > 0 {
		ev.F1 = 2 * ev.Precision * ev.Recall / (ev.Precision + ev.Recall)
	}
	return ev
}

// Relation says two different people (truth labels A and B) are related
// in a way that makes their records look alike: twins, a parent and a
// child with one name, neighbours. Generated cities list them (see
// synth.City.WriteRelations) so a run can report how often each kind is
// wrongly linked.
type Relation struct {
	A, B string
	Kind string
}

// ReadRelations reads person_a,person_b,relation rows (a header first).
func ReadRelations(r io.Reader) ([]Relation, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrNoHeader
		}
		return nil, fmt.Errorf("%w: relations header: %v", ErrBadFormat, err)
	}
	var out []Relation
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: relations line %d: %v", ErrBadFormat, line, err)
		}
		if len(out) >= maxRecords {
			return nil, fmt.Errorf("%w: over %d relations", ErrTooLarge, maxRecords)
		}
		out = append(out, Relation{A: cell(row[0]), B: cell(row[1]), Kind: cell(row[2])})
	}
}

// LinkRate counts pairs of one kind and how many of them were linked.
type LinkRate struct {
	Pairs  int     `json:"pairs"`
	Linked int     `json:"linked"`
	Rate   float64 `json:"rate"`
	// At one address: the two records give the same house number and
	// street (after normalization).
	SameAddress       int     `json:"same_address"`
	SameAddressLinked int     `json:"same_address_linked"`
	SameAddressRate   float64 `json:"same_address_rate"`
}

func (l *LinkRate) add(linked, sameAddr bool) {
	l.Pairs++
	if linked {
		l.Linked++
	}
	if sameAddr {
		l.SameAddress++
		if linked {
			l.SameAddressLinked++
		}
	}
}

func (l *LinkRate) finish() {
	if l.Pairs > 0 {
		l.Rate = float64(l.Linked) / float64(l.Pairs)
	}
	if l.SameAddress > 0 {
		l.SameAddressRate = float64(l.SameAddressLinked) / float64(l.SameAddress)
	}
}

// Breakdown splits a dedup run's results by what the pairs are: true pairs
// whose records give another address (movers) or the same one, and pairs
// of related different people by kind.
type Breakdown struct {
	Movers LinkRate `json:"movers"`
	// MoverKinds splits the movers by what else differs between the two
	// forms (moverKind): a move alone, a second surname dropped or
	// swapped, a typo, a changed surname, given name or date.
	MoverKinds map[string]LinkRate `json:"mover_kinds"`
	Stayers    LinkRate            `json:"stayers"`
	Related    map[string]LinkRate `json:"related"`
}

// Kinds of movers (Breakdown.MoverKinds). The first two are what issue 12's
// held-out city counts: the same given name, surname and birth date at
// another address, and a second surname dropped or swapped (the given name
// and birth date the same) at another address.
const (
	MoverSameNameAndDate     = "same_name_and_date"
	MoverSecondSurname       = "second_surname_dropped_or_swapped"
	MoverNameTypo            = "name_typo_or_variant" // a name one or two keystrokes off, a nickname, a part dropped
	MoverSurnameChanged      = "surname_changed"      // no surname in common: marriage, or the boxes swapped
	MoverGivenNameChanged    = "given_name_changed"   // no given name in common
	MoverDateDayMonthSwapped = "date_day_month_swapped"
	MoverDateOtherwise       = "date_differs"  // mistyped, another year, or missing on one form
	MoverSeveral             = "several_other" // the date and a name both differ
)

// formNames is what moverKind reads of a prepared record.
type formNames struct {
	given, sur         []string
	givenFull, surFull string
	dob                date
}

// moverKind names what differs, besides the address, between two forms
// of one person. Names are compared after normalization, as token sets.
func moverKind(a, b *formNames) string {
	tokens := func(t []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range t {
			m[x] = true
		}
		return m
	}
	subset := func(x, y map[string]bool) bool {
		for k := range x {
			if !y[k] {
				return false
			}
		}
		return true
	}
	share := func(x, y map[string]bool) bool {
		for k := range x {
			if y[k] {
				return true
			}
		}
		return false
	}
	ga, gb := tokens(a.given), tokens(b.given)
	sa, sb := tokens(a.sur), tokens(b.sur)
	sameGiven := a.givenFull == b.givenFull
	sameSur := a.surFull == b.surFull
	secondSur := !sameSur && len(sa) > 0 && len(sb) > 0 && (subset(sa, sb) || subset(sb, sa))
	sameDate := a.dob.Digits == b.dob.Digits && !a.dob.zero()
	swapped := !a.dob.zero() && !b.dob.zero() && a.dob.Y == b.dob.Y && a.dob.M == b.dob.D && a.dob.D == b.dob.M && !sameDate
	switch {
	case sameGiven && sameSur && sameDate:
		return MoverSameNameAndDate
	case sameGiven && secondSur && sameDate:
		return MoverSecondSurname
	case sameGiven && (sameSur || secondSur) && swapped:
		return MoverDateDayMonthSwapped
	case sameGiven && (sameSur || secondSur):
		return MoverDateOtherwise
	case !sameDate:
		return MoverSeveral
	case !share(sa, sb) && (sameGiven || share(ga, gb)):
		return MoverSurnameChanged
	case !share(ga, gb) && (sameSur || share(sa, sb)):
		return MoverGivenNameChanged
	}
	return MoverNameTypo
}

// EvaluateBreakdown computes a Breakdown of a Dedup result over recs.
func EvaluateBreakdown(recs []Record, res *Result, rels []Relation) Breakdown {
	linked := make(map[[2]int32]bool, len(res.Pairs))
	for _, p := range res.Pairs {
		linked[orderedIdx(p.Left, p.Right)] = true
	}
	byTruth := map[string][]int32{}
	addr := make([]string, len(recs))
	prep := make([]formNames, len(recs))
	nick := NewNicknames()
	for i := range recs {
		if recs[i].Truth != "" {
			byTruth[recs[i].Truth] = append(byTruth[recs[i].Truth], int32(i))
		}
		p := prepare(&recs[i], nick)
		if p.num != "" || p.street != "" {
			addr[i] = p.num + "|" + p.streetNS
		}
		if recs[i].Truth != "" {
			prep[i] = formNames{p.given, p.sur, p.givenFull, p.surFull, p.dob}
		}
	}
	b := Breakdown{MoverKinds: map[string]LinkRate{}}
	for _, ids := range byTruth {
		for x, i := range ids {
			for _, j := range ids[x+1:] {
				same := addr[i] != "" && addr[i] == addr[j]
				l := linked[orderedIdx(int(i), int(j))]
				if same {
					b.Stayers.add(l, true)
				} else {
					b.Movers.add(l, false)
					k := moverKind(&prep[i], &prep[j])
					lr := b.MoverKinds[k]
					lr.add(l, false)
					b.MoverKinds[k] = lr
				}
			}
		}
	}
	b.Related = map[string]LinkRate{}
	for _, r := range rels {
		lr := b.Related[r.Kind]
		for _, i := range byTruth[r.A] {
			for _, j := range byTruth[r.B] {
				lr.add(linked[orderedIdx(int(i), int(j))], addr[i] != "" && addr[i] == addr[j])
			}
		}
		b.Related[r.Kind] = lr
	}
	b.Movers.finish()
	b.Stayers.finish()
	for k, lr := range b.MoverKinds {
		lr.finish()
		b.MoverKinds[k] = lr
	}
	for k, lr := range b.Related {
		lr.finish()
		b.Related[k] = lr
	}
	return b
}

func orderedIdx(a, b int) [2]int32 {
	if b < a {
		a, b = b, a
	}
	return [2]int32{int32(a), int32(b)}
}
