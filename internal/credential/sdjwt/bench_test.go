package sdjwt_test

import (
	"testing"

	"github.com/cityid/cityid/internal/credential/sdjwt"
)

// BenchmarkIssue: one municipal-ID-shaped credential (10 disclosures, 12
// digests, ES256); reports its size.
func BenchmarkIssue(b *testing.B) {
	iss, holder := newKey(b, false), newKey(b, false)
	var size int
	for b.Loop() {
		size = len(issue(b, iss, holder).String())
	}
	b.ReportMetric(float64(size), "bytes/credential")
}

// BenchmarkVerifyPresentation: what a verifier does per answer: the issuer
// signature, two disclosures and the key binding (two ES256 verifications).
func BenchmarkVerifyPresentation(b *testing.B) {
	iss, holder := newKey(b, false), newKey(b, false)
	c := issue(b, iss, holder)
	p := present(b, c, holder, only("resident_of", "age_over_21"), "aud", "n", now)
	o := opts(iss, &sdjwt.KeyBindingCheck{Audience: "aud", Nonce: "n"})
	for b.Loop() {
		if _, err := sdjwt.Verify(p, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p)), "bytes/presentation")
}
