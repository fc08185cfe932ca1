package linkage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxFieldRunes bounds the work done on one field of hostile input; no real
// name or address line is longer.
const maxFieldRunes = 200

// Fold lowercases s, strips accents and punctuation and collapses spaces.
// It keeps ñ (as "ñ") so that "Peña" and "Pena" stay distinguishable; Loose
// maps it to n when comparing. Letters of non-Latin scripts are kept as they
// are (lowercased), so "Nguyễn" folds to "nguyen" and "محمد" stays "محمد".
func Fold(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppress leading spaces
	n := 0
	for _, r := range norm.NFD.String(s) {
		if n++; n > maxFieldRunes*3 {
			break
		}
		switch {
		case r == '\u0303': // combining tilde: keep ñ, drop it elsewhere (ã→a)
			str := b.String()
			if strings.HasSuffix(str, "n") {
				b.Reset()
				b.WriteString(str[:len(str)-1])
				b.WriteRune('ñ')
			}
		case unicode.Is(unicode.Mn, r):
			// accents and other marks
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(foldRune(unicode.ToLower(r)))
			space = false
		case r == '\'' || r == '’' || r == '`':
			// O'Brien, N'Diaye: join the parts
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// foldRune maps letters that NFD does not decompose to their base letter.
func foldRune(r rune) rune {
	switch r {
	case 'ß':
		return 's'
	case 'đ', 'ð':
		return 'd'
	case 'ø':
		return 'o'
	case 'ł':
		return 'l'
	case 'æ':
		return 'a'
	case 'œ':
		return 'o'
	case 'ı':
		return 'i'
	}
	return r
}

// Loose maps a folded string to its comparison form: ñ becomes n.
func Loose(s string) string {
	if !strings.ContainsRune(s, 'ñ') {
		return s
	}
	return strings.ReplaceAll(s, "ñ", "n")
}

// particles are the small words inside Hispanic, Portuguese, French, Dutch and
// Arabic surnames that applicants write or omit at will ("de la Cruz", "Cruz").
var particles = map[string]bool{
	"de": true, "del": true, "la": true, "las": true, "los": true, "y": true, "e": true,
	"da": true, "das": true, "do": true, "dos": true, "van": true, "von": true, "der": true,
	"den": true, "di": true, "du": true, "le": true, "el": true, "al": true, "bin": true,
	"ibn": true, "ben": true, "san": true, "st": true,
}

// SurnameTokens folds surnames and returns their significant parts: particles
// are dropped and hyphenated or compound surnames are split, so "de la
// Cruz-Martínez" gives [cruz martinez]. A surname made only of particles is
// kept as written.
func SurnameTokens(parts ...string) []string {
	var out []string
	for _, p := range parts {
		f := Fold(p)
		toks := strings.Fields(f)
		var kept []string
		for _, t := range toks {
			if !particles[t] {
				kept = append(kept, t)
			}
		}
		if len(kept) == 0 {
			kept = toks
		}
		out = append(out, joinAbd(kept)...)
	}
	return out
}

// GivenTokens folds given names and expands abbreviations ("Ma." → maria).
func GivenTokens(s string) []string {
	toks := strings.Fields(Fold(s))
	// Particles and markers are dropped only beside a name: "Vân Thị" (or
	// "Văn Thị") written alone is the name, and two forms that both leave it
	// out would otherwise agree on nothing rather than differ ("Vân Thị"
	// and her twin "Thanh Nhàn").
	named := false
	for _, t := range toks {
		if e, ok := givenAbbrev[t]; ok {
			t = e
		}
		named = named || !(particles[t] || givenMarkers[t])
	}
	out := toks[:0]
	for _, t := range toks {
		if e, ok := givenAbbrev[t]; ok {
			t = e
		}
		if (particles[t] || givenMarkers[t]) && len(toks) > 1 && named { // "María de los Ángeles", "Thị Lan"
			continue
		}
		out = append(out, t)
	}
	return joinAbd(out)
}

// abdPrefixes start Arabic theophoric names ("servant of …"), written
// apart, joined or hyphenated: "Abd al-Rahman", "Abdul Rahman",
// "Abdulrahman", "Abdel-Rahman", "Abdurrahman".
var abdPrefixes = []string{"abdul", "abdel", "abdal", "abdoul", "abdur", "abdus", "abdil", "abdol", "abd"}

// joinAbd writes every form of an "Abd al-X" name as one token "abdX", so
// "Abd al-Rahman" and "Abdulrahman" compare equal ("abdrahman"), and
// "Abd Allah" and "Abdallah" too ("abdlah").
func joinAbd(toks []string) []string {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		for _, p := range abdPrefixes {
			if !strings.HasPrefix(t, p) {
				continue
			}
			rest := t[len(p):]
			if rest == "" && i+1 < len(toks) && (p == "abd" || p == "abdul" || p == "abdel" || p == "abdal" || p == "abdoul") {
				rest = toks[i+1]
				toks = append(toks[:i+1], toks[i+2:]...)
			}
			if rest == "" {
				break
			}
			for _, art := range []string{"al", "el", "ul", "ar", "ur", "as", "us"} {
				if strings.HasPrefix(rest, art) && len(rest) > len(art)+2 {
					rest = rest[len(art):]
					break
				}
			}
			toks[i] = "abd" + rest
			break
		}
	}
	return toks
}

// givenMarkers are parts of given names that say little about the person:
// the Vietnamese middle names Văn and Thị mark sex and are shared by half the
// community.
var givenMarkers = map[string]bool{"van": true, "thi": true}

var givenAbbrev = map[string]string{
	"ma": "maria", "ma.": "maria", "jse": "jose", "fco": "francisco", "gpe": "guadalupe",
	"ant": "antonio", "wm": "william", "chas": "charles", "thos": "thomas", "jno": "john",
	"jas": "james", "geo": "george", "mohd": "mohammed", "md": "mohammed",
}

// streetTypes maps street-type words to one canonical abbreviation.
var streetTypes = map[string]string{
	"street": "st", "str": "st", "st": "st", "avenue": "ave", "av": "ave", "ave": "ave",
	"road": "rd", "rd": "rd", "drive": "dr", "dr": "dr", "lane": "ln", "ln": "ln",
	"court": "ct", "ct": "ct", "place": "pl", "pl": "pl", "boulevard": "blvd", "blvd": "blvd",
	"circuit": "cct", "cct": "cct", "crescent": "cres", "cres": "cres", "terrace": "ter",
	"ter": "ter", "terr": "ter", "highway": "hwy", "hwy": "hwy", "parkway": "pkwy", "pkwy": "pkwy",
	"square": "sq", "sq": "sq", "close": "cl", "cl": "cl", "way": "way", "circle": "cir",
	"cir": "cir", "calle": "st", "avenida": "ave", "north": "n", "south": "s", "east": "e",
	"west": "w", "n": "n", "s": "s", "e": "e", "w": "w",
}

// unitWords introduce a unit number: "Apt 3B", "Unit 4", "#5", "Floor 2".
var unitWords = map[string]bool{
	"apt": true, "apartment": true, "unit": true, "suite": true, "ste": true, "fl": true,
	"floor": true, "rm": true, "room": true, "no": true, "num": true, "flat": true, "depto": true,
	"dept": true, "apto": true, "piso": true, "bldg": true,
}

// Street is a normalized street address.
type Street struct {
	Number string // house number, e.g. "1203"
	Name   string // street name with canonical type, e.g. "chapel st"
	Unit   string // unit or apartment, e.g. "3b"
}

// ParseStreet splits an address line into number, street name and unit, with
// street types canonicalized ("Chapel Street, Apt #3B" → 1203? no: number "",
// name "chapel st", unit "3b").
func ParseStreet(line string) Street {
	line = strings.ReplaceAll(line, "#", " unit ")
	toks := strings.Fields(Fold(line))
	var s Street
	var name []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case unitWords[t] && i+1 < len(toks):
			s.Unit = toks[i+1]
			i++
		case s.Number == "" && len(name) == 0 && startsDigit(t):
			s.Number = t
		case startsDigit(t) && len(name) > 0 && i == len(toks)-1 && s.Unit == "":
			s.Unit = t // trailing "Main St 4"
		default:
			if c, ok := streetTypes[t]; ok && len(name) > 0 {
				t = c
			}
			name = append(name, t)
		}
	}
	s.Name = strings.Join(name, " ")
	return s
}

func startsDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// Digits keeps only ASCII digits: postcodes "06511-1234" → "065111234".
func Digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 16; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
