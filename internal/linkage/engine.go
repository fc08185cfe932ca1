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
	// Plain compares normalized plaintext.
	Plain Mode = iota
	// Bloom compares keyed Bloom-filter encodings only.
	Bloom_
)

// ParseMode reads "plain" or "bloom".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "plain", "":
		return Plain, true
	case "bloom":
		return Bloom_, true
	}
	return Plain, false
}

func (m Mode) String() string {
	if m == Bloom_ {
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
//     (catches changed names and mistyped dates at the same address).
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
	p     *prepared // Plain mode
	e     *Encoding // Bloom mode
	keys  []uint64
	exact [numFields]uint64 // value ids for term frequencies
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
	return en
}

func encodedEntry(e *Encoding) entry {
	return entry{e: e, keys: e.Keys, exact: e.Exact}
}

// scorer compares entries and turns vectors into weights; tf holds value
// counts per term-frequency field.
type scorer struct {
	nick  Nicknames
	model *Model
	tf    *termFreq
}

func (s *scorer) compare(a, b *entry) Vector {
	if a.p != nil && b.p != nil {
		return comparePlain(a.p, b.p, s.nick)
	}
	if a.e != nil && b.e != nil {
		return compareEncoded(a.e, b.e)
	}
	return Vector(math.MaxUint64) // mixed modes never match: every field Missing-like
}

// fieldWeight is the weight of field f at level l for the pair (a, b).
func (s *scorer) fieldWeight(a *entry, f Field, l Level) float64 {
	if l == Exact && s.tf != nil && isTF(f) && a.exact[f] != 0 {
		return s.model.tfWeight(f, s.tf.share(f, a.exact[f]))
	}
	return s.model.weight(f, l)
}

func isTF(f Field) bool {
	for _, g := range tfFields {
		if g == f {
			return true
		}
	}
	return false
}

// score returns the match weight (log2 odds) and probability of a pair.
func (s *scorer) score(a, b *entry) (Vector, float64) {
	v := s.compare(a, b)
	w := logit2(s.model.Prior)
	for f := Field(0); f < numFields; f++ {
		l := v.Get(f)
		if l >= numLevels {
			return v, math.Inf(-1)
		}
		w += s.fieldWeight(a, f, l)
	}
	return v, w
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

// train estimates a Model: u from random pairs, m and the prior by EM over
// candidate pairs. rng makes the sampling reproducible.
func train(entries []entry, cands func(yield func(i, j int) bool), sc *scorer, rng *rand.Rand) *Model {
	m := DefaultModel()
	n := len(entries)
	if n < 2 {
		return m
	}
	// u from random pairs: almost all random pairs are non-matches.
	samples := min(n*(n-1)/2, 400_000)
	var uc [numFields][numLevels]float64
	var present [numFields]float64
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
		present[f] = sum
		m.Used[f] = sum > 0.01*float64(samples)
		if sum == 0 {
			continue
		}
		for l := Level(0); l < Missing; l++ {
			// Add-one smoothing: a level never seen among random pairs is rare, not impossible.
			m.U[f][l] = (uc[f][l] + 1) / (sum + float64(Missing))
		}
	}
	hist := make(map[Vector]float64)
	cands(func(i, j int) bool {
		hist[sc.compare(&entries[i], &entries[j])]++
		return true
	})
	m.em(hist, 30)
	return m
}
