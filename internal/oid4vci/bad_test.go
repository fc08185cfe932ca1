package oid4vci_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/oid4vci"
	"github.com/cityid/cityid/internal/person"
)

// TestTokenRefusals: wrong, expired, reused and brute-forced codes give
// OAuth errors with a description, and nothing usable.
func TestTokenRefusals(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, person.Date{Year: 1985, Month: 7, Day: 14})
		w := newWallet(t, e, 1)
		want := func(name string, st int, out map[string]any, status int, code string) {
			t.Helper()
			if st != status || out["error"] != code {
				t.Errorf("%s = %d %v, want %d %s", name, st, out, status, code)
			}
		}
		st, out := w.token("pac_unknown", "123456")
		want("unknown code", st, out, 400, "invalid_grant")
		st, out = w.call("POST", oid4vci.TokenPath, "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x", "")
		want("other grant", st, out, 400, "unsupported_grant_type")
		o := e.offer(t)
		st, out = w.call("POST", oid4vci.TokenPath, "application/x-www-form-urlencoded", "grant_type="+oid4vci.PreAuthGrant+"&pre-authorized_code="+o.Code, "")
		want("no tx_code", st, out, 400, "invalid_request")

		// Five wrong codes kill the offer: the right one no longer works.
		wrong := "000000"
		if o.TxCode == wrong {
			wrong = "111111"
		}
		for range card.PhoneTxAttempts {
			st, out = w.token(o.Code, wrong)
			want("wrong tx_code", st, out, 400, "invalid_grant")
		}
		st, out = w.token(o.Code, o.TxCode)
		want("right tx_code after too many wrong", st, out, 400, "invalid_grant")
		if !strings.Contains(out["error_description"].(string), "Demasiados") {
			t.Errorf("locked offer says %q", out["error_description"])
		}

		// An offer not redeemed within 15 minutes is dead.
		o = e.offer(t)
		e.clock.Add(card.PhoneOfferTTL + time.Second)
		st, out = w.token(o.Code, o.TxCode)
		want("expired offer", st, out, 400, "invalid_grant")

		// Housekeeping deletes the dead offers: nothing of them stays.
		if n, err := e.app.Cards.PrunePhoneOffers(ctx); err != nil || n != 2 {
			t.Errorf("PrunePhoneOffers = %d, %v; want 2", n, err)
		}
		if n, err := e.app.DB.CountRows(ctx, "phone_offers"); err != nil || n != 0 {
			t.Errorf("phone_offers after pruning = %d, %v; want 0", n, err)
		}
	})
}

// TestCredentialRefusals: bad proofs, nonces, configurations and tokens are
// refused without using up the token; an expired token or a card suspended
// meanwhile gets nothing.
func TestCredentialRefusals(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, person.Date{Year: 2008, Month: 12, Day: 20})
		w := newWallet(t, e, 2)
		o := e.offer(t)
		_, tok := w.token(o.Code, o.TxCode)
		access, _ := tok["access_token"].(string)
		if access == "" {
			t.Fatalf("token = %v", tok)
		}
		now := e.clock.Now()
		n := w.nonce()
		k := w.keys[0]
		otherTyp := func() string {
			s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{EmbedJWK: true}).WithType("JWT"))
			body, _ := json.Marshal(map[string]any{"aud": e.issuer, "nonce": n, "iat": now.Unix()})
			j, _ := s.Sign(body)
			c, _ := j.CompactSerialize()
			return c
		}()
		tests := []struct {
			name   string
			token  string
			body   string
			proofs []string
			status int
			code   string
		}{
			{"no token", "", "", []string{w.proof(k, e.issuer, n, now)}, 401, "invalid_token"},
			{"unknown token", "pat_nope", "", []string{w.proof(k, e.issuer, n, now)}, 401, "invalid_token"},
			{"unknown configuration", access, `{"credential_configuration_id":"mdl","proofs":{"jwt":["x"]}}`, nil, 400, "unknown_credential_configuration"},
			{"not JSON", access, `proofs=1`, nil, 400, "invalid_credential_request"},
			{"no proof", access, `{"credential_configuration_id":"municipal_id_sd_jwt"}`, nil, 400, "invalid_proof"},
			{"wrong nonce", access, "", []string{w.proof(k, e.issuer, "forged."+n[7:], now)}, 400, "invalid_nonce"},
			{"wrong audience", access, "", []string{w.proof(k, "https://evil.example", n, now)}, 400, "invalid_proof"},
			{"stale proof", access, "", []string{w.proof(k, e.issuer, n, now.Add(-time.Hour))}, 400, "invalid_proof"},
			{"wrong typ", access, "", []string{otherTyp}, 400, "invalid_proof"},
			{"one key twice", access, "", []string{w.proof(k, e.issuer, n, now), w.proof(k, e.issuer, n, now)}, 400, "invalid_proof"},
			{"too many proofs", access, "", make([]string, card.PhoneBatch+1), 400, "invalid_credential_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var st int
				var out map[string]any
				if tt.body != "" {
					st, out = w.call("POST", oid4vci.CredentialPath, "application/json", tt.body, tt.token)
				} else {
					st, out = w.request(tt.token, tt.proofs...)
				}
				if st != tt.status || out["error"] != tt.code {
					t.Errorf("= %d %v, want %d %s", st, out, tt.status, tt.code)
				}
			})
		}
		// A nonce older than its lifetime is refused as invalid_nonce.
		e.clock.Add(oid4vci.NonceTTL + time.Second)
		if st, out := w.request(access, w.proof(k, e.issuer, n, e.clock.Now())); st != 400 || out["error"] != "invalid_nonce" {
			t.Errorf("expired nonce = %d %v, want invalid_nonce", st, out)
		}
		// The token (5 minutes) has now expired too: nothing is issued.
		if st, out := w.request(access, w.proofs(w.nonce())...); st != 401 || out["error"] != "invalid_token" {
			t.Errorf("expired token = %d %v, want invalid_token", st, out)
		}
		// A card suspended between token and credential gets nothing.
		o = e.offer(t)
		_, tok = w.token(o.Code, o.TxCode)
		if _, err := e.app.Cards.Suspend(ctx, e.supervisor, e.card.ID, "investigation"); err != nil {
			t.Fatal(err)
		}
		if st, out := w.request(tok["access_token"].(string), w.proofs(w.nonce())...); st != 400 || out["error"] != "credential_request_denied" {
			t.Errorf("suspended card = %d %v, want credential_request_denied", st, out)
		}
		if _, err := e.app.Cards.OfferPhone(ctx, e.clerk, e.card.ID); err == nil {
			t.Error("OfferPhone on a suspended card succeeded")
		}
	})
}
