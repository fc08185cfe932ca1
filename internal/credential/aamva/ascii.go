package aamva

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Letters that do not decompose into an ASCII base plus accents. The list
// covers Latin-script names common among residents; anything else (other
// scripts) is refused, so the clerk enters the Latin form printed on the
// card rather than the barcode silently dropping letters.
var foldSpecial = map[rune]string{
	'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Œ': "OE", 'œ': "OE", 'Ø': "O", 'ø': "O",
	'Ł': "L", 'ł': "L", 'Đ': "D", 'đ': "D", 'Ð': "D", 'ð': "D", 'Þ': "TH", 'þ': "TH",
	'ı': "I", 'ĸ': "K", 'Ŋ': "NG", 'ŋ': "NG",
	'‘': "'", '’': "'", 'ʼ': "'", '´': "'", '`': "'",
	'‐': "-", '‑': "-", '–': "-", '—': "-",
	'\u00a0': " ", '\t': " ",
}

// toASCII upper-cases s, removes accents (é → E, ñ → N), folds a few
// special letters and collapses runs of spaces. keep reports which ASCII
// characters the field allows; others are an error. The barcode is ASCII
// only: AAMVA's character set has no accented letters.
func toASCII(s string, keep func(r rune) bool) (string, error) {
	var b strings.Builder
	space := true // drop leading spaces
	for i, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue // combining accent
		}
		rep := string(unicode.ToUpper(r))
		if f, ok := foldSpecial[r]; ok {
			rep = f
		}
		for _, c := range rep {
			if c == ' ' {
				if !space {
					b.WriteByte(' ')
				}
				space = true
				continue
			}
			if c > unicode.MaxASCII || !keep(c) {
				// No character in the message: it would be a piece of a
				// name, and error strings can reach logs.
				return "", fmt.Errorf("%w (at byte %d)", ErrUnencodable, i)
			}
			b.WriteRune(c)
			space = false
		}
	}
	return strings.TrimRight(b.String(), " "), nil
}

func nameChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '\'' || r == '.' || r == ','
}

// textChar allows printable ASCII, which excludes the LF, RS and CR that
// delimit AAMVA data.
func textChar(r rune) bool { return r >= 0x21 && r <= 0x7e }

// fit cuts s to max characters, reporting whether it had to. AAMVA's
// name truncation rules first drop spaces and punctuation from the end;
// we cut at the limit instead, which keeps the name readable, and set the
// truncation flag so a reader knows the name is not whole.
func fit(s string, max int) (string, Truncation) {
	if len(s) <= max {
		return s, NotTruncated
	}
	return strings.TrimRight(s[:max], " "), Truncated
}
