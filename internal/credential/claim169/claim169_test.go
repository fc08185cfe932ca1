package claim169

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/signing"
)

func testSigner(t testing.TB, alg string) signing.Signer {
	t.Helper()
	var s signing.Signer
	var err error
	switch alg {
	case "ES256":
		k, kerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if kerr != nil {
			t.Fatal(kerr)
		}
		s, err = signing.NewSigner(k)
	case "EdDSA":
		_, k, kerr := ed25519.GenerateKey(rand.Reader)
		if kerr != nil {
			t.Fatal(kerr)
		}
		s, err = signing.NewSigner(k)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keySetOf(t testing.TB, signers ...signing.Signer) *signing.KeySet {
	t.Helper()
	var keys []cose.Key
	for _, s := range signers {
		keys = append(keys, cose.Key{ID: s.KeyID(), Alg: s.Algorithm(), Public: s.Public()})
	}
	ks, err := signing.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

var (
	issued  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
)

func typicalClaims() Claims {
	return Claims{
		ID:                "NHV-4821-7730",
		FullName:          "María Guadalupe Hernández-López",
		FirstName:         "María Guadalupe",
		LastName:          "Hernández-López",
		DateOfBirth:       "19870412",
		Gender:            GenderFemale,
		Address:           "1234 Chapel Street Apt 5B\nNew Haven, CT 06511",
		CountryOfIssuance: "US",
	}
}

func typicalMeta() Meta {
	return Meta{
		Issuer:    "https://id.newhavenct.gov",
		IssuedAt:  issued,
		NotBefore: issued,
		ExpiresAt: expires,
		Status:    &StatusRef{URI: "https://id.newhavenct.gov/status/1", Index: 48213},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := testSigner(t, alg)
			claims := typicalClaims()
			claims.Face = []Biometric{{Data: []byte{0xff, 0xd8, 1, 2, 3}, Format: BiometricImage, SubFormat: ImageJPEG}}
			payload, err := Encode(claims, typicalMeta(), s, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			cred, err := Decode(payload, Options{Keys: keySetOf(t, s), At: issued.Add(time.Hour)})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := &Credential{Claims: claims, Meta: typicalMeta(), KeyID: s.KeyID(), Algorithm: alg, Verified: true}
			if d := cmp.Diff(want, cred); d != "" {
				t.Errorf("Decode(Encode(x, rand.Reader)) mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	s := testSigner(t, "ES256")
	ks := keySetOf(t, s)
	good, err := Encode(typicalClaims(), typicalMeta(), s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stranger := testSigner(t, "ES256")
	foreign, err := Encode(typicalClaims(), typicalMeta(), stranger, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// A forged key claiming our key id: signature must fail, not be trusted.
	impostor := impostorSigner{Signer: stranger, kid: s.KeyID()}
	forged, err := Encode(typicalClaims(), typicalMeta(), impostor, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edSame := impostorSigner{Signer: testSigner(t, "EdDSA"), kid: s.KeyID()}
	mismatched, err := Encode(typicalClaims(), typicalMeta(), edSame, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cwt, err := cose.EncMode.Marshal(map[int64]any{1: "x", 169: map[int64]any{1: "a", 4: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	bomb := bytes.Repeat([]byte{0}, 1<<20)
	tests := []struct {
		name    string
		payload string
		at      time.Time
		want    error
	}{
		{"empty", "", issued, ErrBase45},
		{"lowercase", strings.ToLower(good), issued, ErrBase45},
		{"dangling char", good[:len(good)/3*3] + "A", issued, ErrBase45},
		{"overflowing chunk", "::::::", issued, ErrBase45},
		{"truncated", good[:len(good)/6*3], issued, ErrZlib},
		{"too long", strings.Repeat("0", MaxPayloadLen+1), issued, ErrTooLarge},
		{"zip bomb", Base45Encode(deflate(bomb)), issued, ErrTooLarge},
		{"not zlib", Base45Encode([]byte("hello world")), issued, ErrZlib},
		{"zlib of junk", Base45Encode(deflate([]byte{0xff, 0xff})), issued, cose.ErrNotCOSE},
		{"alg none", Base45Encode(deflate(unsignedSign1(t, nil, cwt))), issued, ErrAlgorithm},
		{"alg unprotected", Base45Encode(deflate(unsignedSign1(t, map[int64]any{1: -7}, cwt))), issued, ErrAlgorithm},
		{"alg text", Base45Encode(deflate(unsignedSign1(t, nil, cwt, 1, "ES256"))), issued, ErrAlgorithm},
		{"alg HS256", Base45Encode(deflate(unsignedSign1(t, nil, cwt, 1, 5))), issued, ErrAlgorithm},
		{"unknown key", foreign, issued, ErrUnknownKey},
		{"forged kid", forged, issued, ErrSignature},
		{"EdDSA under an ES256 key id", mismatched, issued, ErrAlgorithm},
		{"expired", good, expires, ErrExpired},
		{"not yet valid", good, issued.Add(-time.Second), ErrNotYetValid},
		{"encrypted without key", encrypted(t, good), issued, ErrEncrypted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := Decode(tc.payload, Options{Keys: ks, At: tc.at})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, want %v", err, tc.want)
			}
			timeErr := errors.Is(err, ErrExpired) || errors.Is(err, ErrNotYetValid)
			if (cred != nil) != timeErr {
				t.Errorf("Decode returned credential %v with %v", cred != nil, err)
			}
		})
	}
}

type impostorSigner struct {
	signing.Signer
	kid string
}

func (s impostorSigner) KeyID() string { return s.kid }

// unsignedSign1 builds a COSE_Sign1 with the given unprotected header and a
// protected header of the given label/value pairs, and an empty signature.
func unsignedSign1(t *testing.T, unprot map[int64]any, payload []byte, prot ...any) []byte {
	t.Helper()
	ph := map[int64]any{}
	for i := 0; i+1 < len(prot); i += 2 {
		ph[int64(prot[i].(int))] = prot[i+1]
	}
	pb := []byte{}
	if len(ph) > 0 {
		var err error
		if pb, err = cose.EncMode.Marshal(ph); err != nil {
			t.Fatal(err)
		}
	}
	if unprot == nil {
		unprot = map[int64]any{}
	}
	b, err := cose.EncMode.Marshal([]any{pb, unprot, payload, []byte{}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encrypted(t *testing.T, payload string) string {
	t.Helper()
	raw, err := Base45Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	enc, err := cose.Encrypt0(rand.Reader, bytes.Repeat([]byte{7}, 32), plain.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return Base45Encode(deflate(enc))
}

func TestEncryptedRoundTrip(t *testing.T) {
	s := testSigner(t, "EdDSA")
	good, err := Encode(typicalClaims(), typicalMeta(), s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := encrypted(t, good)
	key := bytes.Repeat([]byte{7}, 32)
	cred, err := Decode(enc, Options{Keys: keySetOf(t, s), At: issued, DecryptKey: key})
	if err != nil || !cred.Encrypted || cred.Claims.ID != typicalClaims().ID {
		t.Fatalf("Decode(encrypted) = %+v, %v", cred, err)
	}
	key[0] ^= 1
	if _, err := Decode(enc, Options{Keys: keySetOf(t, s), At: issued, DecryptKey: key}); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Decode with wrong key = %v, want ErrDecrypt", err)
	}
}

// TestTamperEveryByte flips each byte of a real payload (to another Base45
// character) and requires every result to be rejected, never to panic —
// except a change that only touches bits DEFLATE ignores (padding to a byte
// boundary), which decompresses to the very bytes that were signed.
func TestTamperEveryByte(t *testing.T) {
	s := testSigner(t, "ES256")
	ks := keySetOf(t, s)
	claims := typicalClaims()
	claims.Face = []Biometric{{Data: bytes.Repeat([]byte{0xab}, 200), Format: BiometricImage, SubFormat: ImageJPEG}}
	good, err := Encode(claims, typicalMeta(), s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	benign := 0
	defer func() {
		if benign > 4 {
			t.Errorf("%d changed payloads still verified (unchanged content); want only the rare DEFLATE padding bit", benign)
		}
	}()
	for i := 0; i < len(good); i++ {
		for _, delta := range []int{1, 22} {
			b := []byte(good)
			b[i] = base45Alphabet[(int(base45Value[b[i]])+delta)%45]
			cred, err := Decode(string(b), Options{Keys: ks, At: issued})
			if err != nil {
				continue
			}
			if diff := cmp.Diff(mustDecode(t, good, ks).Claims, cred.Claims); diff != "" {
				t.Fatalf("payload with character %d changed verified with different claims (-want +got):\n%s", i, diff)
			}
			benign++
		}
	}
}

// TestTamperEverySignedByte flips each byte of the COSE_Sign1 itself (then
// recompresses, so zlib's checksum cannot be what catches it): the signature
// must cover every byte that matters, and the rest must fail to parse.
func TestTamperEverySignedByte(t *testing.T) {
	s := testSigner(t, "EdDSA")
	ks := keySetOf(t, s)
	good, err := Encode(typicalClaims(), typicalMeta(), s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Base45Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := inflate(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range signed {
		b := bytes.Clone(signed)
		b[i] ^= 0x01
		if cred, err := Decode(Base45Encode(deflate(b)), Options{Keys: ks, At: issued}); err == nil {
			t.Fatalf("COSE byte %d flipped still verified: %+v", i, cred.Claims)
		}
	}
}

func TestBase45(t *testing.T) {
	// Examples from RFC 9285 section 4.
	tests := []struct{ in, out string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Base45Encode([]byte(tc.in)); got != tc.out {
			t.Errorf("Base45Encode(%q) = %q, want %q", tc.in, got, tc.out)
		}
		got, err := Base45Decode(tc.out)
		if err != nil || string(got) != tc.in {
			t.Errorf("Base45Decode(%q) = %q, %v, want %q", tc.out, got, err, tc.in)
		}
	}
	for _, bad := range []string{"GGW", "A", "abc", "ZZZZ", ":::"} {
		if _, err := Base45Decode(bad); !errors.Is(err, ErrBase45) {
			t.Errorf("Base45Decode(%q) = %v, want ErrBase45", bad, err)
		}
	}
}

func mustDecode(t *testing.T, payload string, ks *signing.KeySet) *Credential {
	t.Helper()
	cred, err := Decode(payload, Options{Keys: ks, At: issued})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}
