package sdjwt_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/google/go-cmp/cmp"
)

var (
	t0     = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now    = t0.Add(48 * time.Hour)
	issuer = "https://id.example.city"
	vct    = issuer + "/credentials/municipal-id/v1"
)

type keys struct {
	signer sdjwt.Signer
	pub    crypto.PublicKey
}

func newKey(t testing.TB, ed bool) keys {
	t.Helper()
	var priv crypto.Signer
	var err error
	if ed {
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	} else {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return keys{signer: signing.Bind(s, rand.Reader), pub: priv.Public()}
}

func (k keys) lookup(kid string) (crypto.PublicKey, error) {
	if kid != k.signer.KeyID() {
		return nil, fmt.Errorf("no key %q", kid)
	}
	return k.pub, nil
}

func claims() sdjwt.Object {
	return sdjwt.Object{
		{Name: "given_name", Value: "María José", Disclose: true},
		{Name: "family_name", Value: "García López", Disclose: true},
		{Name: "birthdate", Value: "1990-05-17", Disclose: true},
		{Name: "address", Disclose: true, Value: sdjwt.Object{
			{Name: "street_address", Value: "12 Elm St", Disclose: true},
			{Name: "locality", Value: "New Haven", Disclose: true},
			{Name: "postal_code", Value: "06510", Disclose: true},
		}},
		{Name: "resident_of", Value: "New Haven", Disclose: true},
		{Name: "age_over_18", Value: true, Disclose: true},
		{Name: "age_over_21", Value: true, Disclose: true},
	}
}

func issue(t testing.TB, iss, holder keys) *sdjwt.Credential {
	t.Helper()
	c, err := sdjwt.Issue(rand.Reader, iss.signer, sdjwt.Issuance{
		Issuer: issuer, VCT: vct, IssuedAt: t0, Expires: t0.AddDate(1, 0, 0),
		Holder: holder.pub, Status: &sdjwt.StatusRef{URI: issuer + "/status/1", Index: 4242},
		Claims: claims(), Pad: 12,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func only(names ...string) func(sdjwt.Disclosure) bool {
	return func(d sdjwt.Disclosure) bool { return slices.Contains(names, d.Name) }
}

func present(t testing.TB, c *sdjwt.Credential, holder keys, keep func(sdjwt.Disclosure) bool, aud, nonce string, at time.Time) string {
	t.Helper()
	s, err := sdjwt.KeyBind(c.Token(keep), holder.signer, aud, nonce, at)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func opts(iss keys, kb *sdjwt.KeyBindingCheck) sdjwt.VerifyOptions {
	return sdjwt.VerifyOptions{Keys: iss.lookup, Now: now, Issuer: issuer, VCT: vct, KeyBinding: kb}
}

func TestIssueVerifyAllDisclosed(t *testing.T) {
	for _, ed := range []bool{false, true} {
		t.Run(fmt.Sprintf("eddsa=%v", ed), func(t *testing.T) {
			iss, holder := newKey(t, ed), newKey(t, !ed)
			c := issue(t, iss, holder)
			if got := len(c.Disclosures); got != 10 {
				t.Errorf("disclosures = %d, want 10", got)
			}
			v, err := sdjwt.Verify(c.String(), opts(iss, nil))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			want := map[string]any{
				"given_name": "María José", "family_name": "García López", "birthdate": "1990-05-17",
				"address":     map[string]any{"street_address": "12 Elm St", "locality": "New Haven", "postal_code": "06510"},
				"resident_of": "New Haven", "age_over_18": true, "age_over_21": true,
			}
			if d := cmp.Diff(want, v.Claims); d != "" {
				t.Errorf("claims (-want +got):\n%s", d)
			}
			if v.Issuer != issuer || v.VCT != vct || !v.IssuedAt.Equal(t0) || v.Status == nil || v.Status.Index != 4242 {
				t.Errorf("registered claims = %+v", v)
			}
			if v.KeyID != iss.signer.KeyID() {
				t.Errorf("kid = %q, want %q", v.KeyID, iss.signer.KeyID())
			}
		})
	}
}

// The signed payload must not hold any claim value in clear, and every _sd
// array is padded to the same length.
func TestPayloadRevealsNothing(t *testing.T) {
	iss, holder := newKey(t, false), newKey(t, false)
	c := issue(t, iss, holder)
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(c.JWT, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"María", "García", "1990", "Elm", "New Haven", "06510", "age_over"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("signed payload holds %q in clear: %s", secret, raw)
		}
	}
	var p struct {
		SD  []string `json:"_sd"`
		Alg string   `json:"_sd_alg"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.SD) != 12 || p.Alg != "sha-256" || !slices.IsSorted(p.SD) {
		t.Errorf("_sd = %d digests (sorted %v), _sd_alg %q; want 12 sorted, sha-256", len(p.SD), slices.IsSorted(p.SD), p.Alg)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(c.JWT, ".")[0])
	if !strings.Contains(string(hdr), `"typ":"dc+sd-jwt"`) {
		t.Errorf("header = %s, want typ dc+sd-jwt", hdr)
	}
}

func TestSelectiveKeyBoundPresentation(t *testing.T) {
	iss, holder := newKey(t, false), newKey(t, false)
	c := issue(t, iss, holder)
	kb := &sdjwt.KeyBindingCheck{Audience: "x509_san_dns:library.example", Nonce: "n-123"}
	p := present(t, c, holder, only("resident_of", "age_over_21"), kb.Audience, kb.Nonce, now.Add(-time.Minute))
	v, err := sdjwt.Verify(p, opts(iss, kb))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	want := map[string]any{"resident_of": "New Haven", "age_over_21": true}
	if d := cmp.Diff(want, v.Claims); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}
	if !v.KeyBound {
		t.Error("KeyBound = false")
	}
	// Nested: the locality alone needs the address disclosure and its own.
	p = present(t, c, holder, only("address", "locality"), kb.Audience, kb.Nonce, now)
	v, err = sdjwt.Verify(p, opts(iss, kb))
	if err != nil {
		t.Fatalf("Verify(locality) = %v", err)
	}
	if d := cmp.Diff(map[string]any{"address": map[string]any{"locality": "New Haven"}}, v.Claims); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}
}

func TestRejects(t *testing.T) {
	iss, holder, other := newKey(t, false), newKey(t, false), newKey(t, false)
	c := issue(t, iss, holder)
	kb := &sdjwt.KeyBindingCheck{Audience: "aud-1", Nonce: "nonce-1"}
	good := present(t, c, holder, only("resident_of"), kb.Audience, kb.Nonce, now)
	foreign := issue(t, iss, holder) // same issuer, another credential
	swap := func(s string, part int, to string) string {
		p := strings.Split(s, "~")
		p[part] = to
		return strings.Join(p, "~")
	}
	jwtParts := strings.Split(c.JWT, ".")
	badSig := jwtParts[0] + "." + jwtParts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	noneJWT := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dc+sd-jwt"}`)) + "." + jwtParts[1] + "."
	wrongTyp, err := sdjwt.KeyBind(sdjwt.Token{JWT: strings.Split(good, "~")[2]}, iss.signer, "a", "b", now) // a kb+jwt as issuer JWT
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		opts sdjwt.VerifyOptions
		want error
	}{
		{"wrong nonce", good, opts(iss, &sdjwt.KeyBindingCheck{Audience: "aud-1", Nonce: "nonce-2"}), sdjwt.ErrNonce},
		{"wrong audience", good, opts(iss, &sdjwt.KeyBindingCheck{Audience: "aud-2", Nonce: "nonce-1"}), sdjwt.ErrAudience},
		{"kb by another key", present(t, c, other, only("resident_of"), "aud-1", "nonce-1", now), opts(iss, kb), sdjwt.ErrKeyBinding},
		{"no kb", c.Token(only("resident_of")).String(), opts(iss, kb), sdjwt.ErrKeyBinding},
		{"stale kb", present(t, c, holder, only("resident_of"), "aud-1", "nonce-1", now.Add(-time.Hour)), opts(iss, kb), sdjwt.ErrStale},
		{"kb from the future", present(t, c, holder, only("resident_of"), "aud-1", "nonce-1", now.Add(time.Hour)), opts(iss, kb), sdjwt.ErrStale},
		{"disclosure added after kb", swap(good, 1, c.Disclosures[0].Encoded+"~"+strings.Split(good, "~")[1]), opts(iss, kb), sdjwt.ErrSDHash},
		{"disclosure of another credential", foreign.JWT + "~" + c.Disclosures[0].Encoded + "~", opts(iss, nil), sdjwt.ErrDisclosure},
		{"same disclosure twice", c.JWT + "~" + c.Disclosures[0].Encoded + "~" + c.Disclosures[0].Encoded + "~", opts(iss, nil), sdjwt.ErrDisclosure},
		{"bad issuer signature", swap(good, 0, badSig), opts(iss, kb), sdjwt.ErrSignature},
		{"unknown issuer key", good, opts(other, kb), sdjwt.ErrUnknownKey},
		{"alg none", swap(good, 0, noneJWT), opts(iss, kb), sdjwt.ErrInvalid},
		{"kb-jwt as credential", strings.Split(wrongTyp, "~")[1] + "~", opts(iss, nil), sdjwt.ErrType},
		{"expired", good, func() sdjwt.VerifyOptions { o := opts(iss, kb); o.Now = t0.AddDate(2, 0, 0); return o }(), sdjwt.ErrExpired},
		{"other vct", good, func() sdjwt.VerifyOptions { o := opts(iss, kb); o.VCT = "urn:other"; return o }(), sdjwt.ErrIssuer},
		{"not an sd-jwt", c.JWT, opts(iss, nil), sdjwt.ErrMalformed},
		{"garbage disclosure", c.JWT + "~!!~", opts(iss, nil), sdjwt.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := sdjwt.Verify(tt.in, tt.opts)
			if !errors.Is(err, tt.want) || !errors.Is(err, sdjwt.ErrInvalid) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
			if v != nil {
				t.Errorf("Verify returned claims %v with an error", v.Claims)
			}
		})
	}
}

func TestIssueRefusesReservedAndBadInput(t *testing.T) {
	iss, holder := newKey(t, false), newKey(t, false)
	base := sdjwt.Issuance{Issuer: issuer, VCT: vct, IssuedAt: t0, Expires: t0.Add(time.Hour), Holder: holder.pub}
	for name, mut := range map[string]func(*sdjwt.Issuance){
		"reserved claim": func(in *sdjwt.Issuance) { in.Claims = sdjwt.Object{{Name: "iss", Value: "x", Disclose: true}} },
		"duplicate":      func(in *sdjwt.Issuance) { in.Claims = sdjwt.Object{{Name: "a", Value: 1}, {Name: "a", Value: 2}} },
		"no holder":      func(in *sdjwt.Issuance) { in.Holder = nil },
		"exp before iat": func(in *sdjwt.Issuance) { in.Expires = t0.Add(-time.Hour) },
	} {
		in := base
		mut(&in)
		if _, err := sdjwt.Issue(rand.Reader, iss.signer, in); err == nil {
			t.Errorf("Issue(%s) = nil error", name)
		}
	}
}
