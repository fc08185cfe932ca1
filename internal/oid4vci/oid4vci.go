// Package oid4vci is the OpenID for Verifiable Credential Issuance 1.0
// surface of the phone credential: issuer and authorization-server
// metadata, the token endpoint (pre-authorized code with a transaction
// code), the nonce endpoint, the credential endpoint (JWT proofs, batch) and
// the SD-JWT VC type metadata. The card service does the work; this package
// speaks the protocol and answers errors in OAuth's JSON shape, which the
// protocol prescribes (not the API's error body).
package oid4vci

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/municipalid"
)

// Paths of the endpoints under the issuer URL.
const (
	IssuerMetadataPath = "/.well-known/openid-credential-issuer"
	ASMetadataPath     = "/.well-known/oauth-authorization-server"
	TokenPath          = "/oid4vci/token"
	NoncePath          = "/oid4vci/nonce"
	CredentialPath     = "/oid4vci/credential"
	// PreAuthGrant is the pre-authorized code grant type.
	PreAuthGrant = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// ProofType is the typ of a key proof JWT.
	ProofType = "openid4vci-proof+jwt"
)

// Issuer is what the endpoints need of the card service.
type Issuer interface {
	RedeemPhoneOffer(ctx context.Context, code, txCode string) (card.PhoneToken, error)
	IssuePhone(ctx context.Context, token string, holders []crypto.PublicKey) ([]string, error)
}

// Translator turns message keys into text; *i18n.Bundle implements it.
type Translator interface {
	T(lang, key string, args ...any) string
	Match(acceptLanguage string) string
}

// Config is the handler's dependencies.
type Config struct {
	Issuer    Issuer
	IssuerURL string
	City      string
	Program   string   // the program's name, shown by wallets
	Languages []string // the program's languages, first the default
	Tr        Translator
	Now       func() time.Time
	// MAC is a keyed hash (the same key on every app server) that makes
	// nonces verifiable without storing them.
	MAC func(purpose string, parts ...string) []byte
	// SigningAlg is the JOSE algorithm of the program's active signing key.
	SigningAlg string
	Log        *slog.Logger
	Rand       io.Reader // nil: crypto/rand
}

// Handler serves the endpoints.
type Handler struct {
	c      Config
	issuer string
}

// New returns a Handler.
func New(c Config) (*Handler, error) {
	if c.Issuer == nil || c.IssuerURL == "" || c.Tr == nil || c.MAC == nil || c.Now == nil {
		return nil, errors.New("oid4vci: issuer, issuer URL, translator, MAC and clock are required")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if len(c.Languages) == 0 {
		c.Languages = []string{"en"}
	}
	return &Handler{c: c, issuer: strings.TrimRight(c.IssuerURL, "/")}, nil
}

// Register mounts the endpoints on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+IssuerMetadataPath, h.issuerMetadata)
	mux.HandleFunc("GET "+ASMetadataPath, h.asMetadata)
	mux.HandleFunc("GET "+municipalid.VCTPath, h.typeMetadata)
	mux.HandleFunc("POST "+TokenPath, h.token)
	mux.HandleFunc("POST "+NoncePath, h.nonce)
	mux.HandleFunc("POST "+CredentialPath, h.credential)
}

// OfferURI returns the openid-credential-offer:// URI of an offer, for the
// QR: the pre-authorized code travels in it, the transaction code never does.
func OfferURI(issuerURL, code, txDescription string) string {
	offer := map[string]any{
		"credential_issuer":            strings.TrimRight(issuerURL, "/"),
		"credential_configuration_ids": []string{municipalid.ConfigurationID},
		"grants": map[string]any{PreAuthGrant: map[string]any{
			"pre-authorized_code": code,
			"tx_code":             map[string]any{"input_mode": "numeric", "length": card.PhoneTxDigits, "description": txDescription},
		}},
	}
	b, _ := json.Marshal(offer) // plain maps and strings: cannot fail
	return "openid-credential-offer://?credential_offer=" + url.QueryEscape(string(b))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError is an OAuth 2.0 error response: a code from the protocol and a
// description in the reader's language.
type oauthError struct {
	status int
	code   string
	key    string // message key of the description
	cause  error
}

func (e *oauthError) Error() string { return e.code + ": " + e.key }

func fail(status int, code, key string, cause error) *oauthError {
	return &oauthError{status: status, code: code, key: key, cause: cause}
}

func (h *Handler) lang(r *http.Request) string { return h.c.Tr.Match(r.Header.Get("Accept-Language")) }

// refuse writes e; the log gets the route and code, never the request's
// codes or tokens.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, e *oauthError) {
	if e.status >= 500 {
		h.c.Log.Error("oid4vci request failed", "route", r.Pattern, "err", e.cause)
	} else {
		h.c.Log.Info("oid4vci request refused", "route", r.Pattern, "error", e.code)
	}
	if e.code == "invalid_token" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": h.c.Tr.T(h.lang(r), e.key)})
}
