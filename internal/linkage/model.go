package linkage

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
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
// fake_1000 set and synthetic cities (see docs/linkage.md).
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

// Factor is one piece of evidence the model weighs: a personal field, or
// the address as a whole (one move changes street, number, unit and
// postcode together, so they are one factor, not five).
type Factor uint8

// Factors.
const (
	FactorGiven Factor = iota
	FactorSurname
	FactorBirth
	FactorSex
	FactorSuffix
	FactorAddress
	FactorEmail
	FactorPhone
	numFactors
)

var factorNames = [numFactors]string{"given_name", "surname", "date_of_birth", "sex", "suffix", "address", "email", "phone"}

// String names the factor.
func (f Factor) String() string {
	if f < numFactors {
		return factorNames[f]
	}
	return "factor" + strconv.Itoa(int(f))
}

// factorField maps the personal factors to their field.
var factorField = [numFactors]Field{GivenName, Surname, BirthDate, SexField, Suffix, StreetName, Email, Phone}

// factorLevels reduces a comparison vector to one level per factor. The
// address level says how far apart two addresses are:
//   - Exact: same house number, street and unit (or a unit on neither form,
//     or on one only: forms leave it out);
//   - Strong: same house, with a typo in the number, street or unit;
//   - Weak: same building, another unit; the same street, another number;
//     or the same number and second line in the same area (a street name
//     replaced);
//   - Phonetic: the same postcode (or town, without postcodes) or the same
//     second line only: the same neighbourhood;
//   - Different: elsewhere (a move);
//   - Missing: no address on either form.
func factorLevels(v Vector) (l [numFactors]Level) {
	for f := Factor(0); f < numFactors; f++ {
		if f != FactorAddress {
			l[f] = v.Get(factorField[f])
		}
	}
	l[FactorAddress] = addressLevel(v)
	return l
}

func addressLevel(v Vector) Level {
	num, st, l2, pc, city := v.Get(StreetNumber), v.Get(StreetName), v.Get(Line2), v.Get(PostalCode), v.Get(City)
	if st == Missing && num == Missing && l2 == Missing && pc == Missing && city == Missing {
		return Missing
	}
	area := pc == Exact || (pc > Strong && city <= Strong) // same postcode, or a postcode typo in the same town
	line := l2 <= Strong                                   // the same second line, both given
	house := num <= Strong && st <= Strong
	nearHouse := num == Exact && st == Weak && (area || line) // a misspelt street at the same number
	switch {
	case num == Exact && st == Exact && (l2 == Exact || l2 == Missing):
		return Exact
	case (house || nearHouse) && l2 != Different:
		return Strong
	case house, nearHouse,
		st <= Strong && num != Missing, // the same street, another number
		num == Exact && st == Weak,
		num == Exact && area && line: // the street replaced
		return Weak
	case area, line, st <= Strong:
		return Phonetic
	}
	return Different
}

// Model holds the parameters of a three-class Fellegi–Sunter model. A
// candidate pair of records is either one person (class M), two people who
// live together — relatives, flatmates (class H) — or two unrelated people
// (class U). Within each class the factors are taken as independent; their
// levels have probabilities M, H and U. Households are a class of their
// own because relatives agree on address and surname together (and twins
// on birth date), which two independent factors cannot express: with only
// two classes, either a family looks like one person or a person who moved
// looks like a stranger.
type Model struct {
	M [numFactors][numLevels]float64 `json:"m"`
	H [numFactors][numLevels]float64 `json:"h"`
	U [numFactors][numLevels]float64 `json:"u"`
	// PriorM and PriorH are the chances that two records picked at random
	// are one person, or two people of one household. An index sets them
	// per screening from its size (see Index.priors).
	PriorM float64 `json:"prior_m"`
	PriorH float64 `json:"prior_h"`
	// Used records which factors carry data in this population; the others
	// are left out of the score.
	Used [numFactors]bool `json:"used"`
	// Format is the version of this layout (ModelFormat).
	Format int `json:"format"`
	// Calibration, when set, maps the model's probabilities to the share
	// of such pairs reviewers called one person (FitCalibration); it
	// changes the probability shown, never what is flagged. A model
	// without one (every model before it, the built-in one) shows its own.
	Calibration []CalibrationPoint `json:"calibration,omitempty"`
}

// ModelFormat is the version of Model's layout and of the comparison
// levels it was estimated on; a stored model of another format is refused.
const ModelFormat = 2

// ErrModel reports a model that cannot be used.
var ErrModel = errors.New("linkage: invalid model")

// ParseModel reads a JSON model and checks it: the right format, and
// probabilities that are numbers in [0, 1] summing to about one per factor.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks that m can score pairs.
func (m *Model) Validate() error {
	if m.Format != ModelFormat {
		return fmt.Errorf("%w: format %d, want %d", ErrModel, m.Format, ModelFormat)
	}
	if err := validCalibration(m.Calibration); err != nil {
		return err
	}
	ok := func(p float64) bool { return !math.IsNaN(p) && p >= 0 && p <= 1 }
	if !ok(m.PriorM) || !ok(m.PriorH) || m.PriorM+m.PriorH >= 1 {
		return fmt.Errorf("%w: priors %v, %v", ErrModel, m.PriorM, m.PriorH)
	}
	for f := Factor(0); f < numFactors; f++ {
		if !m.Used[f] {
			continue
		}
		for name, d := range map[string]*[numLevels]float64{"m": &m.M[f], "h": &m.H[f], "u": &m.U[f]} {
			var sum float64
			for l := Level(0); l < Missing; l++ {
				if !ok(d[l]) {
					return fmt.Errorf("%w: %s[%s][%s] = %v", ErrModel, name, f, l, d[l])
				}
				sum += d[l]
			}
			if sum < 0.9 || sum > 1.1 {
				return fmt.Errorf("%w: %s[%s] sums to %v", ErrModel, name, f, sum)
			}
		}
	}
	return nil
}

// dist is a shorthand for one factor's level distribution.
func dist(exact, strong, weak, phonetic, different float64) [numLevels]float64 {
	return [numLevels]float64{exact, strong, weak, phonetic, different, 0}
}

// priorM is what a city's duplicate applications look like, before any
// data: how often one person's two forms agree on each factor. These come
// from how people fill in forms over the years (docs/linkage.md: a
// renewal five years on often has a new address; a second surname is
// dropped on a third of forms; a wholly different given name is rare). EM
// refines them on each file; they are the prior it starts from and is
// pulled towards.
func priorM() (m [numFactors][numLevels]float64) {
	m[FactorGiven] = dist(0.8, 0.15, 0.03, 0.018, 0.002)
	m[FactorSurname] = dist(0.68, 0.2, 0.05, 0.01, 0.06)
	m[FactorBirth] = dist(0.91, 0.05, 0.02, 0.01, 0.01)
	m[FactorSex] = dist(0.98, 0, 0, 0, 0.02)
	m[FactorSuffix] = dist(0.99, 0, 0, 0, 0.01) // one person's forms seldom disagree: "II" for "Jr"
	m[FactorAddress] = dist(0.4, 0.12, 0.04, 0.08, 0.36)
	m[FactorEmail] = dist(0.6, 0.1, 0.05, 0, 0.25)
	m[FactorPhone] = dist(0.6, 0.1, 0.03, 0, 0.27)
	return m
}

// priorH is what two relatives look like — spouses, parents and children,
// brothers and sisters, grandparents: usually the same surname, other
// given names (a father and son named alike, twins sharing a birth date
// and sisters sharing the first part of a compound name are the
// exceptions), and the same address about half the time (they live
// together, or did when one of them applied).
func priorH() (h [numFactors][numLevels]float64) {
	h[FactorGiven] = dist(0.02, 0.01, 0.05, 0.01, 0.91)
	h[FactorSurname] = dist(0.45, 0.15, 0.12, 0.01, 0.27)
	// Twins share a birth date; relatives are never a day apart (Strong);
	// brothers and sisters born on one day years apart (Weak) are rare; in
	// the same month of a year (Phonetic), less so.
	h[FactorBirth] = dist(0.01, 0.0005, 0.005, 0.01, 0.9745)
	h[FactorSex] = dist(0.5, 0, 0, 0, 0.5)
	h[FactorSuffix] = dist(0.05, 0, 0, 0, 0.95)
	h[FactorAddress] = dist(0.4, 0.1, 0.04, 0.06, 0.4)
	h[FactorEmail] = dist(0.05, 0.02, 0.03, 0, 0.9)
	h[FactorPhone] = dist(0.3, 0.02, 0.02, 0, 0.66)
	return h
}

// priorU is what two unrelated residents of one city look like; it is
// replaced by estimates from random pairs of the population.
func priorU() (u [numFactors][numLevels]float64) {
	u[FactorGiven] = dist(0.005, 0.004, 0.02, 0.01, 0.961)
	u[FactorSurname] = dist(0.003, 0.003, 0.015, 0.01, 0.969)
	u[FactorBirth] = dist(0.00004, 0.0004, 0.0004, 0.004, 0.99516)
	u[FactorSex] = dist(0.5, 0, 0, 0, 0.5)
	u[FactorSuffix] = dist(0.5, 0, 0, 0, 0.5)
	u[FactorAddress] = dist(0.00002, 0.00003, 0.0002, 0.05, 0.94975)
	u[FactorEmail] = dist(0.0001, 0.0001, 0.001, 0, 0.9988)
	u[FactorPhone] = dist(0.0001, 0.0001, 0.001, 0, 0.9988)
	return u
}

// DefaultModel returns parameters that work before any data has been seen
// (an empty index): the priors above. Train replaces u and the household
// share with estimates from the population; labels from reviewers refine m.
func DefaultModel() *Model {
	m := &Model{M: priorM(), H: priorH(), U: priorU(), PriorM: 1e-6, PriorH: 2e-6, Format: ModelFormat}
	for f := Factor(0); f < numFactors; f++ {
		m.Used[f] = true
	}
	return m
}

// bounds keep each class what it is, whatever EM finds on a file: a
// duplicate almost never gives a wholly different given name or birth date,
// two people of one household almost never share both. Without them, EM on
// a city of families settles on "household" as the class that agrees on
// address and surname (the failure issue 12 describes).
type bound struct {
	f        Factor
	levels   []Level // levels whose total is bounded
	min, max float64
}

// Two bounds depend on how much the population lives in families (the
// ratio of household pairs to duplicate pairs, see familyBounds): a wholly
// different given name (not a nickname, a translation, a dropped middle
// name, a typo) or birth date is rare for one person, and where there are
// families it is the mark of a brother or sister, so it must weigh
// heavily; in a file without families (FEBRL's) nothing else explains it,
// and EM may learn how common it is.
var mBounds = []bound{
	{FactorGiven, []Level{Different}, 0, 0.002},
	{FactorGiven, []Level{Exact, Strong}, 0.75, 1},
	{FactorSurname, []Level{Different}, 0, 0.15},
	{FactorSurname, []Level{Exact, Strong}, 0.6, 1},
	{FactorBirth, []Level{Different}, 0, 0.005},
	{FactorBirth, []Level{Exact, Strong}, 0.8, 1},
	{FactorSex, []Level{Different}, 0, 0.1},
	{FactorSuffix, []Level{Different}, 0, 0.1},
}

// hLearned are the factors whose household distribution EM estimates from
// the data: how often relatives share a surname depends on the community's
// customs (marriage names, two surnames), and sharing a phone on the
// household. How often relatives share a given name or a birth date is a
// fact of families (juniors, twins) that a file cannot teach without
// labels: pairs at one address that agree on both are, to EM, as much one
// person as two. It stays the prior.
var hLearned = [numFactors]bool{FactorSurname: true, FactorSex: true, FactorEmail: true, FactorPhone: true}

var hBounds = []bound{
	// Relatives rarely share a given name (a father and son "Jr.", a
	// nickname-close pair of sisters).
	{FactorGiven, []Level{Exact, Strong}, 0, 0.1},
	// Twins: about one pair of relatives in a hundred shares a birth date.
	{FactorBirth, []Level{Exact, Strong}, 0.008, 0.05},
}

// project rescales d so the bounded levels' total lies in [lo, hi], the
// other levels keeping their proportions.
func project(d *[numLevels]float64, levels []Level, lo, hi float64) {
	var in, out float64
	isIn := [numLevels]bool{}
	for _, l := range levels {
		isIn[l] = true
	}
	for l := Level(0); l < Missing; l++ {
		if isIn[l] {
			in += d[l]
		} else {
			out += d[l]
		}
	}
	target := math.Min(math.Max(in, lo), hi)
	if target == in || in+out == 0 {
		return
	}
	for l := Level(0); l < Missing; l++ {
		switch {
		case isIn[l] && in > 0:
			d[l] *= target / in
		case isIn[l]:
			d[l] = target / float64(len(levels))
		case out > 0:
			d[l] *= (1 - target) / out
		}
	}
}

// familyBounds relaxes the bounds on wholly different given names and
// birth dates where the population shows no families: with households at
// least half as many pairs as duplicates, the tight bounds hold; with
// under a twentieth, given names may differ for up to 10% of duplicates
// and birth dates for up to 10%; in between, log-linearly.
func (m *Model) familyBounds() (given, birth float64) {
	r := 1.0
	if m.PriorM > 0 {
		r = m.PriorH / m.PriorM
	}
	t := (math.Log(math.Max(r, 0.05)) - math.Log(0.05)) / (math.Log(0.5) - math.Log(0.05))
	t = math.Min(math.Max(t, 0), 1)
	return 0.1 + t*(0.002-0.1), 0.1 + t*(0.005-0.1)
}

func (m *Model) constrain() {
	given, birth := m.familyBounds()
	for _, b := range mBounds {
		hi := b.max
		switch {
		case b.f == FactorGiven && b.levels[0] == Different:
			hi = given
		case b.f == FactorBirth && b.levels[0] == Different:
			hi = birth
		}
		project(&m.M[b.f], b.levels, b.min, hi)
	}
	for _, b := range hBounds {
		project(&m.H[b.f], b.levels, b.min, b.max)
	}
}

// floor keeps every m and h probability away from zero so no single level
// can veto a match on its own; uFloor does the same for u, far lower: in a
// city of a million, two strangers agree on an address or a rare name far
// less often than one pair in a hundred thousand.
const (
	floor  = 1e-4
	uFloor = 1e-10
)

func lg(p float64) float64 { return math.Log2(math.Max(p, floor)) }

func lgU(p float64) float64 { return math.Log2(math.Max(p, uFloor)) }

func logit2(p float64) float64 {
	p = math.Min(math.Max(p, 1e-15), 1-1e-15)
	return math.Log2(p / (1 - p))
}

func fromLogit2(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// logSum2 returns log2(2^a + 2^b).
func logSum2(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log2(1+math.Exp2(b-a))
}

// levelsKey packs factor levels into a histogram key.
type levelsKey uint32

func packLevels(l [numFactors]Level) levelsKey {
	var k levelsKey
	for f := Factor(0); f < numFactors; f++ {
		k |= levelsKey(l[f]) << (4 * f)
	}
	return k
}

func (k levelsKey) get(f Factor) Level { return Level(k >> (4 * f) & 0xF) }

// emOptions say which parameters an EM run may change.
type emOptions struct {
	skip    [numFactors]bool // factors the pairs were chosen on: no evidence
	updateM bool
	updateH bool
	// kappaM and kappaH are the weights of the priors, in pairs: m and h
	// are MAP estimates under Dirichlet priors centred on priorM and priorH.
	kappaM, kappaH float64
}

// emShares are the estimated class shares among the pairs EM ran on.
type emShares struct{ m, h, u float64 }

// em fits the class shares (and m and h, as opts allow) to a histogram of
// factor levels over some set of pairs. u stays as estimated from random
// pairs: non-matches in a block are random in the factors the block was
// not chosen on (the Splink approach), which is why each training rule
// skips its own factors.
func (m *Model) em(hist map[levelsKey]float64, iterations int, opts emOptions) emShares {
	rows := sortedRows(hist)
	var total float64
	for _, r := range rows {
		total += r.n
	}
	if total == 0 {
		return emShares{}
	}
	pm, ph := priorM(), priorH()
	sh := emShares{m: 0.1, h: 0.1, u: 0.8}
	if m.PriorH == 0 && !opts.updateH {
		sh.h = 0
		sh.u = 0.9
	}
	for it := 0; it < iterations; it++ {
		var cm, ch [numFactors][numLevels]float64
		var nm, nh, nu float64
		for _, r := range rows {
			lm, lh, lu := lg(sh.m), lg(sh.h), lg(sh.u)
			if sh.h == 0 {
				lh = math.Inf(-1)
			}
			for f := Factor(0); f < numFactors; f++ {
				l := r.k.get(f)
				if opts.skip[f] || l == Missing || !m.Used[f] {
					continue
				}
				lm += lg(m.M[f][l])
				lh += lg(m.H[f][l])
				lu += lgU(m.U[f][l])
			}
			z := logSum2(logSum2(lm, lh), lu)
			rm, rh := math.Exp2(lm-z), math.Exp2(lh-z)
			if sh.h == 0 {
				rh = 0
			}
			nm += rm * r.n
			nh += rh * r.n
			nu += (1 - rm - rh) * r.n
			for f := Factor(0); f < numFactors; f++ {
				l := r.k.get(f)
				cm[f][l] += rm * r.n
				ch[f][l] += rh * r.n
			}
		}
		sh = emShares{m: nm / total, h: nh / total, u: nu / total}
		for f := Factor(0); f < numFactors; f++ {
			if opts.skip[f] {
				continue
			}
			if opts.updateM {
				m.M[f] = mapEstimate(&cm[f], &pm[f], opts.kappaM)
			}
			if opts.updateH && hLearned[f] {
				m.H[f] = mapEstimate(&ch[f], &ph[f], opts.kappaH)
			}
		}
		m.constrain()
	}
	return sh
}

// histRow is one cell of a histogram of factor levels.
type histRow struct {
	k levelsKey
	n float64
}

// sortedRows returns hist's cells in key order: sums over them (EM's
// counts, u's estimate) then come out the same on every run, where a map's
// order would change their last bits and, through the thresholds, a few
// links.
func sortedRows(hist map[levelsKey]float64) []histRow {
	rows := make([]histRow, 0, len(hist))
	for k, n := range hist {
		rows = append(rows, histRow{k, n})
	}
	slices.SortFunc(rows, func(x, y histRow) int { return cmp.Compare(x.k, y.k) })
	return rows
}

// mapEstimate returns the Dirichlet-posterior mean of a level distribution
// from counts and a prior worth kappa pairs.
func mapEstimate(counts, prior *[numLevels]float64, kappa float64) [numLevels]float64 {
	var sum float64
	for l := Level(0); l < Missing; l++ {
		sum += counts[l]
	}
	var d [numLevels]float64
	for l := Level(0); l < Missing; l++ {
		d[l] = (counts[l] + kappa*prior[l]) / (sum + kappa)
	}
	return d
}
