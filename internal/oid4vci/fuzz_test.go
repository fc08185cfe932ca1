package oid4vci_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/oid4vci"
)

// stubIssuer issues one opaque string per key.
type stubIssuer struct{}

func (stubIssuer) RedeemPhoneOffer(context.Context, string, string) (card.PhoneToken, error) {
	return card.PhoneToken{}, card.ErrOfferUnknown
}

func (stubIssuer) IssuePhone(_ context.Context, _ string, keys []crypto.PublicKey) ([]string, error) {
	return make([]string, len(keys)), nil
}

type stubTr struct{}

func (stubTr) T(lang, key string, _ ...any) string { return lang + ":" + key }
func (stubTr) Match(string) string                 { return "en" }

// FuzzCredentialRequest feeds the credential endpoint arbitrary bodies (and
// proofs inside a well-formed body): it never panics and always answers JSON.
func FuzzCredentialRequest(f *testing.F) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	h, err := oid4vci.New(oid4vci.Config{Issuer: stubIssuer{}, IssuerURL: "https://id.example", Tr: stubTr{},
		Now: func() time.Time { return at },
		MAC: func(p string, parts ...string) []byte {
			s := sha256.Sum256([]byte(p + strings.Join(parts, "|")))
			return s[:]
		}})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", oid4vci.NoncePath, nil))
	var n struct {
		CNonce string `json:"c_nonce"`
	}
	json.Unmarshal(rec.Body.Bytes(), &n)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := signProof(f, k, "https://id.example", n.CNonce, at)
	f.Add(`{"credential_configuration_id":"municipal_id_sd_jwt","proofs":{"jwt":["`+good+`"]}}`, good)
	f.Add(`{"credential_configuration_id":"x"}`, "e30.e30.")
	f.Add(`[]`, "")
	f.Fuzz(func(t *testing.T, body, proof string) {
		for _, b := range []string{body, `{"credential_configuration_id":"municipal_id_sd_jwt","proofs":{"jwt":[` + mustJSON(proof) + `]}}`} {
			req := httptest.NewRequest("POST", oid4vci.CredentialPath, strings.NewReader(b))
			req.Header.Set("Authorization", "Bearer pat_x")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			var out map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("answer %d is not JSON: %q", rec.Code, rec.Body.String())
			}
		}
	})
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }
