// Package signing holds the credential signing keys: the Signer interface the
// encoders use, software ES256 (default) and EdDSA signers, key ids, a keyring
// with rotation whose private keys are encrypted at rest, and the published
// public key sets (JWK set and COSE key set) that verifiers load.
//
// The Signer interface is deliberately small so that a PKCS#11 (HSM) signer can
// implement it in a separate file behind a build tag without touching callers.
package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Algorithm names (JOSE/COSE).
const (
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// ErrKey reports an unusable key (wrong type, curve or encoding).
var ErrKey = errors.New("unusable signing key")

// Signer signs credentials. Sign receives the whole message to be signed (the
// COSE Sig_structure or JWS signing input), not a digest, and returns the
// signature in COSE/JOSE form: raw r||s (64 bytes) for ES256.
type Signer interface {
	KeyID() string
	Algorithm() string
	Sign(rand io.Reader, msg []byte) ([]byte, error)
	Public() crypto.PublicKey
}

// NewSigner wraps an in-memory private key (*ecdsa.PrivateKey on P-256 or
// ed25519.PrivateKey) as a Signer whose key id is KeyID of its public key.
func NewSigner(priv crypto.Signer) (Signer, error) {
	var alg string
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: curve %s, want P-256", ErrKey, k.Curve.Params().Name)
		}
		alg = ES256
	case ed25519.PrivateKey:
		alg = EdDSA
	default:
		return nil, fmt.Errorf("%w: %T", ErrKey, priv)
	}
	kid, err := KeyID(priv.Public())
	if err != nil {
		return nil, err
	}
	return &softSigner{kid: kid, alg: alg, priv: priv}, nil
}

type softSigner struct {
	kid, alg string
	priv     crypto.Signer
}

func (s *softSigner) KeyID() string            { return s.kid }
func (s *softSigner) Algorithm() string        { return s.alg }
func (s *softSigner) Public() crypto.PublicKey { return s.priv.Public() }

func (s *softSigner) Sign(rand io.Reader, msg []byte) ([]byte, error) {
	switch k := s.priv.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(msg)
		r, ss, err := ecdsa.Sign(rand, k, h[:])
		if err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		return sig, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	}
	return nil, fmt.Errorf("%w: %T", ErrKey, s.priv)
}

// KeyID derives a key id from a public key: the RFC 7638 JWK thumbprint
// (SHA-256 over the key's required JWK members), truncated to 8 bytes and
// base64url-encoded (11 characters). Anyone holding the public key can
// recompute it; 64 bits is ample to tell a city's handful of keys apart, and
// the id is only a lookup hint (the signature is always checked).
func KeyID(pub crypto.PublicKey) (string, error) {
	var canon string
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: curve %s", ErrKey, k.Curve.Params().Name)
		}
		raw, err := k.Bytes()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrKey, err)
		}
		canon = `{"crv":"P-256","kty":"EC","x":"` + b64(raw[1:33]) + `","y":"` + b64(raw[33:]) + `"}`
	case ed25519.PublicKey:
		canon = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(k) + `"}`
	default:
		return "", fmt.Errorf("%w: %T", ErrKey, pub)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:8]), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Bound is a Signer with its randomness source fixed, for APIs (such as the
// status list signer) whose Sign takes only the message.
type Bound struct {
	signer Signer
	rand   io.Reader
}

// Bind fixes rand as s's randomness source.
func Bind(s Signer, rand io.Reader) Bound { return Bound{signer: s, rand: rand} }

// KeyID returns the key id.
func (b Bound) KeyID() string { return b.signer.KeyID() }

// Algorithm returns the algorithm name.
func (b Bound) Algorithm() string { return b.signer.Algorithm() }

// Public returns the public key.
func (b Bound) Public() crypto.PublicKey { return b.signer.Public() }

// Sign signs msg with the bound randomness source.
func (b Bound) Sign(msg []byte) ([]byte, error) { return b.signer.Sign(b.rand, msg) }
