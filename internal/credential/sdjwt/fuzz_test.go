package sdjwt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/sdjwt"
)

// FuzzVerify feeds mutated presentations to the verifier: it must never
// panic, and whatever it accepts must carry the issuer's key binding.
func FuzzVerify(f *testing.F) {
	iss, holder := newKey(f, false), newKey(f, false)
	c := issue(f, iss, holder)
	kb := &sdjwt.KeyBindingCheck{Audience: "aud", Nonce: "n"}
	f.Add(present(f, c, holder, only("resident_of", "age_over_21"), "aud", "n", now))
	f.Add(present(f, c, holder, only("address", "locality"), "aud", "n", now))
	f.Add(c.String())
	f.Add(c.JWT + "~WyJzYWx0IiwgImEiLCB7Il9zZCI6IFsieCJdfV0~")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := sdjwt.Verify(s, sdjwt.VerifyOptions{Keys: iss.lookup, Now: now, KeyBinding: kb, Skew: time.Minute})
		if err == nil && (v == nil || !v.KeyBound || v.Claims == nil) {
			t.Fatalf("accepted without key binding: %+v", v)
		}
		_, _ = sdjwt.ParseCredential(s)
	})
}

// FuzzParseDisclosure: any input decodes or fails with ErrMalformed.
func FuzzParseDisclosure(f *testing.F) {
	f.Add("WyJzYWx0IiwgIm5hbWUiLCAidmFsdWUiXQ")
	f.Add("WyJzYWx0IiwgInZhbHVlIl0")
	f.Add(strings.Repeat("W1", 40))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sdjwt.ParseDisclosure(s)
		if err == nil && d.Digest == "" {
			t.Fatal("no digest")
		}
	})
}
