package auth

import (
	"strings"
	"testing"
)

func TestPasswordPolicy(t *testing.T) {
	p := newPolicy([]string{"New Haven", "Elm City ID"})
	for _, tc := range []struct {
		pw, user, want string
	}{
		{"short", "ana", KeyPasswordTooShort},
		{"elevenchars", "ana", KeyPasswordTooShort},
		{"ñandú ñandú", "ana", KeyPasswordTooShort}, // 11 characters, more bytes
		{strings.Repeat("x", 257), "ana", KeyPasswordTooLong},
		{"tab\tinside password", "ana", KeyPasswordInvalid},
		{"bad utf8 \xff\xfe password", "ana", KeyPasswordInvalid},
		{"passwordpassword", "ana", KeyPasswordCommon},
		{"Password2024!", "ana", KeyPasswordCommon},
		{"!!P@ssw0rd1234", "ana", KeyPasswordCommon},
		{"football123456", "ana", KeyPasswordCommon},
		{"teamomucho2025", "ana", KeyPasswordCommon},
		{"contraseña1234", "ana", KeyPasswordCommon},
		{"aaaaaaaaaaaa", "ana", KeyPasswordCommon},
		{"abcabcabcabc", "ana", KeyPasswordCommon},
		{"123456789012", "ana", KeyPasswordCommon},
		{"abcdefghijklm", "ana", KeyPasswordCommon},
		{"qwertyuiopasdf", "ana", KeyPasswordCommon},
		{"1q2w3e4r5t6y", "ana", KeyPasswordCommon},
		{"poiuytrewq!2026", "ana", KeyPasswordCommon},
		{"correct horse battery staple", "ana", KeyPasswordCommon},
		{"cityid2026!!!", "ana", KeyPasswordCommon},
		{"CityID-password", "ana", KeyPasswordCommon},
		{"newhaven123456", "ana", KeyPasswordCommon},
		{"New Haven 2026!", "ana", KeyPasswordCommon},
		{"Elm City ID 1234", "ana", KeyPasswordCommon},
		{"maria.lopez-2026", "maria.lopez", KeyPasswordContainsUsername},
		{"MyNameIsMaria.Lopez", "maria.lopez", KeyPasswordContainsUsername},
		// Good passphrases, including ones that mention the city among other words.
		{"purple tractor sings quietly", "ana", ""},
		{"I love New Haven in autumn", "ana", ""},
		{"mi perro come tortillas azules", "ana", ""},
		{"Ωμέγα κόσμος 2026", "ana", ""},
		{"zq8-vt2-plm4-ho9", "ana", ""},
		{"ana is a short name in a long sentence", "an", ""}, // usernames under 3 letters are not searched
	} {
		if got := p.check(normalizePassword(tc.pw), tc.user); got != tc.want {
			t.Errorf("check(%q, %q) = %q, want %q", tc.pw, tc.user, got, tc.want)
		}
	}
}

func TestBlocklistLoads(t *testing.T) {
	b := parseBlocklist(blocklistText)
	if len(b) < 500 {
		t.Errorf("blocklist has %d entries, want at least 500", len(b))
	}
	for _, w := range []string{"password", "qwerty123", "contraseña", "iloveyou"} {
		if !b.has(w) {
			t.Errorf("blocklist lacks %q", w)
		}
	}
	if b.has("# common and breached passwords") || b.has("") {
		t.Errorf("blocklist kept a comment or blank line")
	}
}

func TestNormalizeNFC(t *testing.T) {
	composed, decomposed := "contrase\u00f1a segura 2026", "contrasen\u0303a segura 2026"
	if normalizePassword(composed) != normalizePassword(decomposed) {
		t.Errorf("normalizePassword(%q) != normalizePassword(%q), want equal after NFC", composed, decomposed)
	}
}
