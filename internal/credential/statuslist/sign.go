package statuslist

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Signer signs status list tokens. The signing package's keys satisfy it;
// declaring it here keeps this package free of key storage.
type Signer interface {
	KeyID() string
	// Algorithm is the JOSE name: "ES256" (default), "ES384" or "EdDSA".
	Algorithm() string
	// Sign returns the JOSE/COSE signature of msg: raw r||s for ECDSA.
	Sign(msg []byte) ([]byte, error)
}

// KeyLookup returns the public key for a key id, from the issuer's
// published key set. It must return an error for unknown ids.
type KeyLookup func(kid string) (crypto.PublicKey, error)

// Meta is what a signed list says about itself besides the statuses.
type Meta struct {
	// URI is the "sub" claim. Callers MUST check it equals the status
	// list URI in the card's credential, or a list for another card
	// population could be substituted.
	URI      string
	KeyID    string
	IssuedAt time.Time
	Expires  time.Time     // zero when the token has no exp
	TTL      time.Duration // zero when the token has no ttl
}

// Errors from signing and verification.
var (
	ErrAlgorithm = errors.New("statuslist: unsupported or forbidden algorithm")
	ErrType      = errors.New("statuslist: wrong token type")
	ErrSignature = errors.New("statuslist: signature does not verify")
	ErrExpired   = errors.New("statuslist: token expired")
	ErrMalformed = errors.New("statuslist: malformed token")
)

// maxTokenBytes bounds the size of a token accepted for parsing: the
// largest list (MaxDecodedBytes) compresses to far less, except for
// random data, which a status list is not.
const maxTokenBytes = 8 << 20

// COSE algorithm identifiers (RFC 9053) for the JOSE names we accept.
var coseAlg = map[string]int64{"ES256": -7, "ES384": -35, "EdDSA": -8}

func joseAlgFromCOSE(v int64) (string, bool) {
	for name, id := range coseAlg {
		if id == v {
			return name, true
		}
	}
	return "", false
}

func checkSignerAlg(s Signer) error {
	if _, ok := coseAlg[s.Algorithm()]; !ok {
		return fmt.Errorf("%w: signer uses %q", ErrAlgorithm, s.Algorithm())
	}
	return nil
}

// verifySignature checks a JOSE-style signature (raw r||s for ECDSA).
// The key type must match the algorithm, so an attacker cannot pick an
// algorithm the key was never meant for.
func verifySignature(alg string, pub crypto.PublicKey, msg, sig []byte) error {
	switch alg {
	case "ES256", "ES384":
		k, ok := pub.(*ecdsa.PublicKey)
		curve, hashed := elliptic.P256(), sha256Sum(msg)
		if alg == "ES384" {
			curve, hashed = elliptic.P384(), sha384Sum(msg)
		}
		if !ok || k.Curve != curve {
			return fmt.Errorf("%w: key does not match %s", ErrAlgorithm, alg)
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("%w: signature length %d", ErrSignature, len(sig))
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, hashed, r, s) {
			return ErrSignature
		}
		return nil
	case "EdDSA":
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%w: key does not match %s", ErrAlgorithm, alg)
		}
		if !ed25519.Verify(k, msg, sig) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %q", ErrAlgorithm, alg)
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
func sha384Sum(b []byte) []byte { h := sha512.Sum384(b); return h[:] }

// maxTTL bounds the ttl claim so converting it to a Duration cannot overflow.
const maxTTL = 10 * 365 * 24 * time.Hour

// newMeta builds Meta from numeric claims and applies the checks every
// verifier must make: sub and iat present, ttl sane, not expired.
func newMeta(sub, kid string, iat, exp, ttl int64, now time.Time) (Meta, error) {
	if sub == "" {
		return Meta{}, fmt.Errorf("%w: missing sub", ErrMalformed)
	}
	if iat == 0 {
		return Meta{}, fmt.Errorf("%w: missing iat", ErrMalformed)
	}
	if ttl < 0 || ttl > int64(maxTTL/time.Second) {
		return Meta{}, fmt.Errorf("%w: ttl %d", ErrMalformed, ttl)
	}
	m := Meta{URI: sub, KeyID: kid, IssuedAt: time.Unix(iat, 0).UTC(), TTL: time.Duration(ttl) * time.Second}
	if exp != 0 {
		m.Expires = time.Unix(exp, 0).UTC()
		if !now.Before(m.Expires) {
			return Meta{}, fmt.Errorf("%w: at %s", ErrExpired, m.Expires.Format(time.RFC3339))
		}
	}
	return m, nil
}

func checkSignArgs(l *List, uri string, iat, exp time.Time, ttl time.Duration, s Signer) error {
	if l == nil || uri == "" || iat.IsZero() {
		return errors.New("statuslist: sign: list, uri and iat are required")
	}
	if !exp.IsZero() && !exp.After(iat) {
		return errors.New("statuslist: sign: exp must be after iat")
	}
	if ttl < 0 {
		return errors.New("statuslist: sign: negative ttl")
	}
	return checkSignerAlg(s)
}
