// Package sdjwt issues, presents and verifies Selective Disclosure JWTs
// (RFC 9901) in the SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc): the
// format of the card on a resident's phone. The issuer signs a JWT that
// holds only salted digests of the claims; each claim travels beside it as
// a disclosure the holder may show or keep back, and a key-binding JWT
// signed with the holder's key (cnf) proves a presentation was made for one
// verifier (aud) and one request (nonce).
//
// Signatures are made and checked by go-jose; signing keys come from the
// program's keyring (internal/credential/signing), so an HSM signs phone
// credentials exactly as it signs card QR codes.
package sdjwt

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Header types and the only digest algorithm supported.
const (
	// Type is the JOSE "typ" of an SD-JWT VC (media type application/dc+sd-jwt).
	Type = "dc+sd-jwt"
	// KBType is the "typ" of a key-binding JWT.
	KBType = "kb+jwt"
	// HashAlg is the _sd_alg value; SHA-256 is the only one accepted.
	HashAlg = "sha-256"
)

// Errors. Each names one reason a verifier can show; they wrap ErrInvalid so
// a caller can tell "not a valid credential" from a failure of its own.
var (
	ErrInvalid     = errors.New("sdjwt: invalid")
	ErrMalformed   = fmt.Errorf("%w: malformed", ErrInvalid)
	ErrType        = fmt.Errorf("%w: wrong token type", ErrInvalid)
	ErrAlgorithm   = fmt.Errorf("%w: unsupported or forbidden algorithm", ErrInvalid)
	ErrUnknownKey  = fmt.Errorf("%w: unknown issuer key", ErrInvalid)
	ErrSignature   = fmt.Errorf("%w: issuer signature does not verify", ErrInvalid)
	ErrExpired     = fmt.Errorf("%w: expired", ErrInvalid)
	ErrNotYetValid = fmt.Errorf("%w: not yet valid", ErrInvalid)
	ErrDisclosure  = fmt.Errorf("%w: disclosure does not match the credential", ErrInvalid)
	ErrIssuer      = fmt.Errorf("%w: unexpected issuer or type", ErrInvalid)
	ErrKeyBinding  = fmt.Errorf("%w: key binding missing or not signed by the holder's key", ErrInvalid)
	ErrNonce       = fmt.Errorf("%w: key binding nonce does not match the request", ErrInvalid)
	ErrAudience    = fmt.Errorf("%w: key binding audience is not this verifier", ErrInvalid)
	ErrStale       = fmt.Errorf("%w: key binding is too old or from the future", ErrInvalid)
	ErrSDHash      = fmt.Errorf("%w: key binding does not cover this presentation (sd_hash)", ErrInvalid)
)

// MaxSize bounds a serialized SD-JWT accepted for parsing. A municipal ID
// credential without a picture is about 3 KB.
const MaxSize = 64 << 10

// maxDepth bounds the nesting of claims (objects, arrays, recursive
// disclosures) the verifier walks.
const maxDepth = 16

var b64 = base64.RawURLEncoding

// Disclosure is one disclosure: a salted claim (object member when Name is
// set, array element otherwise), its base64url encoding as transmitted and
// the digest of that encoding that the issuer signed.
type Disclosure struct {
	Salt    string
	Name    string
	Value   any
	Encoded string
	Digest  string
	element bool
}

// IsElement reports whether the disclosure is an array element (no name).
func (d Disclosure) IsElement() bool { return d.element }

// digest returns the base64url SHA-256 of a disclosure's encoded form (or of
// an SD-JWT presentation, for sd_hash).
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return b64.EncodeToString(h[:])
}

// ParseDisclosure decodes one base64url disclosure.
func ParseDisclosure(enc string) (Disclosure, error) {
	raw, err := b64.DecodeString(enc)
	if err != nil {
		return Disclosure{}, fmt.Errorf("%w: disclosure is not base64url: %w", ErrMalformed, err)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return Disclosure{}, fmt.Errorf("%w: disclosure is not a JSON array: %w", ErrMalformed, err)
	}
	d := Disclosure{Encoded: enc, Digest: digest(enc)}
	var val json.RawMessage
	switch len(arr) {
	case 3:
		if err := json.Unmarshal(arr[1], &d.Name); err != nil {
			return Disclosure{}, fmt.Errorf("%w: disclosure claim name is not a string", ErrMalformed)
		}
		if d.Name == "_sd" || d.Name == "..." || d.Name == "_sd_alg" {
			return Disclosure{}, fmt.Errorf("%w: disclosure claim name %q is reserved", ErrMalformed, d.Name)
		}
		val = arr[2]
	case 2:
		d.element = true
		val = arr[1]
	default:
		return Disclosure{}, fmt.Errorf("%w: disclosure has %d elements, want 2 or 3", ErrMalformed, len(arr))
	}
	if err := json.Unmarshal(arr[0], &d.Salt); err != nil {
		return Disclosure{}, fmt.Errorf("%w: disclosure salt is not a string", ErrMalformed)
	}
	if err := json.Unmarshal(val, &d.Value); err != nil {
		return Disclosure{}, fmt.Errorf("%w: disclosure value: %w", ErrMalformed, err)
	}
	return d, nil
}

// Token is a serialized SD-JWT split into its parts: the issuer-signed JWT,
// the disclosures in order, and the key-binding JWT ("" when absent).
type Token struct {
	JWT         string
	Disclosures []string
	KB          string
}

// Split splits the compact form <jwt>~<disclosure>~…~<kb-jwt or empty>.
// It checks only the shape, not signatures.
func Split(s string) (Token, error) {
	if len(s) > MaxSize {
		return Token{}, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(s), MaxSize)
	}
	parts := strings.Split(strings.TrimSpace(s), "~")
	if len(parts) < 2 {
		return Token{}, fmt.Errorf("%w: no '~' separator (not an SD-JWT)", ErrMalformed)
	}
	t := Token{JWT: parts[0], Disclosures: parts[1 : len(parts)-1], KB: parts[len(parts)-1]}
	if strings.Count(t.JWT, ".") != 2 {
		return Token{}, fmt.Errorf("%w: issuer JWT is not a compact JWS", ErrMalformed)
	}
	for _, d := range t.Disclosures {
		if d == "" {
			return Token{}, fmt.Errorf("%w: empty disclosure", ErrMalformed)
		}
	}
	if t.KB != "" && strings.Count(t.KB, ".") != 2 {
		return Token{}, fmt.Errorf("%w: key-binding JWT is not a compact JWS", ErrMalformed)
	}
	return t, nil
}

// withoutKB is the presentation as the holder signed it in sd_hash: the
// issuer JWT and disclosures, each followed by '~'.
func (t Token) withoutKB() string {
	var b strings.Builder
	b.WriteString(t.JWT)
	b.WriteByte('~')
	for _, d := range t.Disclosures {
		b.WriteString(d)
		b.WriteByte('~')
	}
	return b.String()
}

// String returns the compact serialization.
func (t Token) String() string { return t.withoutKB() + t.KB }
