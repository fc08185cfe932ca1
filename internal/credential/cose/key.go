package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
)

// COSE_Key parameters (RFC 9052 section 7, RFC 9053 section 7).
const (
	keyKty = 1
	keyKid = 2
	keyAlg = 3
	keyCrv = -1
	keyX   = -2
	keyY   = -3

	ktyOKP = 1
	ktyEC2 = 2

	crvP256    = 1
	crvEd25519 = 6
)

// ErrKey reports a COSE_Key that is malformed or of an unsupported type.
var ErrKey = errors.New("unsupported or malformed COSE_Key")

// Key is a public key with its key id, as published in a COSE key set.
type Key struct {
	ID     string
	Alg    string // "ES256" or "EdDSA"
	Public crypto.PublicKey
}

// MarshalKeySet encodes keys as a CBOR array of COSE_Key maps.
func MarshalKeySet(keys []Key) ([]byte, error) {
	set := make([]map[int64]any, 0, len(keys))
	for _, k := range keys {
		m := map[int64]any{keyKid: []byte(k.ID)}
		alg, err := AlgorithmID(k.Alg)
		if err != nil {
			return nil, err
		}
		m[keyAlg] = alg
		switch pub := k.Public.(type) {
		case *ecdsa.PublicKey:
			if pub.Curve != elliptic.P256() {
				return nil, fmt.Errorf("%w: curve %s", ErrKey, pub.Curve.Params().Name)
			}
			raw, err := pub.Bytes() // 0x04 || X || Y
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrKey, err)
			}
			m[keyKty], m[keyCrv], m[keyX], m[keyY] = ktyEC2, crvP256, raw[1:33], raw[33:]
		case ed25519.PublicKey:
			m[keyKty], m[keyCrv], m[keyX] = ktyOKP, crvEd25519, []byte(pub)
		default:
			return nil, fmt.Errorf("%w: %T", ErrKey, k.Public)
		}
		set = append(set, m)
	}
	return EncMode.Marshal(set)
}

type coseKey struct {
	Kty int64  `cbor:"1,keyasint"`
	Kid []byte `cbor:"2,keyasint"`
	Alg int64  `cbor:"3,keyasint"`
	Crv int64  `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

// ParseKeySet decodes a CBOR array of COSE_Key maps (P-256 and Ed25519 public keys).
func ParseKeySet(data []byte) ([]Key, error) {
	var raw []coseKey
	if err := DecMode.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	keys := make([]Key, 0, len(raw))
	for i, k := range raw {
		key := Key{ID: string(k.Kid), Alg: AlgorithmName(k.Alg)}
		switch {
		case k.Kty == ktyEC2 && k.Crv == crvP256 && len(k.X) == 32 && len(k.Y) == 32:
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, k.X...), k.Y...))
			if err != nil {
				return nil, fmt.Errorf("%w: key %d: %v", ErrKey, i, err)
			}
			key.Public = pub
		case k.Kty == ktyOKP && k.Crv == crvEd25519 && len(k.X) == ed25519.PublicKeySize:
			key.Public = ed25519.PublicKey(k.X)
		default:
			return nil, fmt.Errorf("%w: key %d: kty %d crv %d", ErrKey, i, k.Kty, k.Crv)
		}
		keys = append(keys, key)
	}
	return keys, nil
}
