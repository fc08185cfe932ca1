package card

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func sampleNumbers(t testing.TB, n int) []Number {
	t.Helper()
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	out := make([]Number, n)
	for i := range out {
		out[i] = NewNumber(r)
	}
	return out
}

// TestDammTableProperties checks the two properties the check digit relies
// on, for every pair of digits, instead of trusting the transcribed table.
func TestDammTableProperties(t *testing.T) {
	for a := range 10 {
		seen := map[byte]bool{}
		for b := range 10 {
			seen[dammTable[a][b]] = true
		}
		if len(seen) != 10 {
			t.Errorf("row %d is not a permutation", a)
		}
	}
	for c := range 10 {
		for a := range 10 {
			for b := range 10 {
				if a != b && dammTable[dammTable[c][a]][b] == dammTable[dammTable[c][b]][a] {
					t.Errorf("interim %d: transposition %d%d ↔ %d%d not detected", c, a, b, b, a)
				}
			}
		}
	}
}

func TestEveryTypoIsCaught(t *testing.T) {
	for _, n := range sampleNumbers(t, 200) {
		good := n.Compact()
		if _, err := ParseNumber(good); err != nil {
			t.Fatalf("ParseNumber(%q) = %v, want nil", good, err)
		}
		for i := range len(good) {
			for d := byte('0'); d <= '9'; d++ {
				if d == good[i] {
					continue
				}
				typo := []byte(good)
				typo[i] = d
				if _, err := ParseNumber(string(typo)); !errors.Is(err, ErrCheckDigit) {
					t.Errorf("ParseNumber(%q) (substitution of %q) = %v, want ErrCheckDigit", typo, good, err)
				}
			}
		}
		for i := range len(good) - 1 {
			if good[i] == good[i+1] {
				continue
			}
			typo := []byte(good)
			typo[i], typo[i+1] = typo[i+1], typo[i]
			if _, err := ParseNumber(string(typo)); !errors.Is(err, ErrCheckDigit) {
				t.Errorf("ParseNumber(%q) (transposition of %q) = %v, want ErrCheckDigit", typo, good, err)
			}
		}
	}
}

func TestParseNumber(t *testing.T) {
	n := sampleNumbers(t, 1)[0]
	c := n.Compact()
	tests := []struct {
		name, in string
		wantErr  error
	}{
		{"compact", c, nil},
		{"grouped", n.String(), nil},
		{"dashes", c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:], nil},
		{"padded", "  " + n.String() + " ", nil},
		{"empty", "", ErrFormat},
		{"short", c[:12], ErrFormat},
		{"long", c + "0", ErrFormat},
		{"letter", c[:12] + "O", ErrFormat},
		{"fullwidth digit", c[:12] + "１", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNumber(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseNumber(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != n {
				t.Errorf("ParseNumber(%q) = %v, want %v", tt.in, got, n)
			}
			if err != nil && got != (Number{}) {
				t.Errorf("ParseNumber(%q) = %v with error, want zero Number", tt.in, got)
			}
		})
	}
}

func TestStringGrouping(t *testing.T) {
	payload := []byte("482109375521")
	n, err := ParseNumber(string(payload) + string('0'+damm(payload)))
	if err != nil {
		t.Fatal(err)
	}
	want := "4821 0937 5521 " + n.Compact()[12:]
	if got := n.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := len(n.Compact()); got != 13 {
		t.Errorf("len(Compact()) = %d, want 13", got)
	}
	if (Number{}).String() != "" || (Number{}).Compact() != "" {
		t.Error("zero Number should format as empty")
	}
}

func TestNewNumberRandom(t *testing.T) {
	// 10,000 draws of 10^12 numbers repeat one about once in 20,000 runs
	// (a clean-clone CI run met it: "2535 3589 3253 6"); two repeats, once
	// in a billion. A generator with 32 bits of randomness repeats about
	// twelve.
	seen := map[Number]bool{}
	var repeats []Number
	for range 10000 {
		n := NewNumber(crand.Reader)
		if seen[n] {
			repeats = append(repeats, n)
		}
		seen[n] = true
	}
	if len(repeats) > 1 {
		t.Fatalf("NewNumber repeated %v within 10,000 draws", repeats)
	}
	// Not sequential: consecutive draws from the same source differ in
	// more than the last digits.
	ns := sampleNumbers(t, 2)
	if ns[0].Compact()[:6] == ns[1].Compact()[:6] {
		t.Errorf("consecutive numbers %v and %v share a prefix", ns[0], ns[1])
	}
}

func TestNewNumberUniformDigits(t *testing.T) {
	var counts [10]int
	for _, n := range sampleNumbers(t, 5000) {
		for _, d := range n.Compact()[:payloadDigits] {
			counts[d-'0']++
		}
	}
	// 60,000 digits: expect 6,000 each; 5 sigma ≈ 367.
	for d, c := range counts {
		if c < 5600 || c > 6400 {
			t.Errorf("digit %d drawn %d times of 60000, want about 6000", d, c)
		}
	}
}

func TestNewNumberPanicsOnShortReader(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewNumber(empty reader) did not panic")
		}
	}()
	NewNumber(bytes.NewReader(nil))
}

func TestTextRoundTrip(t *testing.T) {
	n := sampleNumbers(t, 1)[0]
	b, _ := n.MarshalText()
	var got Number
	if err := got.UnmarshalText(b); err != nil || got != n {
		t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, got, err, n)
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, n := range sampleNumbers(f, 3) {
		f.Add(n.Compact())
		f.Add(n.String())
	}
	f.Add("")
	f.Add("0000-0000-0000-0")
	f.Add(strings.Repeat("9", 40))
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) {
				t.Fatalf("ParseNumber(%q) error %v is neither ErrFormat nor ErrCheckDigit", s, err)
			}
			return
		}
		again, err := ParseNumber(n.String())
		if err != nil || again != n {
			t.Fatalf("ParseNumber(String()) = %v, %v; want %v", again, err, n)
		}
	})
}
