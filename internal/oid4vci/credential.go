package oid4vci

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/municipalid"
)

// Limits of the credential endpoint.
const (
	// NonceTTL is how long a c_nonce from the nonce endpoint is accepted.
	NonceTTL = 5 * time.Minute
	// proofMaxAge bounds how old a proof's iat may be; proofSkew how far
	// in the future (clock differences).
	proofMaxAge = 5 * time.Minute
	proofSkew   = time.Minute
	maxBody     = 64 << 10
)

var b64 = base64.RawURLEncoding

// proofAlgs are the proof signature algorithms accepted.
var proofAlgs = []string{"ES256", "ES384", "EdDSA"}

// nonce issues a c_nonce: an expiry and random bytes with a keyed MAC, so
// any app server can check it and none has to store it.
func (h *Handler) nonce(w http.ResponseWriter, r *http.Request) {
	var raw [24]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(h.c.Now().Add(NonceTTL).Unix()))
	if _, err := io.ReadFull(h.c.Rand, raw[8:]); err != nil {
		h.refuse(w, r, fail(http.StatusInternalServerError, "server_error", "phone.error.server", err))
		return
	}
	body := b64.EncodeToString(raw[:])
	writeJSON(w, http.StatusOK, map[string]string{"c_nonce": body + "." + b64.EncodeToString(h.c.MAC("oid4vci.nonce", body)[:16])})
}

// nonceValid checks a c_nonce's MAC and expiry.
func (h *Handler) nonceValid(n string) bool {
	body, mac, ok := strings.Cut(n, ".")
	if !ok {
		return false
	}
	want := b64.EncodeToString(h.c.MAC("oid4vci.nonce", body)[:16])
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return false
	}
	raw, err := b64.DecodeString(body)
	if err != nil || len(raw) != 24 {
		return false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	return h.c.Now().Before(exp)
}

type credentialRequest struct {
	ConfigurationID string `json:"credential_configuration_id"`
	Identifier      string `json:"credential_identifier"`
	Proofs          *struct {
		JWT []string `json:"jwt"`
	} `json:"proofs"`
	Proof json.RawMessage `json:"proof"` // draft wallets; 1.0 has only "proofs"
}

// credential issues one credential per proven key (OpenID4VCI 1.0 §8).
func (h *Handler) credential(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		h.refuse(w, r, fail(http.StatusUnauthorized, "invalid_token", "phone.error.token", nil))
		return
	}
	var req credentialRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_credential_request", "phone.error.json", err))
		return
	}
	switch {
	case req.Identifier != "":
		h.refuse(w, r, fail(http.StatusBadRequest, "unknown_credential_identifier", "phone.error.identifier", nil))
		return
	case req.ConfigurationID != municipalid.ConfigurationID:
		h.refuse(w, r, fail(http.StatusBadRequest, "unknown_credential_configuration", "phone.error.configuration", nil))
		return
	case req.Proofs == nil || len(req.Proofs.JWT) == 0:
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_proof", "phone.error.proof_missing", nil))
		return
	case len(req.Proofs.JWT) > card.PhoneBatch:
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_credential_request", "phone.error.batch", nil))
		return
	}
	var keys []crypto.PublicKey
	seen := map[string]bool{}
	for _, p := range req.Proofs.JWT {
		k, thumb, err := h.checkProof(p)
		if errors.Is(err, errNonce) {
			h.refuse(w, r, fail(http.StatusBadRequest, "invalid_nonce", "phone.error.nonce", err))
			return
		}
		if err != nil {
			h.refuse(w, r, fail(http.StatusBadRequest, "invalid_proof", "phone.error.proof", err))
			return
		}
		if seen[thumb] {
			h.refuse(w, r, fail(http.StatusBadRequest, "invalid_proof", "phone.error.proof_same_key", nil))
			return
		}
		seen[thumb] = true
		keys = append(keys, k)
	}
	creds, err := h.c.Issuer.IssuePhone(r.Context(), token, keys)
	switch {
	case errors.Is(err, card.ErrAccessToken):
		h.refuse(w, r, fail(http.StatusUnauthorized, "invalid_token", "phone.error.token", err))
		return
	case errors.Is(err, card.ErrState):
		h.refuse(w, r, fail(http.StatusBadRequest, "credential_request_denied", "phone.error.card_state", err))
		return
	case err != nil:
		h.refuse(w, r, fail(http.StatusInternalServerError, "server_error", "phone.error.server", err))
		return
	}
	out := make([]map[string]string, len(creds))
	for i, c := range creds {
		out[i] = map[string]string{"credential": c}
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": out})
}

var errNonce = errors.New("proof nonce unknown or expired")

// checkProof verifies a key proof JWT: typ, algorithm, the public key in
// its header (jwk) that signed it, aud = this issuer, a live c_nonce and a
// fresh iat. It returns the key and its RFC 7638 thumbprint.
func (h *Handler) checkProof(p string) (crypto.PublicKey, string, error) {
	jws, err := jose.ParseSignedCompact(p, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA})
	if err != nil {
		return nil, "", fmt.Errorf("proof: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", errors.New("proof: want one signature")
	}
	hdr := jws.Signatures[0].Protected
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != ProofType {
		return nil, "", fmt.Errorf("proof: typ %q, want %s", typ, ProofType)
	}
	if hdr.JSONWebKey == nil || !hdr.JSONWebKey.Valid() || !hdr.JSONWebKey.IsPublic() {
		return nil, "", errors.New("proof: the header must carry the holder's public key as jwk")
	}
	payload, err := jws.Verify(hdr.JSONWebKey)
	if err != nil {
		return nil, "", fmt.Errorf("proof: signature: %w", err)
	}
	var c struct {
		Aud   any    `json:"aud"`
		Nonce string `json:"nonce"`
		Iat   *int64 `json:"iat"`
	}
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return nil, "", fmt.Errorf("proof: payload: %w", err)
	}
	if !audIs(c.Aud, h.issuer) {
		return nil, "", fmt.Errorf("proof: aud %v is not %s", c.Aud, h.issuer)
	}
	if c.Iat == nil {
		return nil, "", errors.New("proof: no iat")
	}
	now, iat := h.c.Now(), time.Unix(*c.Iat, 0)
	if iat.After(now.Add(proofSkew)) || now.Sub(iat) > proofMaxAge {
		return nil, "", fmt.Errorf("proof: iat %s is not fresh", iat.UTC().Format(time.RFC3339))
	}
	if !h.nonceValid(c.Nonce) {
		return nil, "", errNonce
	}
	thumb, err := hdr.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", fmt.Errorf("proof: %w", err)
	}
	return hdr.JSONWebKey.Key, string(thumb), nil
}

func audIs(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return len(a) == 1 && a[0] == want
	}
	return false
}
