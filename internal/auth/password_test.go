package auth

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// Vectors made by the reference implementation (Debian's argon2 CLI):
// echo -n PASSWORD | argon2 SALT -id -t T -m LOGM -p P -l LEN -e
func TestVerifyReferenceVectors(t *testing.T) {
	for _, tc := range []struct{ phc, password string }{
		{"$argon2id$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0MTIzNA$FZPLH0ZUDkzkVTbwBD3WDg8x0aIZu9DUHVNrvnqJY2I", "correct horse battery staple"},
		{"$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$KxS8X8DWfMFs+Nfs6G5QPQ", "p\u00e4ssw\u00f6rd"},
	} {
		ok, _, err := verifyPassword(tc.phc, tc.password, DefaultParams())
		if err != nil || !ok {
			t.Errorf("verifyPassword(%q, %q) = %v, %v; want true, nil", tc.phc, tc.password, ok, err)
		}
		ok, _, err = verifyPassword(tc.phc, tc.password+"x", DefaultParams())
		if err != nil || ok {
			t.Errorf("verifyPassword(%q, wrong) = %v, %v; want false, nil", tc.phc, ok, err)
		}
	}
}

func TestHashRoundTrip(t *testing.T) {
	p := TestParams()
	h, err := hashPassword(p, "a long enough passphrase", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hashPassword() = %q, want the PHC prefix $argon2id$v=19$m=64,t=1,p=1$", h)
	}
	ok, rehash, err := verifyPassword(h, "a long enough passphrase", p)
	if !ok || rehash || err != nil {
		t.Errorf("verifyPassword(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, rehash, err = verifyPassword(h, "a long enough passphrase", DefaultParams())
	if !ok || !rehash || err != nil {
		t.Errorf("verifyPassword(cheaper hash, default params) = %v, %v, %v; want true, true (rehash), nil", ok, rehash, err)
	}
	h2, _ := hashPassword(p, "a long enough passphrase", rand.Reader)
	if h == h2 {
		t.Errorf("two hashes of one password are equal (%q): salts are not random", h)
	}
}

func TestParsePHCRejects(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0MTIzNA", "FZPLH0ZUDkzkVTbwBD3WDg8x0aIZu9DUHVNrvnqJY2I"
	for name, s := range map[string]string{
		"empty":          "",
		"argon2i":        "$argon2i$v=19$m=1024,t=2,p=2$" + salt + "$" + key,
		"old version":    "$argon2id$v=16$m=1024,t=2,p=2$" + salt + "$" + key,
		"no version":     "$argon2id$m=1024,t=2,p=2$" + salt + "$" + key,
		"params order":   "$argon2id$v=19$t=2,m=1024,p=2$" + salt + "$" + key,
		"zero time":      "$argon2id$v=19$m=1024,t=0,p=2$" + salt + "$" + key,
		"leading zero":   "$argon2id$v=19$m=01024,t=2,p=2$" + salt + "$" + key,
		"huge memory":    "$argon2id$v=19$m=4294967295,t=2,p=2$" + salt + "$" + key,
		"huge time":      "$argon2id$v=19$m=1024,t=100000,p=2$" + salt + "$" + key,
		"memory < 8p":    "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"p > 255":        "$argon2id$v=19$m=1048576,t=2,p=256$" + salt + "$" + key,
		"padded salt":    "$argon2id$v=19$m=1024,t=2,p=2$" + salt + "==$" + key,
		"short salt":     "$argon2id$v=19$m=1024,t=2,p=2$c2FsdA$" + key,
		"short key":      "$argon2id$v=19$m=1024,t=2,p=2$" + salt + "$FZPLH0ZUDkw",
		"extra field":    "$argon2id$v=19$m=1024,t=2,p=2$" + salt + "$" + key + "$x",
		"negative":       "$argon2id$v=19$m=-1024,t=2,p=2$" + salt + "$" + key,
		"not base64 key": "$argon2id$v=19$m=1024,t=2,p=2$" + salt + "$!!!!" + key,
		"too long":       "$argon2id$v=19$m=1024,t=2,p=2$" + strings.Repeat("A", 600) + "$" + key,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parsePHC(s); !errors.Is(err, errBadHash) {
				t.Errorf("parsePHC(%q) error = %v, want errBadHash", s, err)
			}
		})
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0MTIzNA$FZPLH0ZUDkzkVTbwBD3WDg8x0aIZu9DUHVNrvnqJY2I")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$KxS8X8DWfMFs+Nfs6G5QPQ")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		p := h.params
		if p.Memory > maxMemoryKiB || p.Time > maxTime || p.Time == 0 || p.Threads == 0 ||
			len(h.salt) < minSaltLen || len(h.key) < minKeyLen {
			t.Fatalf("parsePHC(%q) accepted out-of-range %+v", s, p)
		}
		// What parses must format back to an equivalent string.
		again, err := parsePHC(formatPHC(p, h.salt, h.key))
		if err != nil || again.params != p || string(again.salt) != string(h.salt) || string(again.key) != string(h.key) {
			t.Fatalf("parsePHC(formatPHC(parsePHC(%q))) = %+v, %v; want the same hash", s, again, err)
		}
	})
}

// BenchmarkHash measures the production argon2id cost; aim for 50–100 ms.
func BenchmarkHash(b *testing.B) {
	p := DefaultParams()
	for b.Loop() {
		if _, err := hashPassword(p, "correct horse battery staple", rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}
