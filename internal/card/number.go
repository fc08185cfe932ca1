package card

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// A card number is 12 random decimal digits followed by one Damm check
// digit, printed in groups of four: "4821 0937 5521 6".
//
// Decimal, because the number is read aloud on the phone, typed on
// phone keypads and printed in a 1D barcode by older systems. Random,
// because a sequential or PII-derived number leaks enrolment order or
// identity. Damm, because its quasigroup detects every single-digit
// substitution and every adjacent transposition (Luhn misses 09↔90), with
// no extra symbol like Verhoeff's or ISO 7064's "X".
const (
	payloadDigits = 12
	numberDigits  = payloadDigits + 1
	groupSize     = 4
)

// ErrCheckDigit reports a typed card number whose check digit does not
// match: almost always a typo.
var ErrCheckDigit = errors.New("card number: check digit mismatch")

// ErrFormat reports a typed card number with the wrong length or a
// character that is not a digit, space or dash.
var ErrFormat = errors.New("card number: want 13 digits")

// Number is a card number: 13 decimal digits including the check digit.
// The zero value is not a valid number.
type Number struct {
	digits [numberDigits]byte // ASCII '0'..'9'
}

// dammTable is the order-10 weakly totally anti-symmetric quasigroup
// published by H. Michael Damm (2004); row = interim digit, column = next
// digit. Its anti-symmetry is what catches adjacent transpositions; the
// tests check both properties exhaustively rather than trusting this table.
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// damm returns the interim digit after feeding ASCII digits; a complete
// number (payload plus check digit) yields 0.
func damm(digits []byte) byte {
	var interim byte
	for _, d := range digits {
		interim = dammTable[interim][d-'0']
	}
	return interim
}

// NewNumber draws a new random card number from rand (crypto/rand.Reader
// in production). Digits are drawn by rejection sampling so each is
// uniform. It panics if rand fails, as crypto/rand never does and a
// short test reader is a programming error.
func NewNumber(rand io.Reader) Number {
	var n Number
	var buf [32]byte
	i := 0
	for i < payloadDigits {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			panic(fmt.Sprintf("card number: reading randomness: %v", err))
		}
		for _, b := range buf {
			if b >= 250 { // 250 = 25×10: keep the digits uniform
				continue
			}
			n.digits[i] = '0' + b%10
			i++
			if i == payloadDigits {
				break
			}
		}
	}
	n.digits[payloadDigits] = '0' + damm(n.digits[:payloadDigits])
	return n
}

// ParseNumber parses a card number as a person would type it: spaces,
// dashes and dots between digits are ignored. It returns ErrFormat for the
// wrong number of digits or another character and ErrCheckDigit when the
// check digit does not match.
func ParseNumber(typed string) (Number, error) {
	var n Number
	count := 0
	for _, r := range typed {
		switch {
		case r >= '0' && r <= '9':
			if count == numberDigits {
				return Number{}, fmt.Errorf("%w: too many digits", ErrFormat)
			}
			n.digits[count] = byte(r)
			count++
		case r == ' ' || r == '-' || r == '.' || r == '\t' || r == '\u00a0':
		default:
			return Number{}, fmt.Errorf("%w: unexpected character", ErrFormat)
		}
	}
	if count != numberDigits {
		return Number{}, fmt.Errorf("%w: got %d digits", ErrFormat, count)
	}
	if damm(n.digits[:]) != 0 {
		return Number{}, ErrCheckDigit
	}
	return n, nil
}

// IsZero reports whether n is the zero value (no number).
func (n Number) IsZero() bool { return n.digits[0] == 0 }

// Compact returns the 13 digits with no separators, the form stored and
// encoded in barcodes.
func (n Number) Compact() string {
	if n.IsZero() {
		return ""
	}
	return string(n.digits[:])
}

// String returns the number in printed groups of four, "4821 0937 5521 6".
func (n Number) String() string {
	if n.IsZero() {
		return ""
	}
	var b strings.Builder
	for i, d := range n.digits {
		if i > 0 && i%groupSize == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(d)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler with the compact form.
func (n Number) MarshalText() ([]byte, error) { return []byte(n.Compact()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts what
// ParseNumber accepts.
func (n *Number) UnmarshalText(b []byte) error {
	v, err := ParseNumber(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}
