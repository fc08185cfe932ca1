package linkage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"slices"
	"strconv"
	"strings"
)

// Bloom-filter parameters: 256 bits per field and 10 bit positions per
// q-gram keep Dice similarities close to those of the plaintext q-grams for
// names of up to ~20 letters.
const (
	bloomWords  = 4
	bloomBits   = bloomWords * 64
	bloomHashes = 10
	// MinKeyLen is the shortest accepted encoding key (256 bits).
	MinKeyLen = 32
)

// ErrShortKey is returned for an encoding key shorter than MinKeyLen.
var ErrShortKey = errors.New("linkage: encoding key shorter than 32 bytes")

// Bloom is one field's keyed Bloom filter.
type Bloom [bloomWords]uint64

func (b *Bloom) empty() bool { return *b == Bloom{} }

// Encoding is everything the privacy-preserving mode keeps about a person:
// per-field keyed Bloom filters of q-grams, keyed hashes of normalized values
// (for exact agreement and term frequencies), of phonetic keys and of name
// tokens, and keyed blocking keys. Without the key none of it can be turned
// back into names by a dictionary attack on plaintext; with the key it still
// holds no plaintext. It is safe to serialize (JSON, CBOR).
type Encoding struct {
	Filters     [numFields]Bloom  `json:"f"`
	Exact       [numFields]uint64 `json:"x"`
	Sounds      [numFields]uint64 `json:"p"`
	GivenFirst  []uint64          `json:"g1,omitempty"` // first given name and its nickname groups
	GivenTokens []uint64          `json:"g,omitempty"`  // every given name and their nickname groups
	GivenExact  []uint64          `json:"ge,omitempty"` // every given name (no nickname groups)
	// GivenConsonants is a keyed hash of the first given name's
	// consonants (consonantKey): names that differ only in vowels.
	GivenConsonants uint64   `json:"gc,omitempty"`
	SurTokens       []uint64 `json:"s,omitempty"`
	Keys            []uint64 `json:"k"`
	// Skeletons of given name and surname (Skeleton), kept for names in
	// Arabic script and compared only across scripts; Arabic says which
	// side is which.
	Skel   [2]uint64 `json:"sk,omitempty"`
	Arabic bool      `json:"ar,omitempty"`
	// DateParts are keyed hashes of year+month, month+day and year+day of
	// the birth date: two dates that share one are two parts alike.
	DateParts [3]uint64 `json:"dp,omitempty"`
	// DateDigits are keyed 16-bit digests of the birth date's digits,
	// each with its place, then of each two neighbouring digits in either
	// order with theirs: enough to count keystrokes between two dates
	// (a digit mistyped, two swapped) as plain mode does (compareDate).
	// Dice of the dates' filters cannot: three wrong digits of eight left
	// 0.75 of the filter alike, "weak", and a father and son of one name
	// born 1966-01-04 and 1994-06-04 were linked. A digest says no more
	// than the date's filter, whose bits are the same digit-with-place
	// grams under the same key. DateImpossible marks a date that is no
	// date (month 13, year 2603): certainly mistyped.
	DateDigits     []uint16 `json:"dd,omitempty"`
	DateImpossible bool     `json:"di,omitempty"`
	// GivenRest are keyed hashes of each given name after the first, and
	// of it with one letter left out; GivenRestInitials of the first
	// letter of each such name of two letters or more, GivenRestLetters of
	// each that is a single letter ("María J."). Two compound names that
	// share the first part and nothing a typo, a nickname or an initial
	// explains are two names, as in plain mode (compareGiven): twins
	// "Jean-Claude" and "Jean-Rony".
	GivenRest         []uint64 `json:"gr,omitempty"`
	GivenRestInitials []uint64 `json:"gri,omitempty"`
	GivenRestLetters  []uint64 `json:"grl,omitempty"`
	// GivenJoined is a keyed hash of the given names written without
	// spaces; GivenSuffixes, for a single given name, of its endings of
	// two letters or more after at least two (in the domain of given-name
	// tokens): "Thi My" and "Thimy", "Kim" and "Hoaikim" — names run
	// together, as US systems often store Vietnamese names (runTogether in
	// plain mode).
	GivenJoined   uint64   `json:"gj,omitempty"`
	GivenSuffixes []uint64 `json:"gsx,omitempty"`
}

// Encoder turns Records into Encodings under one secret key (from the vault).
type Encoder struct {
	key  []byte
	nick Nicknames
}

// NewEncoder returns an Encoder for key, which must be at least MinKeyLen bytes.
func NewEncoder(key []byte) (*Encoder, error) {
	if len(key) < MinKeyLen {
		return nil, ErrShortKey
	}
	return &Encoder{key: slices.Clone(key), nick: NewNicknames()}, nil
}

// Encode encodes one record.
func (e *Encoder) Encode(r Record) Encoding {
	return e.encodePrepared(prepare(&r, e.nick))
}

// keyedHasher computes truncated HMAC-SHA256 tags; not safe for concurrent use.
type keyedHasher struct{ mac hash.Hash }

func (h *keyedHasher) sum(parts ...string) uint64 {
	h.mac.Reset()
	for i, p := range parts {
		if i > 0 {
			h.mac.Write([]byte{0})
		}
		h.mac.Write([]byte(p))
	}
	var out [sha256.Size]byte
	v := binary.LittleEndian.Uint64(h.mac.Sum(out[:0]))
	if v == 0 {
		v = 1 // 0 means "missing"
	}
	return v
}

func (e *Encoder) encodePrepared(p *prepared) Encoding {
	h := &keyedHasher{mac: hmac.New(sha256.New, e.key)}
	var enc Encoding
	for f := Field(0); f < numFields; f++ {
		v := p.display(f)
		if v == "" {
			continue
		}
		enc.Exact[f] = h.sum("x", f.String(), exactValue(p, f))
		switch f {
		case BirthDate, StreetNumber, PostalCode, Phone:
			enc.Filters[f] = h.bloom(f.String(), positional(v))
		default:
			enc.Filters[f] = h.bloom(bloomDomain(f), bigrams(Loose(v)))
		}
	}
	if p.givenSp != "" {
		enc.Sounds[GivenName] = h.sum("p", p.givenSp)
		for i, t := range p.given {
			toks := []uint64{h.sum("t", t)}
			enc.GivenExact = append(enc.GivenExact, toks[0])
			for _, g := range e.nick[t] {
				toks = append(toks, h.sum("n", strconv.Itoa(int(g))))
			}
			if i == 0 {
				enc.GivenFirst = toks
				enc.GivenConsonants = h.sum("gc", consonantKey(t))
			}
			enc.GivenTokens = append(enc.GivenTokens, toks...)
			if i > 0 {
				enc.givenRest(h, t)
			}
		}
	}
	if p.givenNoSp != "" {
		enc.GivenJoined = h.sum("gj", p.givenNoSp)
	}
	if len(p.given) == 1 {
		t := p.given[0]
		for i := range t {
			if i >= 2 && len(t)-i >= 2 {
				enc.GivenSuffixes = append(enc.GivenSuffixes, h.sum("t", t[i:]))
			}
		}
	}
	if len(p.surSp) > 0 {
		enc.Sounds[Surname] = h.sum("p", p.surSp[0])
		for _, t := range p.sur {
			enc.SurTokens = append(enc.SurTokens, h.sum("t", t))
		}
	}
	if p.citySp != "" {
		enc.Sounds[City] = h.sum("p", p.citySp)
	}
	enc.Arabic = p.arabic
	if k := Skeleton(p.givenFull); k != "" {
		enc.Skel[0] = h.sum("sk", k)
	}
	if k := Skeleton(p.surFull); k != "" {
		enc.Skel[1] = h.sum("sk", k)
	}
	if !p.dob.zero() {
		// Day and month in either order: catches swapped dates.
		m, d := min(p.dob.M, p.dob.D), max(p.dob.M, p.dob.D)
		enc.Sounds[BirthDate] = h.sum("d", strconv.Itoa(p.dob.Y), strconv.Itoa(m), strconv.Itoa(d))
		y, mo, dd := strconv.Itoa(p.dob.Y), strconv.Itoa(p.dob.M), strconv.Itoa(p.dob.D)
		enc.DateParts = [3]uint64{h.sum("ym", y, mo), h.sum("md", mo, dd), h.sum("yd", y, dd)}
		enc.DateDigits = dateDigits(h, p.dob.Digits)
		enc.DateImpossible = !p.dob.possible()
	}
	for _, k := range blockKeys(p, e.nick) {
		enc.Keys = append(enc.Keys, blockKey(h, k))
	}
	return enc
}

// blockKey is the keyed hash an encoding holds for the blocking key k.
func blockKey(h *keyedHasher, k string) uint64 { return h.sum("k", k) }

// blockKeyHash is the keyed hash encodings made by e hold for the blocking
// key k (blockKeys): what a trace looks blocks up by.
func (e *Encoder) blockKeyHash(k string) uint64 {
	return blockKey(&keyedHasher{mac: hmac.New(sha256.New, e.key)}, k)
}

// givenRest adds a given name after the first to GivenRest and its
// initial to GivenRestInitials or GivenRestLetters.
func (enc *Encoding) givenRest(h *keyedHasher, t string) {
	rs := []rune(t)
	if len(rs) == 1 {
		enc.GivenRestLetters = append(enc.GivenRestLetters, h.sum("gi", t))
		return
	}
	enc.GivenRestInitials = append(enc.GivenRestInitials, h.sum("gi", string(rs[0])))
	enc.GivenRest = append(enc.GivenRest, h.sum("gr", t))
	for i := range rs {
		enc.GivenRest = append(enc.GivenRest, h.sum("gr", string(rs[:i])+string(rs[i+1:])))
	}
}

// restAlike reports whether the given names after the first of a and b
// could be one name: one letter apart (each with a letter left out shares
// a hash: a typo, a letter added or dropped) or one the initial of the
// other (restAgrees in plain mode; nicknames are GivenTokens').
func restAlike(a, b *Encoding) bool {
	return shareAny(a.GivenRest, b.GivenRest) || shareAny(a.GivenRestLetters, b.GivenRestInitials) ||
		shareAny(b.GivenRestLetters, a.GivenRestInitials) || shareAny(a.GivenRestLetters, b.GivenRestLetters)
}

// dateDigits digests each digit of a date with its place, then each two
// neighbouring digits (in either order) with the place of the first.
func dateDigits(h *keyedHasher, digits string) []uint16 {
	n := len(digits)
	out := make([]uint16, 0, 2*n-1)
	for i := range n {
		out = append(out, uint16(h.sum("dd", strconv.Itoa(i), digits[i:i+1])))
	}
	for i := range n - 1 {
		x, y := digits[i:i+1], digits[i+1:i+2]
		out = append(out, uint16(h.sum("dt", strconv.Itoa(i), min(x, y), max(x, y))))
	}
	return out
}

// dateKeystrokes counts the keystrokes between two dates' digests
// (dateDigits): a digit in the wrong place costs one, two neighbours
// swapped one. It answers up to 3 ("more than two"), and ok is false when
// the dates cannot be compared so (encodings made before DateDigits, or a
// date of another length).
func dateKeystrokes(a, b []uint16) (d int, ok bool) {
	if len(a) == 0 || len(a) != len(b) {
		return 0, false
	}
	n := (len(a) + 1) / 2
	pair := func(i int) bool { return a[n+i] == b[n+i] }
	for i := 0; i < n && d < 3; i++ {
		if a[i] == b[i] {
			continue
		}
		d++
		if i+1 < n && a[i+1] != b[i+1] && pair(i) {
			i++ // "12" and "21": one swap
		}
	}
	return d, true
}

// exactValue is the value whose equality means Exact for field f.
func exactValue(p *prepared, f Field) string {
	switch f {
	case GivenName:
		return p.givenFull
	case Surname:
		s := slices.Clone(p.sur)
		slices.Sort(s) // swapped surnames are the same surnames
		return strings.Join(s, " ")
	}
	return p.display(f)
}

func (h *keyedHasher) bloom(field string, grams []string) Bloom {
	var b Bloom
	for _, g := range grams {
		h.mac.Reset()
		h.mac.Write([]byte(field))
		h.mac.Write([]byte{0})
		h.mac.Write([]byte(g))
		var out [sha256.Size]byte
		sum := h.mac.Sum(out[:0])
		// Double hashing: positions h1 + i·h2 (Kirsch–Mitzenmacher).
		h1 := binary.LittleEndian.Uint64(sum[0:8])
		h2 := binary.LittleEndian.Uint64(sum[8:16]) | 1
		for i := uint64(0); i < bloomHashes; i++ {
			pos := (h1 + i*h2) % bloomBits
			b[pos/64] |= 1 << (pos % 64)
		}
	}
	return b
}

// bigrams returns the padded bigrams of s: "ana" → _a an na a_.
func bigrams(s string) []string {
	r := []rune("_" + s + "_")
	if len(r) > maxFieldRunes {
		r = r[:maxFieldRunes]
	}
	out := make([]string, 0, len(r)-1)
	for i := 0; i+1 < len(r); i++ {
		out = append(out, string(r[i:i+2]))
	}
	return out
}

// positional returns position-tagged characters, so that a digit typo in a
// date or postcode costs one gram and "1980" ≠ "1908".
func positional(s string) []string {
	out := make([]string, 0, len(s))
	for i, r := range s {
		if i >= 32 {
			break
		}
		out = append(out, strconv.Itoa(i)+string(r))
	}
	return out
}

// Dice cut-offs on Bloom filters for the fuzzy levels. One typo in a name of
// eight letters leaves about 0.78 of the bigrams in common.
const (
	strongDice = 0.8
	weakDice   = 0.65
)

func diceLevel(a, b *Bloom, strong, weak float64) Level {
	return simLevel(Dice(a[:], b[:]), strong, weak)
}

func shareAny(a, b []uint64) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// compareEncoded compares two encodings in the same levels as comparePlain.
func compareEncoded(a, b *Encoding) Vector {
	var v Vector
	for f := Field(0); f < numFields; f++ {
		v.set(f, compareEncodedField(a, b, f))
	}
	g, s := v.Get(GivenName), v.Get(Surname)
	if g > Strong || s > Strong {
		gx := crossLevel(&a.Filters[GivenName], &b.Filters[Surname])
		sx := crossLevel(&a.Filters[Surname], &b.Filters[GivenName])
		if betterSwapped(g, s, gx, sx) {
			g, s = swappedLevels(gx, sx)
			v.set(GivenName, g)
			v.set(Surname, s)
		}
	}
	st, l2 := v.Get(StreetName), v.Get(Line2)
	if st >= Weak && l2 >= Weak {
		stx := crossLevel(&a.Filters[StreetName], &b.Filters[Line2])
		l2x := crossLevel(&a.Filters[Line2], &b.Filters[StreetName])
		if stx != Missing && l2x != Missing && stx+l2x < st+l2 {
			v.set(StreetName, stx)
			v.set(Line2, l2x)
		}
	}
	return v
}

// skelLevel compares keyed skeletons of a name in two scripts.
func skelLevel(a, b uint64) Level {
	if a != 0 && a == b {
		return Strong
	}
	return Different
}

// bloomDomain is the HMAC domain of a field's q-grams. Given name and
// surname share one, and so do the two address lines, so that filters of
// values written in each other's boxes can still be compared.
func bloomDomain(f Field) string {
	switch f {
	case GivenName, Surname:
		return "name"
	case StreetName, Line2:
		return "addr"
	}
	return f.String()
}

// crossLevel compares filters of two fields of the same domain.
func crossLevel(a, b *Bloom) Level {
	if a.empty() || b.empty() {
		return Missing
	}
	if *a == *b {
		return Exact
	}
	return diceLevel(a, b, strongDice, weakDice)
}

func compareEncodedField(a, b *Encoding, f Field) Level {
	fa, fb := &a.Filters[f], &b.Filters[f]
	if fa.empty() || fb.empty() {
		return Missing
	}
	if a.Exact[f] == b.Exact[f] {
		return Exact
	}
	switch f {
	case SexField, State, Suffix:
		return Different
	case GivenName:
		if a.Arabic != b.Arabic {
			return skelLevel(a.Skel[0], b.Skel[0])
		}
		if (a.GivenJoined != 0 && a.GivenJoined == b.GivenJoined) || shareAny(a.GivenSuffixes, b.GivenExact) || shareAny(b.GivenSuffixes, a.GivenExact) {
			return Strong // names run together: "Thi My" and "Thimy", "Kim" and "Hoaikim"
		}
		if ra, rb := a.GivenTokens[min(len(a.GivenFirst), len(a.GivenTokens)):], b.GivenTokens[min(len(b.GivenFirst), len(b.GivenTokens)):]; len(ra) > 0 && len(rb) > 0 &&
			shareAny(a.GivenFirst, b.GivenFirst) && !shareAny(ra, rb) {
			// "María José" and "María Fernanda": sisters, brothers and
			// twins share the first part; one person does not change
			// the second.
			hasRest := func(e *Encoding) bool { return len(e.GivenRest)+len(e.GivenRestLetters) > 0 }
			switch {
			case hasRest(a) && hasRest(b) && !restAlike(a, b):
				return Different
			case hasRest(a) && hasRest(b):
				return Strong // "María Jose" and "María Josr", "María J."
			case Dice(fa[:], fb[:]) < strongDice:
				return Weak // encodings made before GivenRest
			}
		}
		if shareAny(a.GivenFirst, b.GivenFirst) {
			return Strong // same first name or nickname
		}
		if (len(a.GivenFirst) == len(a.GivenTokens) && shareAny(a.GivenFirst, b.GivenTokens)) ||
			(len(b.GivenFirst) == len(b.GivenTokens) && shareAny(b.GivenFirst, a.GivenTokens)) {
			// A single name that is a later part of the other's ("José",
			// "María José"; "Lupe", "María Guadalupe"): one person who
			// goes by it, or a sister named for it — weak, as in plain
			// mode (laterPart).
			return Weak
		}
		if len(a.GivenExact) > 1 && len(a.GivenExact) == len(b.GivenExact) && !slices.ContainsFunc(a.GivenExact, func(x uint64) bool { return !slices.Contains(b.GivenExact, x) }) {
			return Strong // the same names in another order: "José María", "María José"
		}
		if l := diceLevel(fa, fb, strongDice, weakDice); l != Different {
			return l
		}
		ea, eb := a.GivenExact, b.GivenExact
		if len(ea) == 0 || len(eb) == 0 { // encodings made before GivenExact
			ea, eb = a.GivenTokens, b.GivenTokens
		}
		if shareAny(ea, eb) {
			return Weak // a shared middle name only (the name itself, as compareGiven)
		}
	case Surname:
		if a.Arabic != b.Arabic {
			return skelLevel(a.Skel[1], b.Skel[1])
		}
		if shareAny(a.SurTokens, b.SurTokens) {
			if len(a.SurTokens) == 1 || len(b.SurTokens) == 1 {
				return Strong
			}
			if l := diceLevel(fa, fb, strongDice, weakDice); l == Strong {
				return Strong
			}
			return Weak
		}
	case BirthDate:
		if a.Sounds[f] == b.Sounds[f] {
			return Strong
		}
		if d, ok := dateKeystrokes(a.DateDigits, b.DateDigits); ok {
			return encodedDateLevel(a, b, d)
		}
		if l := diceLevel(fa, fb, 0.85, 0.7); l != Different {
			if l == Strong && a.DateParts[1] != 0 && a.DateParts[1] == b.DateParts[1] {
				return Weak // the year one keystroke off (see compareDate)
			}
			return l
		}
		for i := range a.DateParts {
			if a.DateParts[i] != 0 && a.DateParts[i] == b.DateParts[i] {
				return Phonetic // two of year, month and day (see compareDate)
			}
		}
		return Different
	case Phone: // ten digits: one typo leaves 0.9
		return diceLevel(fa, fb, 0.85, 0.75)
	case StreetNumber, PostalCode:
		return diceLevel(fa, fb, 0.65, 0.5)
	}
	l := diceLevel(fa, fb, strongDice, weakDice)
	if l == Different && a.Sounds[f] != 0 && a.Sounds[f] == b.Sounds[f] {
		return Phonetic
	}
	return l
}

// encodedDateLevel is compareDate's level for two dates d keystrokes apart
// (dateKeystrokes), neither equal nor with day and month swapped.
func encodedDateLevel(a, b *Encoding, d int) Level {
	twoParts := false
	for i := range a.DateParts {
		twoParts = twoParts || (a.DateParts[i] != 0 && a.DateParts[i] == b.DateParts[i])
	}
	return keystrokeLevel(d, a.DateImpossible != b.DateImpossible, a.DateParts[1] == b.DateParts[1], twoParts)
}
