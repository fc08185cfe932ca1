//go:build pkcs11

package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
)

// TestPhoneCredentialWithTokenKey: the phone credential (SD-JWT VC) is
// signed on the token like the card's QR, and verifies with the public key.
func TestPhoneCredentialWithTokenKey(t *testing.T) {
	ctx := open(t, newToken(t))
	s, err := ctx.Generate("phone-2026")
	if err != nil {
		t.Fatal(err)
	}
	holder, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iat := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c, err := sdjwt.Issue(rand.Reader, signing.Bind(s, rand.Reader), sdjwt.Issuance{
		Issuer: "https://id.newhavenct.gov", VCT: "https://id.newhavenct.gov/credentials/municipal-id/v1",
		IssuedAt: iat, Expires: iat.AddDate(5, 0, 0), Holder: holder.Public(),
		Claims: sdjwt.Object{{Name: "resident_of", Value: "New Haven", Disclose: true}}, Pad: 12})
	if err != nil {
		t.Fatalf("Issue with the token key: %v", err)
	}
	keys := func(kid string) (crypto.PublicKey, error) {
		if kid != s.KeyID() {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return s.Public(), nil
	}
	v, err := sdjwt.Verify(c.String(), sdjwt.VerifyOptions{Keys: keys, Now: iat.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Verify(credential signed on the token) = %v", err)
	}
	if v.Claims["resident_of"] != "New Haven" || v.KeyID != s.KeyID() {
		t.Errorf("verified = %+v", v)
	}
}
