package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// Signer is what Sign1 needs from a signing key; internal/credential/signing
// provides software keys and can provide HSM-backed ones.
type Signer interface {
	KeyID() string
	Algorithm() string
	// Sign signs msg (not a digest: Ed25519 needs the message) and returns the
	// COSE signature, raw r||s for ECDSA.
	Sign(rand io.Reader, msg []byte) ([]byte, error)
}

// AlgorithmID maps a JOSE/COSE algorithm name to its COSE identifier.
func AlgorithmID(name string) (int64, error) {
	switch name {
	case "ES256":
		return AlgES256, nil
	case "EdDSA":
		return AlgEdDSA, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrAlgorithm, name)
}

// AlgorithmName is the inverse of AlgorithmID.
func AlgorithmName(id int64) string {
	switch id {
	case AlgES256:
		return "ES256"
	case AlgEdDSA:
		return "EdDSA"
	}
	return fmt.Sprintf("COSE alg %d", id)
}

// Sign1 returns a tagged COSE_Sign1 over payload. The algorithm and key id go
// in the protected header so that both are covered by the signature.
func Sign1(rand io.Reader, s Signer, payload []byte) ([]byte, error) {
	alg, err := AlgorithmID(s.Algorithm())
	if err != nil {
		return nil, err
	}
	prot, err := EncMode.Marshal(header{Alg: mustInt(alg), Kid: []byte(s.KeyID())})
	if err != nil {
		return nil, fmt.Errorf("cose: encode protected header: %w", err)
	}
	sig, err := s.Sign(rand, sigStructure(prot, payload))
	if err != nil {
		return nil, fmt.Errorf("cose: sign: %w", err)
	}
	out := appendHead(make([]byte, 0, len(payload)+len(prot)+len(sig)+16), 6, TagSign1)
	out = appendHead(out, 4, 4)
	out = appendBytes(out, prot)
	out = append(out, 0xa0) // empty unprotected header map
	out = appendBytes(out, payload)
	return appendBytes(out, sig), nil
}

func mustInt(v int64) cbor.RawMessage {
	b, err := EncMode.Marshal(v)
	if err != nil {
		panic(err) // encoding an int64 cannot fail
	}
	return b
}

// sigStructure builds the RFC 9052 Sig_structure for COSE_Sign1 with empty
// external AAD. It is assembled by hand: it is on the hot path of every
// verification and its shape is fixed.
func sigStructure(protected, payload []byte) []byte {
	b := make([]byte, 0, len(protected)+len(payload)+24)
	b = append(b, 0x84, 0x6a)
	b = append(b, "Signature1"...)
	b = appendBytes(b, protected)
	b = append(b, 0x40)
	return appendBytes(b, payload)
}

// Sign1Message is a parsed, not yet verified, COSE_Sign1.
type Sign1Message struct {
	protected []byte
	Alg       int64 // from the protected header
	KeyID     []byte
	Payload   []byte
	Signature []byte
}

type sign1Array struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected header
	Payload     []byte
	Signature   []byte
}

// ParseSign1 parses untagged COSE_Sign1 content (see Unwrap). It checks the
// structure and that the protected header names an algorithm; it does not verify.
func ParseSign1(content []byte) (*Sign1Message, error) {
	var a sign1Array
	if err := DecMode.Unmarshal(content, &a); err != nil {
		return nil, fmt.Errorf("%w: COSE_Sign1: %v", ErrNotCOSE, err)
	}
	if a.Payload == nil {
		return nil, fmt.Errorf("%w: COSE_Sign1 has a detached or missing payload", ErrNotCOSE)
	}
	if a.Unprotected.Crit != nil {
		return nil, fmt.Errorf("%w: crit must be protected", ErrNotCOSE)
	}
	ph, err := decodeHeader(a.Protected, "protected")
	if err != nil {
		return nil, err
	}
	alg, ok, err := ph.alg()
	if err != nil {
		return nil, err
	}
	if !ok {
		// An algorithm only in the unprotected header could be swapped by anyone,
		// and none at all is the COSE form of "alg: none".
		if a.Unprotected.Alg != nil {
			return nil, fmt.Errorf("%w: alg is not in the protected header", ErrAlgorithm)
		}
		return nil, fmt.Errorf("%w: no alg (unsigned)", ErrAlgorithm)
	}
	kid := ph.Kid
	if kid == nil {
		kid = a.Unprotected.Kid
	}
	return &Sign1Message{protected: a.Protected, Alg: alg, KeyID: kid, Payload: a.Payload, Signature: a.Signature}, nil
}

// Verify checks the signature with pub, which must match the message's algorithm:
// an ES256 message never verifies against an Ed25519 key or the other way round.
func (m *Sign1Message) Verify(pub crypto.PublicKey) error {
	switch m.Alg {
	case AlgES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ES256 message, key is %T", ErrAlgorithm, pub)
		}
		if len(m.Signature) != 64 {
			return fmt.Errorf("%w: ES256 signature is %d bytes, want 64", ErrSignature, len(m.Signature))
		}
		h := sha256.Sum256(sigStructure(m.protected, m.Payload))
		r := new(big.Int).SetBytes(m.Signature[:32])
		s := new(big.Int).SetBytes(m.Signature[32:])
		if !ecdsa.Verify(k, h[:], r, s) {
			return ErrSignature
		}
		return nil
	case AlgEdDSA:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: EdDSA message, key is %T", ErrAlgorithm, pub)
		}
		if len(m.Signature) != ed25519.SignatureSize {
			return fmt.Errorf("%w: EdDSA signature is %d bytes, want 64", ErrSignature, len(m.Signature))
		}
		if !ed25519.Verify(k, sigStructure(m.protected, m.Payload), m.Signature) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %s", ErrAlgorithm, AlgorithmName(m.Alg))
}
