package linkage

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// String names the mode.
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
//   - e, t: e-mail address, phone number;
//   - l: the e-mail address's part before the @ (the domain mistyped).
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
		keys = append(keys, "d|"+p.dob.eitherOrder())
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
		if local, _, ok := strings.Cut(p.email, "@"); ok && len(local) >= 3 {
			// The part before the @ alone: the domain retyped or
			// mistyped ("emilya@roberts.com", "emilya@eroberts.com").
			keys = append(keys, "l|"+local)
		}
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
	p *prepared // ModePlain, outside an index (batches, the record screened)
	// pk is p packed (packed.go), as an index keeps it: resolve unpacks it.
	pk    string
	e     *Encoding // ModeBloom
	keys  []uint64
	exact [len(tfFields)]uint64 // value ids for term frequencies, of tfFields in order
	// Training keys: birth date (day and month in either order) and the
	// sounds of given name and surname.
	dobKey, nameKey uint64
	addrKey         uint64 // house number, street and postcode
	// Name tokens (and their nickname groups), for weighing agreement on
	// one part of a name by how common that part is: the given names'
	// (gTok, the first gLen) and the surnames' (sTok, the rest), in one
	// array — one allocation and slice header a resident, not two.
	tok    []uint64
	gLen   uint16
	gFirst uint8  // gTok()[:gFirst] are the first given name and its nickname groups
	gCons  uint64 // the first given name's consonants (consonantKey)
}

// gTok returns the ids of the given names' tokens and nickname groups.
func (e *entry) gTok() []uint64 { return e.tok[:e.gLen:e.gLen] }

// sTok returns the ids of the surnames' tokens.
func (e *entry) sTok() []uint64 { return e.tok[e.gLen:] }

// setTokens sets the name tokens of e.
func (e *entry) setTokens(g, s []uint64) {
	e.tok = make([]uint64, 0, len(g)+len(s))
	e.tok = append(append(e.tok, g...), s...)
	e.gLen = uint16(len(g))
}

// nameTokens returns the ids of name tokens and of their nickname groups.
func nameTokens(toks []string, nick Nicknames) []uint64 {
	var out []uint64
	for _, t := range toks {
		out = append(out, fnv64("t|"+t))
		for _, g := range nick[t] {
			out = append(out, fnv64("n|"+strconv.Itoa(int(g))))
		}
	}
	return out
}

func plainEntry(r *Record, nick Nicknames) entry {
	return preparedEntry(prepare(r, nick), nick)
}

// preparedEntry derives the blocking keys and value ids of a prepared
// record (cheap: hashing), so a snapshot need keep only the prepared form.
func preparedEntry(p *prepared, nick Nicknames) entry {
	en := entry{p: p}
	for _, k := range blockKeys(p, nick) {
		en.keys = append(en.keys, fnv64(k))
	}
	for i, f := range tfFields {
		if v := exactValue(p, f); v != "" {
			en.exact[i] = fnv64(v)
		}
	}
	if !p.dob.zero() {
		en.dobKey = fnv64(p.dob.eitherOrder())
	}
	if p.givenSp != "" && len(p.surSp) > 0 && p.surSp[0] != "" {
		en.nameKey = pairKey(fnv64(p.givenSp), fnv64(p.surSp[0]))
	}
	if p.num != "" && p.streetNS != "" {
		en.addrKey = fnv64(p.num + "|" + SpanishKey(p.streetNS))
	}
	en.setTokens(nameTokens(p.given, nick), nameTokens(p.sur, nil))
	if len(p.given) > 0 {
		en.gFirst = uint8(min(len(nameTokens(p.given[:1], nick)), int(en.gLen), 255))
		en.gCons = fnv64(consonantKey(p.given[0]))
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
	en := entry{e: e, keys: e.Keys, dobKey: e.Sounds[BirthDate],
		gFirst: uint8(min(len(e.GivenFirst), len(e.GivenTokens), 255)), gCons: e.GivenConsonants}
	en.setTokens(e.GivenTokens, e.SurTokens)
	for i, f := range tfFields {
		en.exact[i] = e.Exact[f]
	}
	if e.Sounds[GivenName] != 0 && e.Sounds[Surname] != 0 {
		en.nameKey = pairKey(e.Sounds[GivenName], e.Sounds[Surname])
	}
	if x := e.Exact; x[StreetNumber] != 0 && x[StreetName] != 0 {
		en.addrKey = x[StreetNumber]*31 + x[StreetName]
	}
	return en
}

// tfFields are the fields whose exact agreement is weighted by how common
// the value is: sharing "García" says less than sharing "Zelaya", and a
// phone number a whole family gives says less than one person's. (An
// address is not: the records at one address are mostly one person's or
// one family's, and the household class weighs families.)
var tfFields = [...]Field{GivenName, Surname, Email, Phone}

// crossField returns the name field whose term frequencies f's values are
// also looked up in (plain mode: one id space for both boxes).
func crossField(f Field) (Field, bool) {
	switch f {
	case GivenName:
		return Surname, true
	case Surname:
		return GivenName, true
	}
	return f, false
}

// tfFactor maps a term-frequency field to the factor it adjusts.
func tfFactor(f Field) Factor {
	switch f {
	case GivenName:
		return FactorGiven
	case Surname:
		return FactorSurname
	case Email:
		return FactorEmail
	}
	return FactorPhone
}

// scorer compares entries and turns comparisons into match weights.
type scorer struct {
	nick  Nicknames
	model *Model
	tf    *termFreq
	// priorM and priorH, if set, replace the model's: the index screens
	// with the chance that an application is one given resident (or lives
	// with them), which depends on how many residents there are.
	priorM, priorH float64
	// logs holds the logarithms of model's probabilities (setModel), so a
	// batch of millions of pairs does not take them per pair; it is
	// ignored when model was replaced without setModel.
	logs *modelLogs
	// buf, if set, is where packed entries are unpacked (unpackPair): a
	// copy of the scorer used by one goroutine (a screening, a training)
	// sets its own, so comparing a candidate allocates nothing. The
	// index's shared scorer has none.
	buf *unpackBuf
}

// modelLogs are log2 of a model's level probabilities (as lg and lgU take
// them) and of its priors, computed once.
type modelLogs struct {
	of         *Model
	lm, lh, lu [numFactors][numLevels]float64
	prior      [3]float64 // lg2 of PriorM, PriorH and 1 − PriorM − PriorH
}

// setModel makes m the scorer's model. m must not change afterwards (a
// model is replaced, never edited, once pairs are scored with it).
func (s *scorer) setModel(m *Model) {
	s.model = m
	l := &modelLogs{of: m}
	for f := Factor(0); f < numFactors; f++ {
		for lv := Level(0); lv < numLevels; lv++ {
			l.lm[f][lv], l.lh[f][lv], l.lu[f][lv] = lg(m.M[f][lv]), lg(m.H[f][lv]), lgU(m.U[f][lv])
		}
	}
	l.prior = [3]float64{lg2(m.PriorM), lg2(m.PriorH), lg2(1 - m.PriorM - m.PriorH)}
	s.logs = l
}

// levelLogs returns log2 of the probabilities of level l of factor f in
// the three classes.
func (s *scorer) levelLogs(f Factor, l Level) (lm, lh, lu float64) {
	if t := s.logs; t != nil && t.of == s.model {
		return t.lm[f][l], t.lh[f][l], t.lu[f][l]
	}
	m := s.model
	return lg(m.M[f][l]), lg(m.H[f][l]), lgU(m.U[f][l])
}

func (s *scorer) priors() (pm, ph float64) {
	if s.priorM > 0 {
		return s.priorM, s.priorH
	}
	return s.model.PriorM, s.model.PriorH
}

func (s *scorer) compare(a, b *entry) Vector {
	a, b = s.unpackPair(a, b)
	return s.compareResolved(a, b)
}

// compareResolved is compare of entries that are not packed.
func (s *scorer) compareResolved(a, b *entry) Vector {
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

// classEvidence holds, per factor, log2 of the level's probability in each
// class (u adjusted by term frequency), for the factors that count.
type classEvidence struct {
	levels     [numFactors]Level
	lm, lh, lu [numFactors]float64
	used       [numFactors]bool
}

func (s *scorer) evidence(a, b *entry, v Vector) classEvidence {
	m := s.model
	var ev classEvidence
	ev.levels = factorLevels(v)
	for f := Factor(0); f < numFactors; f++ {
		l := ev.levels[f]
		if l == Missing || !m.Used[f] {
			continue
		}
		ev.used[f] = true
		ev.lm[f], ev.lh[f], ev.lu[f] = s.levelLogs(f, l)
	}
	if ev.levels[FactorSuffix] == Different && !ev.used[FactorSuffix] {
		// "Jr" on one form and "Sr" on the other: a father and his son.
		// Suffixes are too rare for two random forms to both carry one
		// (about 3 in 400,000 sampled pairs of a city), so the factor does
		// not count as filled in, but where both forms do carry one, a
		// disagreement is decisive; the model's prior weighs it.
		ev.used[FactorSuffix] = true
		ev.lm[FactorSuffix], ev.lh[FactorSuffix], ev.lu[FactorSuffix] = s.levelLogs(FactorSuffix, Different)
	}
	if l := ev.levels[FactorGiven]; ev.used[FactorGiven] && (l == Exact || l == Strong) && oneSuffix(a, b) {
		// "Jr" or "Sr" on one form and none on the other: whoever writes
		// a suffix has a namesake in the family, so a relative who shares
		// the given name is far likelier here than among relatives at
		// large (hBounds caps that at a tenth): the father beside the
		// son's form.
		ev.lh[FactorGiven] = lg(namesakeShare)
	}
	if l := ev.levels[FactorGiven]; ev.used[FactorGiven] && (l == Strong || l == Weak || l == Phonetic) && s.distinctNames(a, b) {
		// Two different names that are both common in the city ("José"
		// and "Jesús", "Huong" and "Phuong", "Daniel" and "Daniela"):
		// alike to Jaro–Winkler or a phonetic key, yet a clerk's typo
		// seldom turns one real name into another, while a twin, a
		// brother or a sister is named exactly so.
		ev.levels[FactorGiven] = Different
		ev.lm[FactorGiven], ev.lh[FactorGiven], ev.lu[FactorGiven] = s.levelLogs(FactorGiven, Different)
	}
	if ev.levels[FactorBirth] == Strong && ev.used[FactorBirth] && swappedDates(a, b) {
		// Day and month written the other way round (DD/MM against
		// MM/DD): a stranger's birth date is this swapped date as seldom
		// as it is the date itself, where one mistyped digit meets many
		// more strangers' dates, so the swap is weighed with exact
		// agreement's u and its own share (swapShare) of the level's m.
		m := s.model
		ev.lm[FactorBirth] = lg(swapShare * m.M[FactorBirth][Strong])
		ev.lh[FactorBirth] = lg(swapShare * m.H[FactorBirth][Strong])
		ev.lu[FactorBirth] = lgU(m.U[FactorBirth][Exact])
	}
	if ev.levels[FactorBirth] == Weak && ev.used[FactorBirth] && yearOffByOne(a, b) {
		// The same day and month a year apart ("1980" for "1981", the age
		// counted wrong, or "1979" for "1980"): a stranger's birth date is
		// the one before or after this date about twice as often as it is
		// this date, where two mistyped digits meet many more strangers'
		// dates. So the year off by one is weighed with twice exact
		// agreement's u and its own share (yearOffShare) of the level's m.
		// A relative's date is this one by chance, as a stranger's is
		// (twins are Exact), so the household class keeps of the level
		// the share strangers keep.
		m := s.model
		u := 2 * m.U[FactorBirth][Exact]
		ev.lm[FactorBirth] = lg(yearOffShare * m.M[FactorBirth][Weak])
		ev.lh[FactorBirth] = lg(m.H[FactorBirth][Weak] * math.Min(u/math.Max(m.U[FactorBirth][Weak], uFloor), 1))
		ev.lu[FactorBirth] = lgU(u)
	}
	if s.tf != nil {
		for i, fld := range tfFields {
			f := tfFactor(fld)
			if ev.levels[f] != Exact || !ev.used[f] {
				continue
			}
			id := a.exact[i]
			if id == 0 || id != b.exact[i] {
				continue // the exact level came from another route (a swap, the unit)
			}
			share := s.tf.share(fld, id)
			if other, ok := crossField(fld); ok && share > 0 {
				// A name common in the other box ("Nguyen" as a given
				// name, "Hang" as a surname) is a common name written
				// in swapped order, not a rare one.
				share = math.Max(share, s.tf.share(other, id))
			}
			if share > 0 {
				ev.lu[f] = lgU(math.Min(share, 0.5))
			}
		}
		// Agreement through one part of a name ("Jean" and "Jean-Claude",
		// "García" and "García López") weighs by how common that part
		// is: the rarest shared part counts.
		for _, t := range [...]struct {
			f    Factor
			a, b []uint64
			tf   map[uint64]int32
		}{{FactorGiven, a.gTok(), b.gTok(), s.tf.tokG}, {FactorSurname, a.sTok(), b.sTok(), s.tf.tokS}} {
			if l := ev.levels[t.f]; (l != Strong && l != Weak) || !ev.used[t.f] || s.tf.records < 50 {
				continue
			}
			best := math.Inf(1)
			for _, x := range t.a {
				for _, y := range t.b {
					if x == y {
						best = math.Min(best, float64(max(t.tf[x], 1)))
					}
				}
			}
			if !math.IsInf(best, 1) {
				ev.lu[t.f] = lgU(math.Min(best/float64(s.tf.records), 0.5))
			}
		}
	}
	return ev
}

// namesakeShare is the chance that a relative shares the given name of a
// form that carries a generational suffix ("Jr", "Sr"): the namesake is one
// of the few relatives (father or son, mother, brothers and sisters) such a
// form is compared with at home.
const namesakeShare = 0.3

// oneSuffix reports whether exactly one of a and b carries a generational
// suffix.
func oneSuffix(a, b *entry) bool {
	switch {
	case a.p != nil && b.p != nil:
		return (a.p.suffix != "") != (b.p.suffix != "")
	case a.e != nil && b.e != nil:
		return (a.e.Exact[Suffix] != 0) != (b.e.Exact[Suffix] != 0)
	}
	return false
}

// swapShare is the share of the birth date's Strong level (one keystroke
// apart, or day and month swapped) that is a swap; setPriors takes the
// same share.
const swapShare = 0.5

// yearOffShare is the share of the birth date's Weak level (two keystrokes
// apart, or one in the year with the same day and month) that is a year off
// by one with the same day and month: 858 of 1,983 true pairs at Weak on the
// 100k synthetic city (seed 1), where a form gives the year off by one as
// often as two mistyped digits.
const yearOffShare = 0.4

// yearOffByOne reports whether a's and b's birth dates have the same day and
// month and years one apart (plain records only, as swappedDates).
func yearOffByOne(a, b *entry) bool {
	if a.p == nil || b.p == nil {
		return false
	}
	x, y := a.p.dob, b.p.dob
	return !x.zero() && !y.zero() && x.M > 0 && x.D > 0 && x.M == y.M && x.D == y.D && (x.Y-y.Y == 1 || y.Y-x.Y == 1)
}

// swappedDates reports whether a's and b's birth dates are the same date
// with day and month swapped (plain records only: an encoding keeps no
// date to compare so).
func swappedDates(a, b *entry) bool {
	if a.p == nil || b.p == nil {
		return false
	}
	x, y := a.p.dob, b.p.dob
	return !x.zero() && !y.zero() && x.Y == y.Y && x.M == y.D && x.D == y.M && x.M != x.D
}

// commonName is how many records must hold a given name, at the least and
// per million records, for distinctNames to take it as a name in its own
// right rather than a misspelling of another.
const (
	commonNameMin        = 5
	commonNamePerMillion = 200
)

// distinctNames reports whether the given names of a and b are two
// different names that are each common in the population: neither's
// first name (or a nickname of it) is among the other's names, neither
// is an initial, no name is in the other's surname box, and each first name
// is held by enough records (term frequencies) that it is unlikely to be
// a typo. Names compared across scripts are never distinct here.
func (s *scorer) distinctNames(a, b *entry) bool {
	if s.tf == nil || a.gFirst == 0 || b.gFirst == 0 ||
		// The first name of either among the other's names or nicknames
		// ("José" and "José Luis", "Lupe" and "María Guadalupe"). A later
		// name shared is no such sign: Arab brothers and sisters share
		// their father's ("Nabil Jamal", "Huda Jamal").
		shareAny(a.gTok()[:a.gFirst], b.gTok()) || shareAny(b.gTok()[:b.gFirst], a.gTok()) ||
		shareAny(a.gTok(), b.sTok()) || shareAny(a.sTok(), b.gTok()) { // names in each other's boxes
		return false
	}
	switch {
	case a.p != nil && b.p != nil:
		x, y := a.p.given[0], b.p.given[0]
		if a.p.arabic != b.p.arabic || len(x) < 2 || len(y) < 2 {
			return false // across scripts; an initial
		}
		// Two names the nickname table knows, in no group together
		// ("Hassan" and "Hussein", "José" and "Josefina"), or a man's
		// and a woman's form of one name ("Francisco" and "Francisca",
		// "Daniel" and "Daniela"), are two names however alike they
		// look: twins are named so; one person's forms are not. (Names
		// of one nickname group, "Ann" and "Anna", left above.)
		twoNames := s.nick.apart(x, y) || genderedPair(x, y)
		if !twoNames && ((a.gCons != 0 && a.gCons == b.gCons) || // "Huda" and "Houda", "Jean" and "Jen": vowels only
			(min(len(x), len(y)) >= 3 && (strings.HasPrefix(x, y) || strings.HasPrefix(y, x)))) { // "Dieu" for "Dieudonné"
			return false
		}
	case a.e != nil && b.e != nil:
		if a.e.Arabic != b.e.Arabic || (a.gCons != 0 && a.gCons == b.gCons) {
			return false
		}
	default:
		return false
	}
	need := max(commonNameMin, int32(s.tf.records*commonNamePerMillion/1_000_000))
	return s.tf.tokG[a.tok[0]] >= need && s.tf.tokG[b.tok[0]] >= need
}

// genderedPair reports whether x and y are a man's and a woman's form of
// one name: "-o" and "-a" ("Francisco", "Francisca"; "Mario", "María"), or
// the woman's the man's with an ending added ("Daniel", "Daniela"; "Juan",
// "Juana"; "Louis", "Louise"; "Michel", "Michelle"; "Jean", "Jeanne").
// Names are folded (no accents).
func genderedPair(x, y string) bool {
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < 3 {
		return false
	}
	if len(x) == len(y) {
		n := len(x) - 1
		return x[:n] == y[:n] && ((x[n] == 'o' && y[n] == 'a') || (x[n] == 'a' && y[n] == 'o'))
	}
	if !strings.HasPrefix(y, x) || strings.ContainsRune("aeiouy", rune(x[len(x)-1])) {
		return false
	}
	switch y[len(x):] {
	case "a", "e", "le", "ne", "ine", "ina":
		return true
	}
	return false
}

// consonantKey is a name's consonants in order, doubled letters once, y
// and w as vowels, an initial y as j and ch as sh: names that differ only
// in their vowels are mostly one name transliterated twice ("Huda",
// "Houda"; "Mahmud", "Mahmoud"; "Muhammed", "Mohammed"; "Reem", "Rim";
// "Yasmin", "Jasmin"; "Rasha", "Racha") or mistyped ("Jean", "Jen").
// "José" and "Jesús" (j-s, j-s-s) stay apart.
func consonantKey(name string) string {
	var b strings.Builder
	var last rune
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case i == 0 && r == 'y':
			r = 'j'
		case r == 'c' && i+1 < len(rs) && rs[i+1] == 'h':
			r = 's'
		}
		if strings.ContainsRune("aeiouyw", r) {
			last = 0
			continue
		}
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// weight combines the classes: log2 of the odds that the pair is one
// person against the two other classes together.
func (s *scorer) weight(ev *classEvidence) (w float64, againstHousehold bool) {
	var lm, lh, lu float64
	if t := s.logs; t != nil && t.of == s.model && s.priorM <= 0 {
		lm, lh, lu = t.prior[0], t.prior[1], t.prior[2]
	} else {
		pm, ph := s.priors()
		lm, lh, lu = lg2(pm), lg2(ph), lg2(1-pm-ph)
	}
	for f := Factor(0); f < numFactors; f++ {
		if ev.used[f] {
			lm += ev.lm[f]
			lh += ev.lh[f]
			lu += ev.lu[f]
		}
	}
	return lm - logSum2(lu, lh), lh > lu
}

// lg2 is log2 with log2(0) = −∞ (a class with no prior never explains a pair).
func lg2(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	return math.Log2(p)
}

// score returns the comparison vector and match weight (log2 odds) of a pair.
func (s *scorer) score(a, b *entry) (Vector, float64) {
	// A candidate in an index is packed: unpacked once for the comparison
	// and the evidence both.
	a, b = s.unpackPair(a, b)
	return s.scoreResolved(a, b)
}

func (s *scorer) scoreResolved(a, b *entry) (Vector, float64) {
	v := s.compareResolved(a, b)
	if v == allMissing {
		return v, math.Inf(-1)
	}
	ev := s.evidence(a, b, v)
	w, _ := s.weight(&ev)
	return v, w
}

// termFreq counts how many records hold each value of the TF fields.
type termFreq struct {
	counts [numFields]map[uint64]int32
	total  [numFields]int64
	// Records holding each given-name and surname token.
	tokG, tokS map[uint64]int32
	records    int64
}

func newTermFreq() *termFreq {
	t := &termFreq{tokG: map[uint64]int32{}, tokS: map[uint64]int32{}}
	for _, f := range tfFields {
		t.counts[f] = make(map[uint64]int32)
	}
	return t
}

func addTokens(m map[uint64]int32, toks []uint64, delta int32) {
	for i, x := range toks {
		if slices.Contains(toks[:i], x) {
			continue // once per record
		}
		m[x] += delta
		if m[x] <= 0 {
			delete(m, x)
		}
	}
}

func (t *termFreq) add(e *entry, delta int32) {
	t.records += int64(delta)
	addTokens(t.tokG, e.gTok(), delta)
	addTokens(t.tokS, e.sTok(), delta)
	for i, f := range tfFields {
		if id := e.exact[i]; id != 0 {
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

// sampleRandom compares random pairs of the population and counts their
// factor levels; almost all random pairs are two strangers.
func sampleRandom(entries []entry, sc *scorer, rng *rand.Rand, workers int) map[levelsKey]float64 {
	n := len(entries)
	if n < 2 {
		return map[levelsKey]float64{}
	}
	samples := min(n*(n-1)/2, 400_000)
	pairs := make([][2]int32, 0, samples)
	for k := 0; k < samples; k++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j {
			continue
		}
		pairs = append(pairs, [2]int32{int32(i), int32(j)})
	}
	return histogram(levelCounts(entries, sc, pairs, workers), 1)
}

// levelCounts compares pairs of entries on workers goroutines (each with
// its own copy of sc, to unpack into) and counts the vectors of factor
// levels. The pairs are chosen before, in one goroutine, so that a seeded
// generator chooses the same ones however many workers compare them.
func levelCounts(entries []entry, sc *scorer, pairs [][2]int32, workers int) map[levelsKey]int {
	workers = max(1, min(workers, len(pairs)/1000))
	counts := make([]map[levelsKey]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := map[levelsKey]int{}
			s := *sc
			s.buf = new(unpackBuf)
			for _, p := range pairs[w*len(pairs)/workers : (w+1)*len(pairs)/workers] {
				c[packLevels(factorLevels(s.compare(&entries[p[0]], &entries[p[1]])))]++
			}
			counts[w] = c
		}()
	}
	wg.Wait()
	all := counts[0]
	for _, c := range counts[1:] {
		for k, n := range c {
			all[k] += n
		}
	}
	return all
}

// histogram turns counts of level vectors into a histogram in which each
// pair weighs weight. The weights are added one pair at a time, as a
// histogram filled pair by pair would hold them: the same float sums, so
// the same model, however the pairs were counted.
func histogram(counts map[levelsKey]int, weight float64) map[levelsKey]float64 {
	hist := make(map[levelsKey]float64, len(counts))
	for k, n := range counts {
		var h float64
		for range n {
			h += weight
		}
		hist[k] = h
	}
	return hist
}

// fitU sets U from a sample of random pairs. With decontaminate, each
// pair counts by its chance of being two strangers under the current
// model: in a file dense with duplicates (FEBRL's hold one pair in 2,000
// random pairs), matches would otherwise teach u that agreeing on a birth
// date or an address is ten times commoner among strangers than it is. It
// also marks which factors the population fills in.
func (m *Model) fitU(hist map[levelsKey]float64, decontaminate bool) {
	var uc [numFactors][numLevels]float64
	var samples float64
	for _, r := range sortedRows(hist) {
		k, n := r.k, r.n
		samples += n
		w := 1.0
		if decontaminate {
			lm, lh, lu := lg2(m.PriorM), lg2(m.PriorH), lg2(1-m.PriorM-m.PriorH)
			for f := Factor(0); f < numFactors; f++ {
				if l := k.get(f); l != Missing && m.Used[f] {
					lm += lg(m.M[f][l])
					lh += lg(m.H[f][l])
					lu += lgU(m.U[f][l])
				}
			}
			w = math.Exp2(lu - logSum2(logSum2(lm, lh), lu))
		}
		for f := Factor(0); f < numFactors; f++ {
			uc[f][k.get(f)] += n * w
		}
	}
	for f := Factor(0); f < numFactors; f++ {
		var sum float64
		for l := Level(0); l < Missing; l++ {
			sum += uc[f][l]
		}
		if !decontaminate {
			m.Used[f] = sum > 0.01*samples
		}
		if sum == 0 {
			continue
		}
		for l := Level(0); l < Missing; l++ {
			// A tenth of a pair for every level: one never seen among
			// random pairs is rare, not impossible.
			m.U[f][l] = (uc[f][l] + 0.1) / (sum + 0.1*float64(Missing))
		}
	}
}

// minTrain is the smallest population train estimates parameters from.
const minTrain = 200

// trainPairs is the most pairs EM looks at per training rule.
const trainPairs = 1_000_000

// trainDateBlock is the largest same-day block training takes whole,
// whatever the comparison cap (docs/linkage.md "Why movers fall at 1M").
const trainDateBlock = 500

// kappa and kappaH are the weights, in pairs, of the priors on m and h in
// EM. Households are the weaker-identified class (a pair at one address
// may be one person or two), so their prior weighs more.
const (
	kappa  = 50
	kappaH = 500
)

// train estimates a Model from a population; pairs is the number of pairs
// a run could compare (n(n−1)/2, or n1·n2 when linking two files).
//   - u from random pairs (almost all of them two strangers);
//   - h and the share of households by EM over pairs that share an
//     address (one person who did not move, two people of one household,
//     neighbours), m and u held;
//   - m by EM over pairs born the same day (for every factor but the
//     birth date) and over pairs whose names sound alike (for the birth
//     date), u and h held, as Splink does per blocking rule;
//   - both again, each with the other's estimate;
//   - the priors: matches among the same-day pairs over the share of
//     matches whose dates agree, over all pairs; households likewise.
//
// rng makes the sampling reproducible; workers goroutines compare the pairs.
func train(entries []entry, sc *scorer, maxBlock int, dupRate float64, pairs float64, rng *rand.Rand, workers int) *Model {
	m := DefaultModel()
	sc.model = m
	n := len(entries)
	if n < minTrain {
		// Too few records to estimate anything: default parameters, and a
		// prior from the usual share of duplicates.
		m.PriorM = math.Min(2*dupRate/float64(max(n-1, 1)), 0.4)
		m.PriorH = math.Min(2/float64(max(n-1, 1)), 0.4)
		return m
	}
	histU := sampleRandom(entries, sc, rng, workers)
	m.fitU(histU, false)
	histA, pairsA := ruleHistogram(entries, func(e *entry) uint64 { return e.addrKey }, sc, maxBlock, rng, workers)
	// The prior comes from the same-day blocks, so they are taken whole up
	// to trainDateBlock records whatever the comparison cap: at 1,000,000
	// records 85 % of them are on a birth date shared by more than the cap
	// (50), and the matches counted on the rest put the prior too low.
	histB, pairsB := ruleHistogram(entries, func(e *entry) uint64 { return e.dobKey }, sc, max(maxBlock, trainDateBlock), rng, workers)
	histC, _ := ruleHistogram(entries, func(e *entry) uint64 { return e.nameKey }, sc, maxBlock, rng, workers)
	var skipA, skipB, skipC [numFactors]bool
	skipA[FactorAddress] = true
	skipB[FactorBirth] = true
	skipC[FactorGiven], skipC[FactorSurname] = true, true
	var shA, shB emShares
	// Start as if the population lived in families (tight bounds); the
	// first round's estimates tell.
	m.PriorH, m.PriorM = 1e-4, 1e-4
	for round := 0; round < 3; round++ {
		if round == 2 {
			// Now that m and the priors are known, take the matches out of
			// the random pairs and estimate again (a few times: each pass
			// sharpens the next).
			for range 4 {
				m.fitU(histU, true)
			}
		}
		shA = m.em(histA, 30, emOptions{skip: skipA, updateM: round > 0, updateH: true, kappaM: kappa, kappaH: kappaH})
		shB = m.em(histB, 30, emOptions{skip: skipB, updateM: true, kappaM: kappa})
		if len(histC) > 0 {
			c := *m
			c.em(histC, 30, emOptions{skip: skipC, updateM: true, kappaM: kappa})
			m.M[FactorBirth] = c.M[FactorBirth]
			m.constrain()
		}
		m.setPriors(shA, shB, pairsA, pairsB, pairs)
	}
	return m
}

// sameDayMatches turns the share of one person among the pairs born the
// same day (EM on the same-day blocks, pairs of them) into the matches
// among all pairs: the same-day blocks hold only the matches whose dates
// agree exactly or with day and month swapped (about half of the Strong
// level).
func (m *Model) sameDayMatches(share float64, pairs int64) float64 {
	birthAgree := math.Max(m.M[FactorBirth][Exact]+swapShare*m.M[FactorBirth][Strong], 0.3)
	return share * float64(pairs) / birthAgree
}

// setPriors turns class shares in the training blocks into priors over
// all pairs.
func (m *Model) setPriors(shA, shB emShares, pairsA, pairsB int64, pairs float64) {
	pairs = math.Max(pairs, 1)
	matches := m.sameDayMatches(shB.m, pairsB)
	m.PriorM = math.Min(math.Max(matches/pairs, 1e-12), 0.4)
	addrAgree := math.Max(m.H[FactorAddress][Exact]+m.H[FactorAddress][Strong], 0.5)
	households := shA.h * float64(pairsA) / addrAgree
	// A population with a few household-like pairs per hundred duplicates
	// has no families to speak of (FEBRL's files: the "household" pairs EM
	// finds there are duplicates with two fields replaced); one with more
	// than ten has. In between, the household class fades in.
	ramp := 1.0
	if matches > 0 {
		ramp = math.Min(math.Max((households/matches-0.02)/(0.1-0.02), 0), 1)
	}
	m.PriorH = math.Min(math.Max(ramp*households/pairs, 0), 0.4)
}

// ruleHistogram counts factor levels over the pairs that share key
// (sampled down to trainPairs) and returns the number of such pairs.
func ruleHistogram(entries []entry, key func(*entry) uint64, sc *scorer, maxBlock int, rng *rand.Rand, workers int) (map[levelsKey]float64, int64) {
	blocks := map[uint64][]int32{}
	var order []uint64 // keys in the order of their first record: the sample is drawn in it
	for i := range entries {
		if k := key(&entries[i]); k != 0 {
			if _, ok := blocks[k]; !ok {
				order = append(order, k)
			}
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	var total int64
	for _, ids := range blocks {
		if len(ids) <= maxBlock {
			total += int64(len(ids)) * int64(len(ids)-1) / 2
		}
	}
	if total == 0 {
		return map[levelsKey]float64{}, 0
	}
	keep := math.Min(1, float64(trainPairs)/float64(total))
	var pairs [][2]int32
	for _, k := range order {
		ids := blocks[k]
		if len(ids) > maxBlock {
			continue
		}
		for x := range ids {
			for y := x + 1; y < len(ids); y++ {
				if keep < 1 && rng.Float64() >= keep {
					continue
				}
				pairs = append(pairs, [2]int32{ids[x], ids[y]})
			}
		}
	}
	return histogram(levelCounts(entries, sc, pairs, workers), 1/keep), total
}
