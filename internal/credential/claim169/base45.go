package claim169

import (
	"fmt"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet: exactly the QR alphanumeric-mode
// character set, which is why Base45 text fits QR codes at 5.5 bits a character.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Value maps an ASCII byte to its Base45 value, or 0xff when it is not in the alphabet.
var base45Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = byte(i)
	}
	return t
}()

// Base45Encode encodes b as RFC 9285 Base45 text.
func Base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		n /= 45
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// Base45Decode decodes RFC 9285 Base45 text. It rejects characters outside the
// alphabet, a dangling single character, and chunks whose value overflows
// (RFC 9285 section 6), all as ErrBase45.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d leaves a single character", ErrBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		var v [3]int
		n := min(3, len(s)-i)
		for j := 0; j < n; j++ {
			d := base45Value[s[i+j]]
			if d == 0xff {
				return nil, fmt.Errorf("%w: character %q at offset %d is not in the alphabet", ErrBase45, s[i+j], i+j)
			}
			v[j] = int(d)
		}
		if n == 3 {
			x := v[0] + v[1]*45 + v[2]*45*45
			if x > 0xffff {
				return nil, fmt.Errorf("%w: chunk at offset %d overflows", ErrBase45, i)
			}
			out = append(out, byte(x>>8), byte(x))
		} else {
			x := v[0] + v[1]*45
			if x > 0xff {
				return nil, fmt.Errorf("%w: final chunk overflows", ErrBase45)
			}
			out = append(out, byte(x))
		}
	}
	return out, nil
}
