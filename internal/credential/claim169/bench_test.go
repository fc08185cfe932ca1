package claim169

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"testing"
	"time"
)

// verifyFixture is a typical card payload (with face) and a bare P-256
// signature over a message of the same size as that card's Sig_structure.
type verifyFixture struct {
	payload  string
	opts     Options
	msg, sig []byte
	pub      *ecdsa.PublicKey
}

func newVerifyFixture(b *testing.B) *verifyFixture {
	s := testSigner(b, "ES256")
	payload, err := typicalPayloadF(b, s)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 800)
	sig, err := s.Sign(nil, msg)
	if err != nil {
		b.Fatal(err)
	}
	return &verifyFixture{payload: payload, opts: Options{Keys: keySetOf(b, s), At: issued.Add(time.Hour)},
		msg: msg, sig: sig, pub: s.Public().(*ecdsa.PublicKey)}
}

func (f *verifyFixture) full(b *testing.B) {
	if _, err := Decode(f.payload, f.opts); err != nil {
		b.Fatal(err)
	}
}

func (f *verifyFixture) bare(b *testing.B) {
	h := sha256.Sum256(f.msg)
	if !ecdsa.Verify(f.pub, h[:], new(big.Int).SetBytes(f.sig[:32]), new(big.Int).SetBytes(f.sig[32:])) {
		b.Fatal("verify failed")
	}
}

// BenchmarkVerify decodes and verifies a typical card payload: Base45, zlib,
// COSE_Sign1, ES256 signature, CWT and claim 169, validity period.
func BenchmarkVerify(b *testing.B) {
	f := newVerifyFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		f.full(b)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

// BenchmarkBareP256Verify is the floor: one ECDSA P-256 verification.
func BenchmarkBareP256Verify(b *testing.B) {
	f := newVerifyFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		f.bare(b)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

func BenchmarkEncode(b *testing.B) {
	s := testSigner(b, "ES256")
	face, err := FaceThumbnail(portrait())
	if err != nil {
		b.Fatal(err)
	}
	c := typicalClaims()
	c.Face = FaceBiometric(face)
	var payload string
	for b.Loop() {
		if payload, err = Encode(c, typicalMeta(), s, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
	_, version, err := QRCode(payload)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(payload)), "chars")
	b.ReportMetric(float64(version), "qr-version")
	b.ReportMetric(float64(len(face)), "face-bytes")
}
