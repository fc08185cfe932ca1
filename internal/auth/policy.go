package auth

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password length limits in characters (after NFC). NIST SP 800-63B rev 4
// and ASVS 5.0: no composition rules, long passphrases allowed, a blocklist.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// Message keys of password policy failures.
const (
	KeyPasswordTooShort         = "auth.password.too_short"
	KeyPasswordTooLong          = "auth.password.too_long"
	KeyPasswordCommon           = "auth.password.common"
	KeyPasswordContainsUsername = "auth.password.contains_username"
	KeyPasswordInvalid          = "auth.password.invalid"
)

//go:embed blocklist.txt
var blocklistText string

// blocklist is a set of common and breached passwords and words, lower case.
type blocklist map[string]struct{}

func parseBlocklist(text string) blocklist {
	b := make(blocklist, 2048)
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b[strings.ToLower(norm.NFC.String(line))] = struct{}{}
	}
	return b
}

func (b blocklist) has(s string) bool { _, ok := b[s]; return ok }

// normalizePassword applies NFC so the same passphrase typed on different
// keyboards (composed or decomposed accents) hashes the same.
func normalizePassword(pw string) string { return norm.NFC.String(pw) }

// policy checks new passwords. Context words are the program's own names
// (the service, the city), which attackers try first.
type policy struct {
	list    blocklist
	context []string // lower case
}

func newPolicy(contextWords []string) *policy {
	p := &policy{list: parseBlocklist(blocklistText)}
	for _, w := range append([]string{"cityid"}, contextWords...) {
		w = strings.ToLower(norm.NFC.String(strings.TrimSpace(w)))
		if w == "" {
			continue
		}
		p.context = append(p.context, w)
		// "New Haven" is also typed "newhaven".
		if squeezed := strings.Join(strings.Fields(w), ""); squeezed != w {
			p.context = append(p.context, squeezed)
		}
	}
	return p
}

// check returns the message key of the first problem with pw (already
// NFC-normalized) for a user named username, or "" when pw is acceptable.
func (p *policy) check(pw, username string) string {
	if !utf8.ValidString(pw) || strings.ContainsFunc(pw, unicode.IsControl) {
		return KeyPasswordInvalid
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return KeyPasswordTooShort
	case n > MaxPasswordLen:
		return KeyPasswordTooLong
	}
	lower := strings.ToLower(pw)
	if u := strings.ToLower(username); len(u) >= 3 && strings.Contains(squeeze(lower), squeeze(u)) {
		return KeyPasswordContainsUsername
	}
	if p.weak(lower) {
		return KeyPasswordCommon
	}
	// A password that is only context words, padding and common words
	// ("NewHaven2025!", "cityid-password") is as guessable as a common one.
	rest := squeeze(lower)
	for _, w := range p.context {
		rest = strings.ReplaceAll(rest, squeeze(w), " ")
	}
	if rest != squeeze(lower) {
		for _, part := range strings.Fields(rest) {
			if !p.weak(part) && len(trimPadding(part)) >= 4 {
				return ""
			}
		}
		return KeyPasswordCommon
	}
	return ""
}

// weak reports whether s (lower case) is on the blocklist, is a blocklisted
// word with digits or symbols around it or with look-alike substitutions,
// or is a trivial pattern (one character repeated, a short unit repeated, a
// run like "abcdef" or "98765", a keyboard row).
func (p *policy) weak(s string) bool {
	for _, c := range []string{s, squeeze(s), trimPadding(s), unleet(trimPadding(s)), trimPadding(unleet(s))} {
		if c == "" || p.list.has(c) || trivial(c) {
			return true
		}
	}
	return false
}

// squeeze removes spaces, so "correct horse" and "correcthorse" compare equal.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// trimPadding removes the digits, symbols and spaces people put before and
// after a word ("!!password2024").
func trimPadding(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// unleet undoes common look-alike substitutions ("p@ssw0rd").
func unleet(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '@', '4':
			return 'a'
		case '0':
			return 'o'
		case '1', '!':
			return 'i'
		case '3':
			return 'e'
		case '$', '5':
			return 's'
		case '7':
			return 't'
		case '8':
			return 'b'
		case '9':
			return 'g'
		}
		return r
	}, s)
}

// keyboardRuns are rows and columns that people walk along.
func keyboardRuns() []string {
	return []string{
		"1234567890", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
		"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "1q2w3e4r5t6y7u8i9o0p",
	}
}

// trivial reports whether s is a pattern rather than a secret.
func trivial(s string) bool {
	r := []rune(squeeze(s))
	if len(r) == 0 {
		return true
	}
	// A short unit repeated: "aaaa", "abab", "abcabcabc", "12341234".
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 {
			continue
		}
		rep := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i-unit] {
				rep = false
				break
			}
		}
		if rep {
			return true
		}
	}
	// A run of consecutive code points up or down: "abcdef", "987654".
	if len(r) >= 4 {
		up, down := true, true
		for i := 1; i < len(r); i++ {
			up = up && r[i] == r[i-1]+1
			down = down && r[i] == r[i-1]-1
		}
		if up || down {
			return true
		}
	}
	// A walk along a keyboard row, possibly repeated or reversed.
	if len(r) >= 4 {
		str := string(r)
		for _, run := range keyboardRuns() {
			if strings.Contains(run+run, str) || strings.Contains(reverse(run+run), str) {
				return true
			}
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
