//go:build pkcs11

package hsm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/cityid/cityid/internal/credential/signing"
)

// BenchmarkSign compares ES256 signatures per second on a SoftHSM2 token with
// the in-memory file-keyring signer, one goroutine and all CPUs.
func BenchmarkSign(b *testing.B) {
	ctx := open(b, newToken(b))
	token, err := ctx.Generate("bench")
	if err != nil {
		b.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	file, err := signing.NewSigner(k)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 400) // about a card's Sig_structure
	for _, s := range []struct {
		name string
		s    signing.Signer
	}{{"softhsm2", token}, {"file", file}} {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.s.Sign(rand.Reader, msg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
		})
		b.Run(s.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.s.Sign(rand.Reader, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
		})
	}
}
