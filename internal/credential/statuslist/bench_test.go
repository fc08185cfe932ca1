package statuslist

import (
	"math/rand/v2"
	"testing"
)

// revokedList is a RecommendedSize list with about 1% of random entries
// revoked and 0.1% suspended: a realistic mid-life list.
func revokedList(b *testing.B, bits int) *List {
	b.Helper()
	l, err := New(bits, RecommendedSize)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(42, 42))
	for range RecommendedSize / 100 {
		l.Set(r.IntN(RecommendedSize), Invalid)
	}
	if bits > 1 {
		for range RecommendedSize / 1000 {
			l.Set(r.IntN(RecommendedSize), Suspended)
		}
	}
	return l
}

func BenchmarkSignJWT131072(b *testing.B) {
	for _, bits := range []int{1, 2} {
		b.Run(map[int]string{1: "1bit", 2: "2bit"}[bits], func(b *testing.B) {
			s := newECSigner(b, "k1")
			l := revokedList(b, bits)
			var tok []byte
			for b.Loop() {
				var err error
				tok, err = SignJWT(l, testURI, testIat, testExp, testTTL, s)
				if err != nil {
					b.Fatal(err)
				}
			}
			z, _ := l.Encode()
			b.ReportMetric(float64(len(z)), "lst-bytes")
			b.ReportMetric(float64(len(tok)), "token-bytes")
		})
	}
}

func BenchmarkSignCWT131072(b *testing.B) {
	s := newECSigner(b, "k1")
	l := revokedList(b, 2)
	var tok []byte
	for b.Loop() {
		var err error
		tok, err = SignCWT(l, testURI, testIat, testExp, testTTL, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tok)), "token-bytes")
}

func BenchmarkParseJWT131072(b *testing.B) {
	s := newECSigner(b, "k1")
	tok, _ := SignJWT(revokedList(b, 2), testURI, testIat, testExp, testTTL, s)
	for b.Loop() {
		if _, _, err := ParseJWT(tok, s.lookup, testIat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCWT131072(b *testing.B) {
	s := newECSigner(b, "k1")
	tok, _ := SignCWT(revokedList(b, 2), testURI, testIat, testExp, testTTL, s)
	for b.Loop() {
		if _, _, err := ParseCWT(tok, s.lookup, testIat); err != nil {
			b.Fatal(err)
		}
	}
}
