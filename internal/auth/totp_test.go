package auth

import (
	"bytes"
	"image/png"
	"net/url"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// RFC 6238 appendix B, SHA-1 rows, truncated to 6 digits (the last 6 of the 8 shown).
func TestTOTPVectors(t *testing.T) {
	secret := totpEncoding().EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		if got := CodeAt(secret, time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("CodeAt(RFC secret, %d) = %q, want %q", tc.unix, got, tc.want)
		}
	}
}

func TestMatchTOTPWindow(t *testing.T) {
	key := []byte("12345678901234567890")
	now := time.Unix(1234567890, 0)
	cur := totpStep(now)
	for _, tc := range []struct {
		name string
		step int64
		ok   bool
	}{
		{"previous step", cur - 1, true},
		{"current step", cur, true},
		{"next step", cur + 1, true},
		{"two steps back", cur - 2, false},
		{"two steps ahead", cur + 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := matchTOTP(key, hotp(key, tc.step), now)
			if ok != tc.ok || (ok && step != tc.step) {
				t.Errorf("matchTOTP(code of step %d) = %d, %v; want %d, %v", tc.step, step, ok, tc.step, tc.ok)
			}
		})
	}
	for _, code := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := matchTOTP(key, code, now); ok {
			t.Errorf("matchTOTP(%q) = ok, want rejected", code)
		}
	}
	if _, ok := matchTOTP(key, "005 924", now); !ok {
		t.Errorf("matchTOTP(\"005 924\") rejected, want spaces ignored")
	}
}

func TestEnrollmentQRDecodes(t *testing.T) {
	u := otpauthURL("Elm City ID", "maria.lopez", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if parsed.Scheme != "otpauth" || parsed.Host != "totp" || parsed.Path != "/Elm City ID:maria.lopez" ||
		q.Get("secret") != "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" || q.Get("issuer") != "Elm City ID" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("otpauthURL() = %q, want a TOTP Key URI with label, secret, issuer, SHA1/6/30", u)
	}
	pngBytes, err := EnrollmentQR(u)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("EnrollmentQR() is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("independent QR decoder could not read EnrollmentQR(): %v", err)
	}
	if res.GetText() != u {
		t.Errorf("decoded QR = %q, want %q", res.GetText(), u)
	}
}
