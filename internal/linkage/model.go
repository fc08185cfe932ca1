package linkage

import (
	"math"
)

// Thresholds turn a match probability into a decision. They are program
// settings, chosen once for a city, never tuned per file.
type Thresholds struct {
	// AutoClear: below it an application is cleared with no trace of the pair.
	AutoClear float64 `json:"auto_clear" toml:"auto_clear"`
	// Review: at or above it a supervisor must review the pair; this is also
	// the cut-off for a predicted link in batch runs.
	Review float64 `json:"review" toml:"review"`
	// StrongMatch: at or above it the pair is shown as a probable duplicate.
	StrongMatch float64 `json:"strong_match" toml:"strong_match"`
}

// Default thresholds, chosen on FEBRL dataset1/dataset2, the Splink
// fake_1000 set and synthetic residents (see docs/linkage.md).
const (
	DefaultAutoClear   = 0.05
	DefaultReview      = 0.5
	DefaultStrongMatch = 0.95
)

// Defaults returns the default thresholds.
func Defaults() Thresholds {
	return Thresholds{AutoClear: DefaultAutoClear, Review: DefaultReview, StrongMatch: DefaultStrongMatch}
}

// Decision is what a probability means under Thresholds.
type Decision string

// Decisions.
const (
	DecisionClear    Decision = "clear"
	DecisionPossible Decision = "possible" // between AutoClear and Review: counted, not shown
	DecisionReview   Decision = "review"
	DecisionStrong   Decision = "strong_match"
)

// Decide maps a probability to a Decision.
func (t Thresholds) Decide(p float64) Decision {
	switch {
	case p >= t.StrongMatch:
		return DecisionStrong
	case p >= t.Review:
		return DecisionReview
	case p >= t.AutoClear:
		return DecisionPossible
	}
	return DecisionClear
}

// tfFields are the fields whose exact agreement is weighted by how common the
// value is: sharing "García" says less than sharing "Zelaya".
var tfFields = [...]Field{GivenName, Surname, StreetName, City}

// Model holds Fellegi–Sunter parameters: per field and level, the
// probability m of that level among true matches and u among non-matches,
// and the prior probability that a candidate pair is a match.
type Model struct {
	M     [numFields][numLevels]float64 `json:"m"`
	U     [numFields][numLevels]float64 `json:"u"`
	Prior float64                       `json:"prior"`
	// UHousehold is u among non-matches who live at the same address
	// (relatives, flatmates): for them a shared surname or birth date is far
	// less rare than between strangers. It replaces U for the personal
	// fields when the addresses agree, if Household is set.
	UHousehold [numFields][numLevels]float64 `json:"u_household"`
	Household  bool                          `json:"household"`
	// Used records which fields carry data in this population; unused fields
	// are left out of the score.
	Used [numFields]bool `json:"used"`
}

// DefaultModel returns parameters that work before any data has been seen
// (an empty index): typical agreement rates of true duplicates and random
// pairs in a city's population. Train replaces them with estimates.
func DefaultModel() *Model {
	m := &Model{Prior: 1e-6, Household: true, UHousehold: householdU()}
	for f := Field(0); f < numFields; f++ {
		m.Used[f] = true
		m.M[f] = [numLevels]float64{0.85, 0.07, 0.03, 0.01, 0.04, 0}
		m.U[f] = [numLevels]float64{0.01, 0.01, 0.03, 0.02, 0.93, 0}
	}
	m.U[GivenName] = [numLevels]float64{0.005, 0.003, 0.02, 0.01, 0.962, 0}
	m.U[Surname] = [numLevels]float64{0.003, 0.002, 0.015, 0.01, 0.97, 0}
	m.U[BirthDate] = [numLevels]float64{0.0001, 0.0005, 0.002, 0, 0.9974, 0}
	m.M[BirthDate] = [numLevels]float64{0.9, 0.06, 0.02, 0, 0.02, 0}
	m.U[SexField] = [numLevels]float64{0.5, 0, 0, 0, 0.5, 0}
	m.M[SexField] = [numLevels]float64{0.97, 0, 0, 0, 0.03, 0}
	m.U[StreetNumber] = [numLevels]float64{0.02, 0.05, 0.02, 0, 0.91, 0}
	m.M[StreetNumber] = [numLevels]float64{0.7, 0.05, 0.01, 0, 0.24, 0}
	m.M[StreetName] = [numLevels]float64{0.65, 0.05, 0.03, 0.01, 0.26, 0}
	m.M[Line2] = [numLevels]float64{0.6, 0.05, 0.03, 0.01, 0.31, 0}
	m.U[City] = [numLevels]float64{0.6, 0.01, 0.02, 0.01, 0.36, 0}
	m.M[City] = [numLevels]float64{0.9, 0.02, 0.01, 0.01, 0.06, 0}
	m.U[PostalCode] = [numLevels]float64{0.08, 0.2, 0.05, 0, 0.67, 0}
	m.M[PostalCode] = [numLevels]float64{0.72, 0.08, 0.02, 0, 0.18, 0}
	m.U[State] = [numLevels]float64{0.9, 0, 0, 0, 0.1, 0}
	m.M[State] = [numLevels]float64{0.98, 0, 0, 0, 0.02, 0}
	return m
}

// householdU is the distribution of the personal fields between two
// different people at one address: relatives share a surname more often than
// not, twins a birth date, a father and son ("Sr." and "Jr.") a given name.
// These shares come from household composition, not from any one file, so
// they are fixed here rather than estimated: EM cannot tell a family from a
// duplicate without labels.
func householdU() (u [numFields][numLevels]float64) {
	for f := Field(0); f < numFields; f++ {
		u[f] = [numLevels]float64{0.01, 0.01, 0.03, 0.02, 0.93, 0}
	}
	u[GivenName] = [numLevels]float64{0.05, 0.01, 0.02, 0.01, 0.91, 0}
	u[Surname] = [numLevels]float64{0.55, 0.10, 0.10, 0.02, 0.23, 0}
	// Relatives' birth dates differ by years: only twins agree, and a near
	// miss (one digit, same year and month) is rare.
	u[BirthDate] = [numLevels]float64{0.03, 0.005, 0.01, 0, 0.955, 0}
	u[SexField] = [numLevels]float64{0.5, 0, 0, 0, 0.5, 0}
	u[Phone] = [numLevels]float64{0.3, 0.01, 0.02, 0, 0.67, 0}
	u[Email] = [numLevels]float64{0.01, 0.01, 0.03, 0, 0.95, 0}
	return u
}

// constrain keeps EM estimates within what duplicates of one person can
// look like, falling back to DefaultModel for a field whose estimate EM has
// pulled towards another class (a household, a run of namesakes):
//   - true duplicates agree (exactly or nearly) on names and birth date at
//     least 60% of the time;
//   - they give a wholly different given name (not a nickname, typo or
//     sound-alike) at most 2% of the time, and a different surname or birth
//     date at most 10%.
func (m *Model) constrain() {
	def := DefaultModel()
	for _, f := range []Field{GivenName, Surname, BirthDate} {
		if m.M[f][Exact]+m.M[f][Strong] < 0.6 {
			m.M[f] = def.M[f]
		}
		limit := 0.10
		if f == GivenName {
			limit = 0.02
		}
		if d := m.M[f][Different]; d > limit {
			scale := (1 - limit) / (1 - d)
			for l := Level(0); l < Missing; l++ {
				m.M[f][l] *= scale
			}
			m.M[f][Different] = limit
		}
	}
}

// floor keeps every probability away from zero so no single level can veto
// or force a match on its own.
const floor = 1e-4

// weight returns log2(m/u) for field f at level l (0 for Missing).
func (m *Model) weight(f Field, l Level) float64 {
	if l == Missing || !m.Used[f] {
		return 0
	}
	return math.Log2(math.Max(m.M[f][l], floor) / math.Max(m.U[f][l], floor))
}

// tfWeight replaces the exact-agreement weight of a term-frequency field by
// log2(m / share of records holding this value). share ≤ 0 means unknown.
func (m *Model) tfWeight(f Field, share float64) float64 {
	if share <= 0 {
		return m.weight(f, Exact)
	}
	u := math.Max(share, floor/10)
	// Never let a common value score below a plain typo-level agreement, nor
	// a unique value dwarf the date of birth.
	w := math.Log2(math.Max(m.M[f][Exact], floor) / u)
	return math.Min(math.Max(w, m.weight(f, Strong)), m.weight(f, Exact)+6)
}

func logit2(p float64) float64 {
	p = math.Min(math.Max(p, 1e-12), 1-1e-12)
	return math.Log2(p / (1 - p))
}

func fromLogit2(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// em estimates m, and the share of matches among candidate pairs, from a
// histogram of comparison vectors over candidate pairs. Blocking makes
// candidate non-matches agree far more often than random pairs do (they
// share a surname, a birth date, an address), so the E step uses its own
// non-match distribution uc, estimated alongside m and started from u; the
// model keeps u from random pairs for scoring, as Fellegi–Sunter intends.
// It returns the estimated share of matches among the candidates.
// Fields in skip (those the training pairs were blocked on) are left out.
func (m *Model) em(hist map[Vector]float64, iterations int, skip [numFields]bool) float64 {
	share, _ := m.emBoth(hist, iterations, skip, true)
	return share
}

func (m *Model) emBoth(hist map[Vector]float64, iterations int, skip [numFields]bool, updateM bool) (float64, [numFields][numLevels]float64) {
	type row struct {
		v Vector
		n float64
	}
	rows := make([]row, 0, len(hist))
	var total float64
	for v, n := range hist {
		rows = append(rows, row{v, n})
		total += n
	}
	uc := m.U
	if total == 0 {
		return 0, uc
	}
	lambda := 0.1
	w := func(f Field, l Level) float64 {
		if l == Missing || !m.Used[f] || skip[f] {
			return 0
		}
		return math.Log2(math.Max(m.M[f][l], floor) / math.Max(uc[f][l], floor))
	}
	for it := 0; it < iterations; it++ {
		var mc, nc [numFields][numLevels]float64
		var matched float64
		lp := logit2(lambda)
		for _, r := range rows {
			x := lp
			for f := Field(0); f < numFields; f++ {
				x += w(f, r.v.Get(f))
			}
			p := fromLogit2(x)
			matched += p * r.n
			for f := Field(0); f < numFields; f++ {
				mc[f][r.v.Get(f)] += p * r.n
				nc[f][r.v.Get(f)] += (1 - p) * r.n
			}
		}
		lambda = math.Min(math.Max(matched/total, 1e-6), 0.999)
		for f := Field(0); f < numFields; f++ {
			if !skip[f] {
				if updateM {
					normalize(&mc[f], &m.M[f])
				}
				normalize(&nc[f], &uc[f])
			}
		}
	}
	// A level can only count for a match if it is better than the one below:
	// keep m/u non-increasing down the levels so a "different" never scores
	// above a "weak" by an artefact of small counts.
	if !updateM {
		return lambda, uc
	}
	for f := Field(0); f < numFields; f++ {
		prev := math.Inf(1)
		for l := Level(0); l < Missing; l++ {
			if m.U[f][l] <= floor && m.M[f][l] <= floor {
				continue
			}
			w := m.weight(f, l)
			if w > prev {
				m.M[f][l] = math.Max(m.U[f][l], floor) * math.Exp2(prev)
			} else {
				prev = w
			}
		}
	}
	return lambda, uc
}

// normalize turns counts over the non-missing levels into probabilities in
// dst, leaving dst as it was when there are no counts.
func normalize(counts, dst *[numLevels]float64) {
	var sum float64
	for l := Level(0); l < Missing; l++ {
		sum += counts[l]
	}
	if sum == 0 {
		return
	}
	for l := Level(0); l < Missing; l++ {
		dst[l] = math.Max(counts[l]/sum, floor)
	}
}
