package linkage

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Mode selects what the engine compares.
type Mode uint8

// Modes.
const (
	// ModePlain compares normalized plaintext.
	ModePlain Mode = iota
	// ModeBloom compares keyed Bloom-filter encodings only.
	ModeBloom
)

// ParseMode reads "plain" or "bloom".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "plain", "":
		return ModePlain, true
	case "bloom":
		return ModeBloom, true
	}
	return ModePlain, false
}

func (m Mode) String() string {
	if m == ModeBloom {
		return "bloom"
	}
	return "plain"
}

// blockKeys returns the blocking keys of a record as plaintext strings; the
// engine hashes them (keyed in Bloom mode). Two records are compared when
// they share any key:
//   - s: a surname's Spanish phonetic key + birth year (each surname, so a
//     dropped or swapped second surname still blocks);
//   - d: birth date with day and month in either order;
//   - n: the phonetic keys of given name (nickname-canonical) and first
//     surname, in sorted order so given/surname swaps still block;
//   - a: postcode + house number + start of the street's phonetic key
//     (catches changed names and mistyped dates at the same address);
//   - c: town + the street's (or second line's) phonetic key (number and
//     postcode mistyped, lines swapped);
//   - e, t: e-mail address, phone number.
func blockKeys(p *prepared, nick Nicknames) []string {
	keys := make([]string, 0, 6)
	year := ""
	if !p.dob.zero() {
		year = strconv.Itoa(p.dob.Y)
	}
	for i, s := range p.surSp {
		if i >= 2 {
			break
		}
		if s != "" && year != "" {
			keys = append(keys, "s|"+s+"|"+year)
		}
	}
	if !p.dob.zero() {
		keys = append(keys, "d|"+year+"|"+strconv.Itoa(min(p.dob.M, p.dob.D))+"|"+strconv.Itoa(max(p.dob.M, p.dob.D)))
	}
	if p.givenDM != "" && len(p.surDM) > 0 && p.surDM[0] != "" {
		a, b := p.givenDM, p.surDM[0]
		if a > b {
			a, b = b, a
		}
		keys = append(keys, "n|"+a+"|"+b)
	}
	if len(p.surSp) > 0 && p.surSp[0] != "" && p.post != "" {
		keys = append(keys, "p|"+p.surSp[0]+"|"+p.post)
	}
	if p.givenSp != "" && len(p.surSp) > 0 && p.surSp[0] != "" {
		a, b := p.givenSp, p.surSp[0]
		if a > b {
			a, b = b, a
		}
		keys = append(keys, "m|"+a+"|"+b)
	}
	if p.givenSp != "" && year != "" {
		keys = append(keys, "g|"+p.givenSp+"|"+year)
	}
	if p.city != "" && p.streetNS != "" {
		// Same street in the same town, whatever the number and postcode typos.
		keys = append(keys, "c|"+strings.ReplaceAll(p.city, " ", "")+"|"+SpanishKey(p.streetNS))
	}
	if l2 := strings.ReplaceAll(p.line2, " ", ""); p.city != "" && len(l2) > 4 {
		// The second line under the same key: forms where the two lines were swapped.
		keys = append(keys, "c|"+strings.ReplaceAll(p.city, " ", "")+"|"+SpanishKey(l2))
	}
	if p.email != "" {
		keys = append(keys, "e|"+p.email)
	}
	if p.phone != "" {
		keys = append(keys, "t|"+p.phone)
	}
	if p.post != "" && p.num != "" && p.street != "" {
		sk := SpanishKey(strings.ReplaceAll(p.street, " ", ""))
		if len(sk) > 3 {
			sk = sk[:3]
		}
		keys = append(keys, "a|"+p.post+"|"+p.num+"|"+sk)
	}
	return keys
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	if v == 0 {
		v = 1
	}
	return v
}

// entry is one record ready for comparison in either mode.
type entry struct {
	p     *prepared // ModePlain
	e     *Encoding // ModeBloom
	keys  []uint64
	exact [numFields]uint64 // value ids for term frequencies
	// Training keys: birth date (day and month in either order) and the
	// sounds of given name and surname.
	dobKey, nameKey uint64
	addrKey         uint64 // house number, street and postcode
}

func plainEntry(r *Record, nick Nicknames) entry {
	p := prepare(r, nick)
	en := entry{p: p}
	for _, k := range blockKeys(p, nick) {
		en.keys = append(en.keys, fnv64(k))
	}
	for _, f := range tfFields {
		if v := exactValue(p, f); v != "" {
			en.exact[f] = fnv64(v)
		}
	}
	if !p.dob.zero() {
		en.dobKey = fnv64(strconv.Itoa(p.dob.Y) + "|" + strconv.Itoa(min(p.dob.M, p.dob.D)) + "|" + strconv.Itoa(max(p.dob.M, p.dob.D)))
	}
	if p.givenSp != "" && len(p.surSp) > 0 && p.surSp[0] != "" {
		en.nameKey = pairKey(fnv64(p.givenSp), fnv64(p.surSp[0]))
	}
	if p.num != "" && p.street != "" && p.post != "" {
		en.addrKey = fnv64(p.post + "|" + p.num + "|" + p.street)
	}
	return en
}

// pairKey combines two keys regardless of order (given and surname swapped).
func pairKey(a, b uint64) uint64 {
	if a > b {
		a, b = b, a
	}
	return a*0x9E3779B97F4A7C15 ^ b
}

func encodedEntry(e *Encoding) entry {
	en := entry{e: e, keys: e.Keys, exact: e.Exact, dobKey: e.Sounds[BirthDate]}
	if e.Sounds[GivenName] != 0 && e.Sounds[Surname] != 0 {
		en.nameKey = pairKey(e.Sounds[GivenName], e.Sounds[Surname])
	}
	if x := e.Exact; x[StreetNumber] != 0 && x[StreetName] != 0 && x[PostalCode] != 0 {
		en.addrKey = (x[StreetNumber]*31+x[StreetName])*31 + x[PostalCode]
	}
	return en
}

// scorer compares entries and turns vectors into weights; tf holds value
// counts per term-frequency field.
type scorer struct {
	nick  Nicknames
	model *Model
	tf    *termFreq
	// prior, if set, replaces model.Prior: the index screens with the chance
	// that an application is a given resident, not that two random records
	// of a file are one person.
	prior float64
}

func (s *scorer) priorWeight() float64 {
	if s.prior > 0 {
		return logit2(s.prior)
	}
	return logit2(s.model.Prior)
}

func (s *scorer) compare(a, b *entry) Vector {
	if a.p != nil && b.p != nil {
		return comparePlain(a.p, b.p, s.nick)
	}
	if a.e != nil && b.e != nil {
		return compareEncoded(a.e, b.e)
	}
	return allMissing // mixed modes have nothing in common to compare
}

// allMissing is the vector with every field Missing.
var allMissing = func() (v Vector) {
	for f := Field(0); f < numFields; f++ {
		v.set(f, Missing)
	}
	return v
}()

// addressFields describe where a person lives; they agree or disagree
// together (one move changes them all), so they are scored as a group.
var addressFields = [...]Field{StreetNumber, StreetName, Line2, PostalCode, City, State}

func isAddress(f Field) bool {
	for _, g := range addressFields {
		if g == f {
			return true
		}
	}
	return false
}

// sameFamily reports whether v says the two records give one address and
// one surname: the pattern of relatives as much as of duplicates.
func sameFamily(v Vector) bool {
	return v.Get(StreetNumber) == Exact && v.Get(StreetName) <= Strong && v.Get(Surname) <= Weak
}

// weights returns the weight of each field for the pair (a, b) compared as v:
//   - exact agreement on a term-frequency field is weighted by how common
//     the value is;
//   - between people with one surname at one address, the personal fields
//     are weighed against relatives (UHousehold), not strangers;
//   - address fields count as one piece of evidence (one move changes them
//     all): the strongest agreement and the strongest disagreement in full,
//     the others at a quarter.
func (s *scorer) weights(a *entry, v Vector) (w [numFields]float64) {
	m := s.model
	household := m.Household && sameFamily(v)
	for f := Field(0); f < numFields; f++ {
		l := v.Get(f)
		if l == Missing || !m.Used[f] {
			continue
		}
		u := m.U[f][l]
		if household && !isAddress(f) {
			u = m.UHousehold[f][l]
		}
		w[f] = math.Log2(math.Max(m.M[f][l], floor) / math.Max(u, floor))
		if l == Exact && s.tf != nil && isTF(f) && a.exact[f] != 0 && !(household && !isAddress(f)) {
			w[f] = m.tfWeight(f, s.tf.share(f, a.exact[f]))
		}
	}
	best := Field(numFields)
	for _, f := range addressFields {
		if w[f] > 0 && (best == numFields || w[f] > w[best]) {
			best = f
		}
	}
	worst := Field(numFields)
	for _, f := range addressFields {
		if w[f] < 0 && (worst == numFields || w[f] < w[worst]) {
			worst = f
		}
	}
	for _, f := range addressFields {
		if f != best && f != worst {
			w[f] *= 0.25
		}
	}
	return w
}

func isTF(f Field) bool {
	for _, g := range tfFields {
		if g == f {
			return true
		}
	}
	return false
}

// score returns the comparison vector and match weight (log2 odds) of a pair.
func (s *scorer) score(a, b *entry) (Vector, float64) {
	v := s.compare(a, b)
	if v == allMissing {
		return v, math.Inf(-1)
	}
	total := s.priorWeight()
	for _, x := range s.weights(a, v) {
		total += x
	}
	return v, total
}

// termFreq counts how many records hold each value of the TF fields.
type termFreq struct {
	counts [numFields]map[uint64]int32
	total  [numFields]int64
}

func newTermFreq() *termFreq {
	t := &termFreq{}
	for _, f := range tfFields {
		t.counts[f] = make(map[uint64]int32)
	}
	return t
}

func (t *termFreq) add(e *entry, delta int32) {
	for _, f := range tfFields {
		if id := e.exact[f]; id != 0 {
			t.counts[f][id] += delta
			t.total[f] += int64(delta)
			if t.counts[f][id] <= 0 {
				delete(t.counts[f], id)
			}
		}
	}
}

// share is the fraction of records holding value id in field f; 0 when the
// population is too small for the figure to mean anything.
func (t *termFreq) share(f Field, id uint64) float64 {
	if t.total[f] < 50 {
		return 0
	}
	n := max(t.counts[f][id], 1)
	return float64(n) / float64(t.total[f])
}

// estimateU sets U from random pairs: almost all random pairs are
// non-matches. It also marks which fields the population fills in.
func (m *Model) estimateU(entries []entry, sc *scorer, rng *rand.Rand) {
	n := len(entries)
	if n < 2 {
		return
	}
	samples := min(n*(n-1)/2, 400_000)
	var uc [numFields][numLevels]float64
	for k := 0; k < samples; k++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j {
			continue
		}
		v := sc.compare(&entries[i], &entries[j])
		for f := Field(0); f < numFields; f++ {
			uc[f][v.Get(f)]++
		}
	}
	for f := Field(0); f < numFields; f++ {
		var sum float64
		for l := Level(0); l < Missing; l++ {
			sum += uc[f][l]
		}
		m.Used[f] = sum > 0.01*float64(samples)
		if sum == 0 {
			continue
		}
		for l := Level(0); l < Missing; l++ {
			// Add-one smoothing: a level never seen among random pairs is rare, not impossible.
			m.U[f][l] = (uc[f][l] + 1) / (sum + float64(Missing))
		}
	}
}

// minTrain is the smallest population train estimates parameters from.
const minTrain = 200

// trainPairs is the most pairs EM looks at per training rule.
const trainPairs = 1_000_000

// train estimates a Model from a population: u from random pairs, m and the
// prior by EM over two sets of pairs, as Splink does, because EM over the
// blocked candidates themselves finds the wrong class (pairs that share a
// common name) in populations with many namesakes:
//   - pairs born on the same day (day and month in either order): their
//     non-matches are random pairs in every other field, so EM estimates m
//     for every field but the date of birth;
//   - pairs whose given name and surname sound alike: EM estimates m for
//     the date of birth.
//
// rng makes the sampling reproducible.
func train(entries []entry, sc *scorer, maxBlock int, dupRate float64, rng *rand.Rand) *Model {
	m := DefaultModel()
	n := len(entries)
	if n < minTrain {
		// Too few records to estimate anything: default parameters, and a
		// prior from the usual share of duplicates.
		m.Prior = math.Min(2*dupRate/float64(max(n-1, 1)), 0.5)
		return m
	}
	m.estimateU(entries, sc, rng)
	histA, pairsA := ruleHistogram(entries, func(e *entry) uint64 { return e.dobKey }, sc, maxBlock, rng)
	histB, _ := ruleHistogram(entries, func(e *entry) uint64 { return e.nameKey }, sc, maxBlock, rng)
	a, b := *m, *m
	var skipA, skipB [numFields]bool
	skipA[BirthDate] = true
	skipB[GivenName], skipB[Surname] = true, true
	shareA := a.em(histA, 40, skipA)
	b.em(histB, 40, skipB)
	m.M = a.M
	if len(histB) > 0 {
		m.M[BirthDate] = b.M[BirthDate]
	}
	m.constrain()
	m.householdShare(entries, sc, maxBlock, rng)
	// The prior is the chance that two records picked at random are one
	// person: matches born the same day, over the share of matches whose
	// dates agree, over all pairs.
	matches := shareA * float64(pairsA) / math.Max(m.M[BirthDate][Exact]+m.M[BirthDate][Strong], 0.3)
	m.Prior = math.Min(math.Max(matches/(float64(n)*float64(n-1)/2), 1e-9), 0.5)
	return m
}

// ruleHistogram counts comparison vectors over the pairs that share key
// (sampled down to trainPairs) and returns the number of such pairs.
func ruleHistogram(entries []entry, key func(*entry) uint64, sc *scorer, maxBlock int, rng *rand.Rand) (map[Vector]float64, int64) {
	blocks := map[uint64][]int32{}
	for i := range entries {
		if k := key(&entries[i]); k != 0 {
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	var total int64
	for _, ids := range blocks {
		if len(ids) <= maxBlock {
			total += int64(len(ids)) * int64(len(ids)-1) / 2
		}
	}
	hist := map[Vector]float64{}
	if total == 0 {
		return hist, 0
	}
	keep := math.Min(1, float64(trainPairs)/float64(total))
	for _, ids := range blocks {
		if len(ids) > maxBlock {
			continue
		}
		for x := range ids {
			for y := x + 1; y < len(ids); y++ {
				if keep < 1 && rng.Float64() >= keep {
					continue
				}
				hist[sc.compare(&entries[ids[x]], &entries[ids[y]])] += 1 / keep
			}
		}
	}
	return hist, total
}

// householdShare decides how much the population lives in families. Among
// pairs that share an address and a surname, it counts those who are plainly
// two people (different given names and birth dates): siblings, parents,
// spouses. Where they are common (at least 5% of such pairs; synthetic New
// Haven), a shared surname and birth date at one address are weak evidence;
// where there are none (FEBRL, which has no families), they keep their full
// weight. UHousehold mixes the family and stranger distributions
// accordingly.
func (m *Model) householdShare(entries []entry, sc *scorer, maxBlock int, rng *rand.Rand) {
	hist, _ := ruleHistogram(entries, func(e *entry) uint64 { return e.addrKey }, sc, maxBlock, rng)
	var family, relatives float64
	for v, n := range hist {
		if v.Get(Surname) > Strong {
			continue
		}
		family += n
		if v.Get(GivenName) == Different && v.Get(BirthDate) == Different {
			relatives += n
		}
	}
	pi := 0.0
	if family >= 30 {
		pi = math.Min(relatives/family/0.05, 1)
	}
	m.setHousehold(pi)
}

// setHousehold sets UHousehold to a share pi of the family distribution.
func (m *Model) setHousehold(pi float64) {
	hh := householdU()
	m.Household = pi > 0
	for f := Field(0); f < numFields; f++ {
		for l := Level(0); l < numLevels; l++ {
			m.UHousehold[f][l] = pi*hh[f][l] + (1-pi)*m.U[f][l]
		}
	}
}
