package claim169

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary text to the decoder: it must never panic, must
// answer with one of the package's errors or a credential, and must never
// report a credential verified by a key it was not given.
func FuzzDecode(f *testing.F) {
	s := testSigner(f, "ES256")
	ks := keySetOf(f, s)
	good, err := Encode(typicalClaims(), typicalMeta(), s, rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	if p, _ := typicalPayloadF(f, s); p != "" {
		f.Add(p)
	}
	for _, v := range loadVectorsOrNone(f) {
		f.Add(v.QR)
	}
	f.Add("")
	f.Add("6BF")
	f.Fuzz(func(t *testing.T, payload string) {
		cred, err := Decode(payload, Options{Keys: ks, At: issued.Add(time.Hour)})
		if err == nil {
			if !cred.Verified {
				t.Fatal("credential accepted without verification")
			}
			return
		}
		known := []error{ErrBase45, ErrZlib, ErrTooLarge, ErrCBOR, ErrNotCOSE, ErrMissing169, ErrAlgorithm,
			ErrSignature, ErrUnknownKey, ErrExpired, ErrNotYetValid, ErrEncrypted, ErrDecrypt}
		for _, k := range known {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("Decode error %v is none of the package's errors", err)
	})
}

func typicalPayloadF(_ testing.TB, s Signer) (string, error) {
	face, err := FaceThumbnail(portrait())
	if err != nil {
		return "", err
	}
	c := typicalClaims()
	c.Face = FaceBiometric(face)
	return Encode(c, typicalMeta(), s, rand.Reader)
}

// loadVectorsOrNone returns the conformance vectors, or none when absent
// (the fuzz target must run without ../shared).
func loadVectorsOrNone(f *testing.F) []vector {
	f.Helper()
	dir, err := vectorDir()
	if err != nil {
		return nil
	}
	vs, err := readVectors(dir)
	if err != nil {
		f.Fatal(err)
	}
	return vs
}
