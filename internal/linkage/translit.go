package linkage

import (
	"strings"
	"unicode"
)

// hasArabic reports whether s holds letters of the Arabic script.
func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

// arabicConsonants maps Arabic letters to the Latin consonant most
// transliterations use; letters that forms render as vowels (alif, waw and
// ya inside a word, alif maqsura, ta marbuta, hamza carriers) and ʿayn
// map to nothing.
var arabicConsonants = map[rune]string{
	'ب': "b", 'ت': "t", 'ث': "t", 'ج': "j", 'ح': "h", 'خ': "k", 'د': "d", 'ذ': "d", 'ر': "r",
	'ز': "z", 'س': "s", 'ش': "s", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z", 'غ': "j", 'ف': "f",
	'ق': "k", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'پ': "p", 'چ': "c", 'گ': "j", 'ڤ': "v",
}

// Skeleton is a consonant key for comparing a name in Arabic script with
// its Latin transliteration: "عبد الله" and "Abdallah" both give "bdlh",
// "محمد" and "Mohammed" "mhmd", "يوسف" and "Youssef" "ysf". Vowels (and
// the letters that write them), ʿayn, the article al-/el- and doubled
// letters are dropped; Latin digraphs kh, sh, th, dh, gh count as one
// letter. It is lossy on purpose and used only across scripts.
func Skeleton(s string) string {
	var b strings.Builder
	words := strings.Fields(Fold(s))
	// The article of a family name ("al-Masri", "المصري", "Almasri") is
	// written or left out at will; inside "Abd al-Rahman" it stays.
	if len(words) > 1 && (words[0] == "al" || words[0] == "el") {
		words = words[1:]
	}
	if len(words) > 0 {
		w := words[0]
		switch {
		case strings.HasPrefix(w, "ال") && len([]rune(w)) > 3:
			words[0] = strings.TrimPrefix(w, "ال")
		case len(w) > 5 && (strings.HasPrefix(w, "al") || strings.HasPrefix(w, "el")):
			words[0] = w[2:]
		}
	}
	for _, w := range words {
		rs := []rune(w)
		for i := 0; i < len(rs); i++ {
			r := rs[i]
			var out string
			if unicode.Is(unicode.Arabic, r) {
				switch {
				case r == 'و' || r == 'ي' || r == 'ی':
					if i == 0 && b.Len() == 0 {
						out = map[rune]string{'و': "w", 'ي': "y", 'ی': "y"}[r]
					}
				default:
					out = arabicConsonants[r]
				}
			} else {
				next := rune(0)
				if i+1 < len(rs) {
					next = rs[i+1]
				}
				switch {
				case strings.ContainsRune("aeiou", r):
				case (r == 'y' || r == 'w') && !(i == 0 && b.Len() == 0):
				case next == 'h' && strings.ContainsRune("kstdg", r):
					out = map[rune]string{'k': "k", 's': "s", 't': "t", 'd': "d", 'g': "j"}[r]
					i++
				case r == 'q' || r == 'c':
					out = "k"
				case r == 'g':
					out = "j"
				case r >= 'a' && r <= 'z':
					out = string(r)
				}
			}
			if out != "" && !strings.HasSuffix(b.String(), out) {
				b.WriteString(out)
			}
		}
	}
	return b.String()
}
