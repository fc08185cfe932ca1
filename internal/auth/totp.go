package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"image/png"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/qrcode"
)

// TOTP as every authenticator app implements it: RFC 6238 over HMAC-SHA-1,
// 6 digits, 30-second steps, a 160-bit secret shown in base32.
const (
	totpPeriod    = 30
	totpDigits    = 6
	totpSecretLen = 20
	totpSkew      = 1 // steps accepted either side of now, for clock drift
)

// totpEncoding is unpadded base32, as Key URIs carry the secret.
func totpEncoding() *base32.Encoding { return base32.StdEncoding.WithPadding(base32.NoPadding) }

// newTOTPSecret returns a fresh base32 secret.
func newTOTPSecret(rand io.Reader) (string, error) {
	b := make([]byte, totpSecretLen)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("TOTP secret: %w", err)
	}
	return totpEncoding().EncodeToString(b), nil
}

// decodeTOTPSecret accepts the secret as shown (any case, spaces allowed).
func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.Join(strings.Fields(secret), ""))
	s = strings.TrimRight(s, "=")
	b, err := totpEncoding().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("TOTP secret is not base32")
	}
	return b, nil
}

// totpStep is the RFC 6238 time step T of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// hotp is RFC 4226 HOTP with dynamic truncation, as a 6-digit code.
func hotp(key []byte, counter int64) string {
	m := hmac.New(sha1.New, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(counter))
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// matchTOTP returns the time step whose code equals code within the skew
// window around now, or false. Every candidate is compared in constant time.
func matchTOTP(key []byte, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(now)
	var found int64
	ok := 0
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if subtle.ConstantTimeCompare([]byte(hotp(key, step)), []byte(code)) == 1 && ok == 0 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}

// CodeAt returns the TOTP code of a base32 secret at t ("" for a bad
// secret). Tests and the browser test use it to act as the authenticator app.
func (s *Service) CodeAt(secret string, t time.Time) string { return CodeAt(secret, t) }

// CodeAt is the package-level form of Service.CodeAt.
func CodeAt(secret string, t time.Time) string {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return ""
	}
	return hotp(key, totpStep(t))
}

// otpauthURL is the Key URI authenticator apps read from the QR code:
// otpauth://totp/Issuer:username?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30.
func otpauthURL(issuer, username, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + username, RawQuery: q.Encode()}
	return u.String()
}

// EnrollmentQR renders an otpauth:// URL as a QR code PNG for the
// enrollment page: 8 pixels a module with the 4-module quiet zone scanners
// need, proof-read with ZXing (package qrcode).
func EnrollmentQR(otpauth string) ([]byte, error) {
	code, err := qrcode.Encode(otpauth, qrcode.M)
	if err != nil {
		return nil, fmt.Errorf("enrollment QR: %w", err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, qrcode.Scale(code, 8)); err != nil {
		return nil, fmt.Errorf("enrollment QR: %w", err)
	}
	return buf.Bytes(), nil
}
