package enroll

import (
	"strings"
	"testing"
)

// FuzzParseQR: a scanned payload yields a well-formed code or ErrBadCode,
// and a code's own payload always round-trips.
func FuzzParseQR(f *testing.F) {
	for _, s := range []string{"CITYID:PRE:K7QM-4XTR-9PWA", "cityid:pre:k7qm4xtr9pwa", " K7QM 4XTR 9PWA ", "CITYID:PRE:", "K7QM-4XTR-9PW0", "ＫＫＫＫ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseQR(s)
		if err != nil {
			return
		}
		if len(code) != 14 || code[4] != '-' || code[9] != '-' || strings.Trim(code, codeAlphabet+"-") != "" {
			t.Fatalf("ParseQR(%q) = %q, not a canonical code", s, code)
		}
		again, err := ParseQR(QRPayload(code))
		if err != nil || again != code {
			t.Fatalf("ParseQR(QRPayload(%q)) = %q, %v", code, again, err)
		}
	})
}
