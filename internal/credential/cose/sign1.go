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

	gocose "github.com/veraison/go-cose"
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
// in the protected header so that both are covered by the signature. The
// message is built and signed by github.com/veraison/go-cose; rand is
// handed to the signer (randomness is injected, never read from a global).
func Sign1(rand io.Reader, s Signer, payload []byte) ([]byte, error) {
	alg, err := AlgorithmID(s.Algorithm())
	if err != nil {
		return nil, err
	}
	hdr := gocose.Headers{Protected: gocose.ProtectedHeader{
		gocose.HeaderLabelAlgorithm: gocose.Algorithm(alg),
		gocose.HeaderLabelKeyID:     []byte(s.KeyID()),
	}}
	out, err := gocose.Sign1(rand, libSigner{s, gocose.Algorithm(alg)}, hdr, payload, nil)
	if err != nil {
		return nil, fmt.Errorf("cose: sign: %w", err)
	}
	return out, nil
}

// libSigner presents a Signer (software key or PKCS#11 token) to go-cose:
// both sign the whole Sig_structure and return the COSE signature (r||s).
type libSigner struct {
	s   Signer
	alg gocose.Algorithm
}

func (l libSigner) Algorithm() gocose.Algorithm { return l.alg }

func (l libSigner) Sign(rand io.Reader, content []byte) ([]byte, error) {
	return l.s.Sign(rand, content)
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
