// Package josesign lets go-jose build compact JWS with the program's
// signers (software keys or an HSM), which sign a whole message rather than
// hand go-jose a private key. The status list token and the phone credential
// (SD-JWT) are both signed this way.
package josesign

import jose "github.com/go-jose/go-jose/v4"

// MessageSigner signs a JWS signing input and returns the JOSE signature
// (raw r||s for ECDSA). signing.Bound satisfies it.
type MessageSigner interface {
	KeyID() string
	Algorithm() string
	Sign(msg []byte) ([]byte, error)
}

// Opaque presents s to go-jose as an opaque signer: go-jose writes the
// header (alg, kid, typ), the signing input and the encoding; s brings its
// own randomness.
func Opaque(s MessageSigner) jose.OpaqueSigner { return opaque{s} }

type opaque struct{ s MessageSigner }

func (o opaque) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{KeyID: o.s.KeyID(), Algorithm: o.s.Algorithm()}
}

func (o opaque) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(o.s.Algorithm())}
}

func (o opaque) SignPayload(payload []byte, _ jose.SignatureAlgorithm) ([]byte, error) {
	return o.s.Sign(payload)
}
