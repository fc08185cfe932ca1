package present

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/verify"
)

// testWallet holds one credential and its holder key, and answers requests
// the way a wallet does: only the asked disclosures, a key-binding JWT for
// the request's client id and nonce.
type testWallet struct {
	cred   *sdjwt.Credential
	holder signing.Bound
}

func newSigner(t testing.TB) signing.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keySet(t testing.TB, signers ...signing.Signer) *signing.KeySet {
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

// issue makes the city's credential for a resident, signed by issuer,
// valid from iat to exp, in status-list entry idx.
func issue(t testing.TB, issuer signing.Signer, iat, exp time.Time, idx int) *testWallet {
	t.Helper()
	holder := signing.Bind(newSigner(t), rand.Reader)
	c, err := sdjwt.Issue(rand.Reader, signing.Bind(issuer, rand.Reader), sdjwt.Issuance{
		Issuer: base, VCT: municipalid.VCT(base), IssuedAt: iat, Expires: exp, Holder: holder.Public(),
		Status: &sdjwt.StatusRef{URI: base + "/status/1", Index: idx},
		Claims: sdjwt.Object{
			{Name: "given_name", Value: "Ana María", Disclose: true},
			{Name: "family_name", Value: "Quispe Flores", Disclose: true},
			{Name: "birthdate", Value: "1990-04-17", Disclose: true},
			{Name: "resident_of", Value: "New Haven", Disclose: true},
			{Name: "age_over_18", Value: true, Disclose: true},
			{Name: "age_over_21", Value: true, Disclose: true},
		},
		Pad: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testWallet{cred: c, holder: holder}
}

// present answers req: the disclosures of claims, bound by key to aud and
// nonce at iat; extra adds raw disclosures.
func (w *testWallet) present(t testing.TB, claims []string, aud, nonce string, iat time.Time, extra ...string) string {
	t.Helper()
	tok := w.cred.Token(func(d sdjwt.Disclosure) bool {
		for _, c := range claims {
			if d.Name == c {
				return true
			}
		}
		return false
	})
	tok.Disclosures = append(tok.Disclosures, extra...)
	p, err := sdjwt.KeyBind(tok, w.holder, aud, nonce, iat)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func vpForm(req *Request, presentation string) url.Values {
	tok, _ := json.Marshal(map[string][]string{QueryID: {presentation}})
	return url.Values{"vp_token": {string(tok)}, "state": {req.State}}
}

func TestSDJWTPresentations(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	city := newSigner(t)
	stranger := newSigner(t)
	keys := keySet(t, city)
	asked := []string{"resident_of", "age_over_21"}
	lists := fixedStatus{1: statuslist.Valid, 2: statuslist.Invalid, 3: statuslist.Suspended}

	good := issue(t, city, now.Add(-time.Hour), now.Add(365*24*time.Hour), 1)
	revoked := issue(t, city, now.Add(-time.Hour), now.Add(365*24*time.Hour), 2)
	suspended := issue(t, city, now.Add(-time.Hour), now.Add(365*24*time.Hour), 3)
	expired := issue(t, city, now.Add(-400*24*time.Hour), now.Add(-time.Hour), 1)
	forged := issue(t, stranger, now.Add(-time.Hour), now.Add(365*24*time.Hour), 1)
	other := issue(t, city, now.Add(-time.Hour), now.Add(365*24*time.Hour), 1)

	tests := []struct {
		name   string
		answer func(req *Request) string
		want   Answer
	}{
		{"valid: resident and over 21, nothing else", func(req *Request) string {
			return good.present(t, asked, req.ClientID, req.Nonce, now)
		}, Answer{Valid: true, Outcome: verify.OutcomeValid, Status: verify.StatusValid,
			Claims: map[string]any{"resident_of": "New Haven", "age_over_21": true}}},
		{"revoked card", func(req *Request) string { return revoked.present(t, asked, req.ClientID, req.Nonce, now) },
			Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonRevoked, Status: verify.StatusRevoked}},
		{"suspended card", func(req *Request) string { return suspended.present(t, asked, req.ClientID, req.Nonce, now) },
			Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonSuspended, Status: verify.StatusSuspended}},
		{"expired credential", func(req *Request) string { return expired.present(t, asked, req.ClientID, req.Nonce, now) },
			Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonExpired, Status: verify.StatusNotChecked}},
		{"wrong nonce", func(req *Request) string { return good.present(t, asked, req.ClientID, "another-request", now) },
			Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonWrongNonce, Status: verify.StatusNotChecked}},
		{"wrong audience", func(req *Request) string {
			return good.present(t, asked, "redirect_uri:https://shop.example/cb", req.Nonce, now)
		}, Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonWrongAudience, Status: verify.StatusNotChecked}},
		{"key binding too old", func(req *Request) string { return good.present(t, asked, req.ClientID, req.Nonce, now.Add(-time.Hour)) },
			Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonStale, Status: verify.StatusNotChecked}},
		{"key binding signed by another key", func(req *Request) string {
			thief := &testWallet{cred: good.cred, holder: signing.Bind(newSigner(t), rand.Reader)}
			return thief.present(t, asked, req.ClientID, req.Nonce, now)
		}, Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonHolderKey, Status: verify.StatusNotChecked}},
		{"no key binding", func(req *Request) string {
			p := good.present(t, asked, req.ClientID, req.Nonce, now)
			return p[:strings.LastIndex(p, "~")+1]
		}, Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonHolderKey, Status: verify.StatusNotChecked}},
		{"a disclosure whose digest is not in the credential", func(req *Request) string {
			var foreign string
			for _, d := range other.cred.Disclosures {
				if d.Name == "age_over_18" {
					foreign = d.Encoded
				}
			}
			return good.present(t, asked, req.ClientID, req.Nonce, now, foreign)
		}, Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonDisclosure, Status: verify.StatusNotChecked}},
		{"unknown issuer", func(req *Request) string { return forged.present(t, asked, req.ClientID, req.Nonce, now) },
			Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonUnknownIssuer, Status: verify.StatusNotChecked}},
		{"over 21 held back", func(req *Request) string {
			return good.present(t, []string{"resident_of"}, req.ClientID, req.Nonce, now)
		}, Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonMissingClaims, Status: verify.StatusNotChecked}},
		{"more disclosed than asked: not shown", func(req *Request) string {
			return good.present(t, []string{"resident_of", "age_over_21", "birthdate", "given_name"}, req.ClientID, req.Nonce, now)
		}, Answer{Valid: true, Outcome: verify.OutcomeValid, Status: verify.StatusValid,
			Claims: map[string]any{"resident_of": "New Haven", "age_over_21": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := New(newMemStore(), SDJWT{Keys: func() (*signing.KeySet, error) { return keys, nil }}, lists.Status, nil,
				Options{Issuer: base, Now: func() time.Time { return now }})
			req, err := v.Start(context.Background(), "web", PresetResidentOver21, base)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Respond(context.Background(), req.ID, vpForm(req, tt.answer(req))); err != nil {
				t.Fatalf("Respond = %v", err)
			}
			p, _ := v.Result(context.Background(), req.Handle)
			if p.Answer == nil {
				t.Fatal("no answer")
			}
			got := *p.Answer
			got.ExpiresAt, got.At = nil, time.Time{}
			if got.Reason != tt.want.Reason || got.Outcome != tt.want.Outcome || got.Valid != tt.want.Valid || got.Status != tt.want.Status {
				t.Errorf("answer = %+v, want %+v", got, tt.want)
			}
			if len(got.Claims) != len(tt.want.Claims) {
				t.Errorf("claims = %v, want %v", got.Claims, tt.want.Claims)
			}
			for k, w := range tt.want.Claims {
				if got.Claims[k] != w {
					t.Errorf("claim %s = %v, want %v", k, got.Claims[k], w)
				}
			}
		})
	}
}

// FuzzRespond feeds arbitrary wallet answers through the whole response
// path (vp_token parsing, SD-JWT parsing and verification, key binding):
// it must never panic, and an answer that is not valid carries no claims.
func FuzzRespond(f *testing.F) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	city, err := signing.NewSigner(mustKey(f))
	if err != nil {
		f.Fatal(err)
	}
	ks, err := signing.NewKeySet(cose.Key{ID: city.KeyID(), Alg: city.Algorithm(), Public: city.Public()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"municipal_id":["eyJhbGciOiJFUzI1NiJ9.e30.sig~WyJzIiwibiIsMV0~"]}`, "")
	f.Add(`{"municipal_id":["a.b.c~~d.e.f"]}`, "")
	f.Add("", "access_denied")
	f.Fuzz(func(t *testing.T, vp, walletErr string) {
		v := New(newMemStore(), SDJWT{Keys: func() (*signing.KeySet, error) { return ks, nil }}, fixedStatus{1: statuslist.Valid}.Status, nil,
			Options{Issuer: base, Now: func() time.Time { return now }})
		req, err := v.Start(context.Background(), "web", PresetResidentOver21, base)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"vp_token": {vp}, "state": {req.State}}
		if walletErr != "" {
			form.Set("error", walletErr)
		}
		if err := v.Respond(context.Background(), req.ID, form); err != nil {
			t.Fatalf("Respond = %v", err)
		}
		p, _ := v.Result(context.Background(), req.Handle)
		if p.Answer == nil || p.Answer.Valid || p.Answer.Claims != nil {
			t.Fatalf("arbitrary input gave %+v, want a refusal without claims", p.Answer)
		}
	})
}

func mustKey(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// BenchmarkRespond measures one phone check end to end on the server: make
// the request, take the wallet's answer (vp_token parsing, issuer signature,
// disclosures, key binding, status lookup, HPKE sealing of the answer) and
// open it for the asker. The wallet's presentation is made outside the timer.
func BenchmarkRespond(b *testing.B) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	city, err := signing.NewSigner(mustKey(b))
	if err != nil {
		b.Fatal(err)
	}
	ks, err := signing.NewKeySet(cose.Key{ID: city.KeyID(), Alg: city.Algorithm(), Public: city.Public()})
	if err != nil {
		b.Fatal(err)
	}
	w := issue(b, city, now.Add(-time.Hour), now.Add(365*24*time.Hour), 1)
	v := New(newMemStore(), SDJWT{Keys: func() (*signing.KeySet, error) { return ks, nil }}, fixedStatus{1: statuslist.Valid}.Status, nil,
		Options{Issuer: base, Now: func() time.Time { return now }})
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		req, err := v.Start(ctx, "web", PresetResidentOver21, base)
		if err != nil {
			b.Fatal(err)
		}
		form := vpForm(req, w.present(b, []string{"resident_of", "age_over_21"}, req.ClientID, req.Nonce, now))
		b.StartTimer()
		if err := v.Respond(ctx, req.ID, form); err != nil {
			b.Fatal(err)
		}
		if p, err := v.Result(ctx, req.Handle); err != nil || p.Answer == nil || !p.Answer.Valid {
			b.Fatalf("Result = %+v, %v", p, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
