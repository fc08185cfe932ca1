package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/credential/cose"
)

// maxKeys bounds a parsed key set; a city publishes a handful of keys.
const maxKeys = 64

// KeySet is an immutable set of public verification keys indexed by key id.
type KeySet struct {
	keys []cose.Key
	byID map[string]int
}

// NewKeySet builds a key set; key ids must be unique and keys must be P-256 or Ed25519.
func NewKeySet(keys ...cose.Key) (*KeySet, error) {
	if len(keys) > maxKeys {
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrKey, len(keys), maxKeys)
	}
	s := &KeySet{keys: make([]cose.Key, 0, len(keys)), byID: make(map[string]int, len(keys))}
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		if _, dup := s.byID[k.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate key id %q", ErrKey, k.ID)
		}
		s.byID[k.ID] = len(s.keys)
		s.keys = append(s.keys, k)
	}
	return s, nil
}

func checkKey(k cose.Key) error {
	switch pub := k.Public.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() || k.Alg != ES256 {
			return fmt.Errorf("%w: key %q: EC keys must be P-256 with ES256", ErrKey, k.ID)
		}
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize || k.Alg != EdDSA {
			return fmt.Errorf("%w: key %q: Ed25519 keys must be 32 bytes with EdDSA", ErrKey, k.ID)
		}
	default:
		return fmt.Errorf("%w: key %q has type %T", ErrKey, k.ID, k.Public)
	}
	if k.ID == "" {
		return fmt.Errorf("%w: key without an id", ErrKey)
	}
	return nil
}

// Lookup returns the key with id kid.
func (s *KeySet) Lookup(kid string) (cose.Key, bool) {
	if s == nil {
		return cose.Key{}, false
	}
	i, ok := s.byID[kid]
	if !ok {
		return cose.Key{}, false
	}
	return s.keys[i], true
}

// Keys returns the keys in order.
func (s *KeySet) Keys() []cose.Key {
	if s == nil {
		return nil
	}
	return append([]cose.Key(nil), s.keys...)
}

// JWK is one JSON Web Key (RFC 7517) as published; only public members.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

type jwks struct {
	Keys []JWK `json:"keys"`
}

// MarshalJWKS returns the key set as a JWK set document.
func (s *KeySet) MarshalJWKS() ([]byte, error) {
	out := jwks{Keys: []JWK{}}
	for _, k := range s.Keys() {
		j := JWK{Kid: k.ID, Alg: k.Alg, Use: "sig"}
		switch pub := k.Public.(type) {
		case *ecdsa.PublicKey:
			raw, err := pub.Bytes()
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrKey, err)
			}
			j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64(raw[1:33]), b64(raw[33:])
		case ed25519.PublicKey:
			j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(pub)
		}
		out.Keys = append(out.Keys, j)
	}
	return json.MarshalIndent(out, "", "  ")
}

// MarshalCOSE returns the key set as a CBOR array of COSE_Key maps.
func (s *KeySet) MarshalCOSE() ([]byte, error) { return cose.MarshalKeySet(s.Keys()) }

// ParseCOSE reads a COSE key set as written by MarshalCOSE.
func ParseCOSE(data []byte) (*KeySet, error) {
	keys, err := cose.ParseKeySet(data)
	if err != nil {
		return nil, err
	}
	return NewKeySet(keys...)
}

// ParseJWKS reads a JWK set of EC P-256 and Ed25519 public keys. Keys marked
// for another use ("enc") are skipped; a key without "kid" gets KeyID of its
// public key; a key without "alg" gets the algorithm its type implies.
func ParseJWKS(data []byte) (*KeySet, error) {
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%w: JWK set of %d bytes is too large", ErrKey, len(data))
	}
	var set struct {
		Keys []struct {
			JWK
			D string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: JWK set: %v", ErrKey, err)
	}
	if len(set.Keys) > maxKeys {
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrKey, len(set.Keys), maxKeys)
	}
	var keys []cose.Key
	for i, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		if j.D != "" {
			return nil, fmt.Errorf("%w: key %d contains a private key; publish public keys only", ErrKey, i)
		}
		k, err := parseJWK(j.JWK)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		keys = append(keys, k)
	}
	return NewKeySet(keys...)
}

func parseJWK(j JWK) (cose.Key, error) {
	dec := func(s string, n int) ([]byte, error) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != n {
			return nil, fmt.Errorf("%w: coordinate is not %d base64url bytes", ErrKey, n)
		}
		return b, nil
	}
	var k cose.Key
	switch {
	case j.Kty == "EC" && j.Crv == "P-256":
		x, err := dec(j.X, 32)
		if err != nil {
			return k, err
		}
		y, err := dec(j.Y, 32)
		if err != nil {
			return k, err
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return k, fmt.Errorf("%w: %v", ErrKey, err)
		}
		k = cose.Key{Public: pub, Alg: ES256}
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		x, err := dec(j.X, ed25519.PublicKeySize)
		if err != nil {
			return k, err
		}
		k = cose.Key{Public: ed25519.PublicKey(x), Alg: EdDSA}
	default:
		return k, fmt.Errorf("%w: kty %q crv %q (want EC P-256 or OKP Ed25519)", ErrKey, j.Kty, j.Crv)
	}
	if j.Alg != "" && j.Alg != k.Alg {
		return k, fmt.Errorf("%w: alg %q does not fit a %s %s key", ErrKey, j.Alg, j.Kty, j.Crv)
	}
	k.ID = j.Kid
	if k.ID == "" {
		id, err := KeyID(k.Public)
		if err != nil {
			return k, err
		}
		k.ID = id
	}
	return k, nil
}
