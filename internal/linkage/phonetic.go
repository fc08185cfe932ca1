package linkage

import "strings"

// phoneticLen is the length of phonetic keys; longer keys separate more
// names, shorter keys forgive more misspellings.
const phoneticLen = 6

// DoubleMetaphone returns the primary and alternate Double Metaphone keys of
// a folded name (after Lawrence Philips, 2000). It follows the published
// rules for English, with the Germanic, Slavic, Romance and Spanish
// exceptions that matter for the names a city sees; letters outside A–Z are
// ignored.
func DoubleMetaphone(name string) (primary, alternate string) {
	w := []byte(strings.ToUpper(asciiLetters(Loose(name))))
	if len(w) == 0 {
		return "", ""
	}
	var p, a strings.Builder
	add := func(x, y string) { p.WriteString(x); a.WriteString(y) }
	n := len(w)
	at := func(i int) byte {
		if i < 0 || i >= n {
			return 0
		}
		return w[i]
	}
	sub := func(i, l int, opts ...string) bool {
		if i < 0 || i+l > n {
			return false
		}
		s := string(w[i : i+l])
		for _, o := range opts {
			if s == o {
				return true
			}
		}
		return false
	}
	vowel := func(i int) bool { return strings.IndexByte("AEIOUY", at(i)) >= 0 && at(i) != 0 }
	str := string(w)
	slavoGermanic := strings.Contains(str, "W") || strings.Contains(str, "K") ||
		strings.Contains(str, "CZ") || strings.Contains(str, "WITZ")

	i := 0
	if sub(0, 2, "GN", "KN", "PN", "WR", "PS") {
		i = 1
	}
	if at(0) == 'X' {
		add("S", "S")
		i = 1
	}
	for i < n && (p.Len() < phoneticLen || a.Len() < phoneticLen) {
		c := at(i)
		switch c {
		case 'A', 'E', 'I', 'O', 'U', 'Y':
			if i == 0 {
				add("A", "A")
			}
			i++
		case 'B':
			add("P", "P")
			i++
			if at(i) == 'B' {
				i++
			}
		case 'C':
			switch {
			case i > 1 && !vowel(i-2) && sub(i-1, 3, "ACH") && at(i+2) != 'I' && (at(i+2) != 'E' || sub(i-2, 6, "BACHER", "MACHER")):
				add("K", "K")
				i += 2
			case i == 0 && sub(i, 6, "CAESAR"):
				add("S", "S")
				i += 2
			case sub(i, 2, "CH"):
				switch {
				case i > 0 && sub(i, 4, "CHAE"):
					add("K", "X")
				case i == 0 && (sub(i+1, 5, "HARAC", "HARIS") || sub(i+1, 3, "HOR", "HYM", "HIA", "HEM")) && !sub(0, 5, "CHORE"):
					add("K", "K")
				case sub(0, 4, "VAN ", "VON ") || sub(0, 3, "SCH") || sub(i-2, 6, "ORCHES", "ARCHIT", "ORCHID") ||
					strings.IndexByte("TS", at(i+2)) >= 0 && at(i+2) != 0:
					add("K", "K")
				case i > 0:
					if sub(0, 2, "MC") {
						add("K", "K")
					} else {
						add("X", "K")
					}
				default:
					add("X", "X")
				}
				i += 2
			case sub(i, 2, "CZ") && !sub(i-2, 4, "WICZ"):
				add("S", "X")
				i += 2
			case sub(i, 2, "CC") && !(i == 1 && at(0) == 'M'):
				if strings.IndexByte("IEH", at(i+2)) >= 0 && at(i+2) != 0 && !sub(i+2, 2, "HU") {
					if (i == 1 && at(0) == 'A') || sub(i-1, 5, "UCCEE", "UCCES") {
						add("KS", "KS")
					} else {
						add("X", "X")
					}
					i += 3
				} else {
					add("K", "K")
					i += 2
				}
			case sub(i, 2, "CK", "CG", "CQ"):
				add("K", "K")
				i += 2
			case sub(i, 2, "CI", "CE", "CY"):
				if sub(i, 3, "CIO", "CIE", "CIA") {
					add("S", "X")
				} else {
					add("S", "S")
				}
				i += 2
			default:
				add("K", "K")
				if sub(i+1, 2, " C", " Q", " G") {
					i += 3
				} else if strings.IndexByte("CKQ", at(i+1)) >= 0 && at(i+1) != 0 && !sub(i+1, 2, "CE", "CI") {
					i += 2
				} else {
					i++
				}
			}
		case 'D':
			switch {
			case sub(i, 2, "DG") && strings.IndexByte("IEY", at(i+2)) >= 0 && at(i+2) != 0:
				add("J", "J")
				i += 3
			case sub(i, 2, "DT", "DD"):
				add("T", "T")
				i += 2
			default:
				add("T", "T")
				i++
			}
		case 'F':
			add("F", "F")
			i++
			if at(i) == 'F' {
				i++
			}
		case 'G':
			switch {
			case at(i+1) == 'H':
				switch {
				case i > 0 && !vowel(i-1):
					add("K", "K")
				case i == 0:
					if at(i+2) == 'I' {
						add("J", "J")
					} else {
						add("K", "K")
					}
				case (i > 1 && strings.IndexByte("BHD", at(i-2)) >= 0 && at(i-2) != 0) ||
					(i > 2 && strings.IndexByte("BHD", at(i-3)) >= 0 && at(i-3) != 0):
					// silent: "hugh", "bough"
				case i > 2 && at(i-1) == 'U' && strings.IndexByte("CGLRT", at(i-3)) >= 0 && at(i-3) != 0:
					add("F", "F") // "laugh", "tough"
				case i > 0 && at(i-1) != 'I':
					add("K", "K")
				}
				i += 2
			case at(i+1) == 'N':
				if i == 1 && vowel(0) && !slavoGermanic {
					add("KN", "N")
				} else if !sub(i+2, 2, "EY") && at(i+1) != 'Y' && !slavoGermanic {
					add("N", "KN")
				} else {
					add("KN", "KN")
				}
				i += 2
			case sub(i+1, 2, "LI") && !slavoGermanic:
				add("KL", "L")
				i += 2
			case i == 0 && (at(1) == 'Y' || sub(1, 2, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")):
				add("K", "J")
				i += 2
			case sub(i+1, 2, "ER") || at(i+1) == 'Y':
				if !sub(0, 6, "DANGER", "RANGER", "MANGER") && at(i-1) != 'E' && at(i-1) != 'I' {
					add("K", "J")
				} else {
					add("J", "K")
				}
				i += 2
			case strings.IndexByte("EIY", at(i+1)) >= 0 && at(i+1) != 0 || sub(i-1, 4, "AGGI", "OGGI"):
				if sub(0, 4, "VAN ", "VON ") || sub(0, 3, "SCH") || sub(i+1, 2, "ET") {
					add("K", "K")
				} else if sub(i+1, 4, "IER ") {
					add("J", "J")
				} else {
					add("J", "K")
				}
				i += 2
			default:
				add("K", "K")
				i++
				if at(i) == 'G' {
					i++
				}
			}
		case 'H':
			if (i == 0 || vowel(i-1)) && vowel(i+1) {
				add("H", "H")
				i += 2
			} else {
				i++
			}
		case 'J':
			switch {
			case sub(i, 4, "JOSE") || sub(0, 4, "SAN "):
				if (i == 0 && at(i+4) == ' ') || sub(0, 4, "SAN ") {
					add("H", "H")
				} else {
					add("J", "H")
				}
			case i == 0:
				add("J", "A")
			case vowel(i-1) && !slavoGermanic && (at(i+1) == 'A' || at(i+1) == 'O'):
				add("J", "H")
			case i == n-1:
				add("J", "")
			default:
				add("J", "J")
			}
			i++
			if at(i) == 'J' {
				i++
			}
		case 'K':
			add("K", "K")
			i++
			if at(i) == 'K' {
				i++
			}
		case 'L':
			if at(i+1) == 'L' {
				if (i == n-3 && sub(i-1, 4, "ILLO", "ILLA", "ALLE")) ||
					((sub(n-2, 2, "AS", "OS") || at(n-1) == 'A' || at(n-1) == 'O') && sub(i-1, 4, "ALLE")) {
					add("L", "") // Spanish "Castillo", "Cabrillo"
					i += 2
					continue
				}
				i++
			}
			add("L", "L")
			i++
		case 'M':
			add("M", "M")
			i++
			if at(i) == 'M' || (sub(i-2, 3, "UMB") && (i == n-1 || sub(i+1, 2, "ER"))) {
				i++
			}
		case 'N':
			add("N", "N")
			i++
			if at(i) == 'N' {
				i++
			}
		case 'P':
			if at(i+1) == 'H' {
				add("F", "F")
				i += 2
			} else {
				add("P", "P")
				i++
				if at(i) == 'P' || at(i) == 'B' {
					i++
				}
			}
		case 'Q':
			add("K", "K")
			i++
			if at(i) == 'Q' {
				i++
			}
		case 'R':
			if i == n-1 && !slavoGermanic && sub(i-2, 2, "IE") && !sub(i-4, 2, "ME", "MA") {
				add("", "R")
			} else {
				add("R", "R")
			}
			i++
			if at(i) == 'R' {
				i++
			}
		case 'S':
			switch {
			case sub(i-1, 3, "ISL", "YSL"):
				i++
			case i == 0 && sub(i, 5, "SUGAR"):
				add("X", "S")
				i++
			case sub(i, 2, "SH"):
				if sub(i+1, 4, "HEIM", "HOEK", "HOLM", "HOLZ") {
					add("S", "S")
				} else {
					add("X", "X")
				}
				i += 2
			case sub(i, 3, "SIO", "SIA"):
				if slavoGermanic {
					add("S", "S")
				} else {
					add("S", "X")
				}
				i += 3
			case (i == 0 && strings.IndexByte("MNLW", at(i+1)) >= 0 && at(i+1) != 0) || at(i+1) == 'Z':
				add("S", "X")
				i++
				if at(i) == 'Z' {
					i++
				}
			case sub(i, 2, "SC"):
				switch {
				case at(i+2) == 'H':
					if sub(i+3, 2, "OO", "ER", "EN", "UY", "ED", "EM") {
						if sub(i+3, 2, "ER", "EN") {
							add("X", "SK")
						} else {
							add("SK", "SK")
						}
					} else if i == 0 && !vowel(3) && at(3) != 'W' {
						add("X", "S")
					} else {
						add("X", "X")
					}
				case strings.IndexByte("IEY", at(i+2)) >= 0 && at(i+2) != 0:
					add("S", "S")
				default:
					add("SK", "SK")
				}
				i += 3
			default:
				if i == n-1 && sub(i-2, 2, "AI", "OI") {
					add("", "S") // French "Dubois"
				} else {
					add("S", "S")
				}
				i++
				if at(i) == 'S' || at(i) == 'Z' {
					i++
				}
			}
		case 'T':
			switch {
			case sub(i, 4, "TION") || sub(i, 3, "TIA", "TCH"):
				add("X", "X")
				i += 3
			case sub(i, 2, "TH") || sub(i, 3, "TTH"):
				if sub(i+2, 2, "OM", "AM") || sub(0, 4, "VAN ", "VON ") || sub(0, 3, "SCH") {
					add("T", "T")
				} else {
					add("0", "T")
				}
				i += 2
			default:
				add("T", "T")
				i++
				if at(i) == 'T' || at(i) == 'D' {
					i++
				}
			}
		case 'V':
			add("F", "F")
			i++
			if at(i) == 'V' {
				i++
			}
		case 'W':
			switch {
			case sub(i, 2, "WR"):
				add("R", "R")
				i += 2
				continue
			case i == 0 && (vowel(1) || sub(0, 2, "WH")):
				if vowel(1) {
					add("A", "F")
				} else {
					add("A", "A")
				}
			case (i == n-1 && vowel(i-1)) || sub(i-1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || sub(0, 3, "SCH"):
				add("", "F")
			case sub(i, 4, "WICZ", "WITZ"):
				add("TS", "FX")
				i += 4
				continue
			}
			i++
		case 'X':
			if !(i == n-1 && (sub(i-3, 3, "IAU", "EAU") || sub(i-2, 2, "AU", "OU"))) {
				add("KS", "KS")
			}
			i++
			if at(i) == 'C' || at(i) == 'X' {
				i++
			}
		case 'Z':
			if at(i+1) == 'H' {
				add("J", "J")
				i += 2
				continue
			}
			if sub(i+1, 2, "ZO", "ZI", "ZA") || (slavoGermanic && i > 0 && at(i-1) != 'T') {
				add("S", "TS")
			} else {
				add("S", "S")
			}
			i++
			if at(i) == 'Z' {
				i++
			}
		default:
			i++
		}
	}
	primary, alternate = p.String(), a.String()
	if len(primary) > phoneticLen {
		primary = primary[:phoneticLen]
	}
	if len(alternate) > phoneticLen {
		alternate = alternate[:phoneticLen]
	}
	return primary, alternate
}

// asciiLetters keeps a–z and A–Z.
func asciiLetters(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SpanishKey is a phonetic key for names as Spanish speakers say and write
// them: h is silent, b/v, ll/y, c/s/z (seseo), c/k/qu, g/j before e and i,
// gu/g, x as j in Mexican names, rr/r, doubled letters collapse and vowels
// after the first letter are dropped. "Jiménez", "Giménez" and "Ximenez"
// share a key; so do "Vázquez", "Bazquez" and "Vasques"; and "Peña" and
// "Pena" (ñ counts as n so a keyboard without ñ does not hide a match).
func SpanishKey(name string) string {
	s := []byte(strings.ToLower(asciiLetters(Loose(name))))
	n := len(s)
	at := func(i int) byte {
		if i < 0 || i >= n {
			return 0
		}
		return s[i]
	}
	front := func(c byte) bool { return c == 'e' || c == 'i' || c == 'y' }
	var b []byte
	consonants := 0
	emit := func(c byte) {
		consonants++
		if len(b) > 0 && b[len(b)-1] == c {
			return
		}
		b = append(b, c)
	}
	vowel := func(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }
	for i := 0; i < n && consonants < phoneticLen; i++ {
		c := s[i]
		switch c {
		case 'a', 'e', 'i', 'o', 'u':
			if len(b) == 0 {
				emit('a') // an initial vowel, also after a silent h: "Hernández", "Ernández"
			} else if b[len(b)-1] != '_' {
				b = append(b, '_') // separates letters that vowels kept apart; removed below
			}
		case 'h':
			// silent (ch is handled at c)
		case 'b', 'v', 'w':
			emit('b')
		case 'c':
			switch {
			case at(i+1) == 'h':
				emit('x')
				i++
			case front(at(i + 1)):
				emit('s')
			default:
				emit('k')
			}
		case 'k', 'q':
			emit('k')
			if c == 'q' && at(i+1) == 'u' {
				i++
			}
		case 'z', 's':
			emit('s')
		case 'g':
			switch {
			case front(at(i + 1)):
				emit('j')
			case at(i+1) == 'u' && front(at(i+2)):
				emit('g')
				i++
			default:
				emit('g')
			}
		case 'j':
			emit('j')
		case 'x':
			if i == 0 || (i+1 < n && at(i+1) != 'c') {
				emit('j') // Ximénez, México; "Xochitl" stays close enough
			} else {
				emit('s')
			}
		case 'l':
			if at(i+1) == 'l' {
				emit('y')
				i++
			} else {
				emit('l')
			}
		case 'y':
			if !vowel(at(i + 1)) { // a vowel unless a vowel follows: "Smyth", "Yolanda"
				if len(b) == 0 {
					emit('a')
				} else if b[len(b)-1] != '_' {
					b = append(b, '_')
				}
			} else {
				emit('y')
			}
		case 'p':
			if at(i+1) == 'h' {
				emit('f')
				i++
			} else {
				emit('p')
			}
		default:
			emit(c)
		}
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '_' {
			if len(out) > 0 && out[len(out)-1] == c {
				continue
			}
			out = append(out, c)
		}
	}
	return string(out)
}
