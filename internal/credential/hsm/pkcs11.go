//go:build pkcs11

package hsm

import (
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/cityid/cityid/internal/credential/signing"
)

// Context is an open, logged-in connection to one PKCS#11 token. It is safe
// for concurrent use; crypto11 keeps a pool of sessions.
type Context struct {
	ctx   *crypto11.Context
	label string // the token's, for messages
}

// Open loads the PKCS#11 module, finds the token by label and logs in with the
// user PIN. Close it when done.
//
// Open one Context per module per process and share it: PKCS#11 login state
// belongs to the process, so while one Context is logged in a second Open of
// the same token succeeds whatever PIN it is given.
func Open(c Config) (*Context, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Path, TokenLabel: c.TokenLabel, Pin: c.PIN})
	var p11 pkcs11.Error
	if errors.As(err, &p11) && (p11 == pkcs11.CKR_PIN_INCORRECT || p11 == pkcs11.CKR_PIN_LEN_RANGE) {
		return nil, fmt.Errorf("%w for token %q (a token locks after a few wrong PINs: check the PIN file before trying again)", ErrWrongPIN, c.TokenLabel)
	}
	if err != nil {
		return nil, fmt.Errorf("hsm: open token %q with module %s: %w", c.TokenLabel, c.Path, err)
	}
	return &Context{ctx: ctx, label: c.TokenLabel}, nil
}

// Close logs out and unloads the module. Signers from this context stop working.
func (c *Context) Close() error {
	if err := c.ctx.Close(); err != nil {
		return fmt.Errorf("hsm: close: %w", err)
	}
	return nil
}

// Signer returns the ES256 signer for the key pair labelled keyLabel on the
// token. The private key stays on the token; each Sign is a PKCS#11 call.
func (c *Context) Signer(keyLabel string) (signing.Signer, error) {
	k, err := c.find(keyLabel)
	if err != nil {
		return nil, err
	}
	return newSigner(k)
}

// Generate creates a P-256 key pair labelled keyLabel on the token: the
// private key is private, sensitive and not extractable, so no one, this
// program included, can read it back. The CKA_ID is the label's
// bytes, which other PKCS#11 tools show alongside the label.
//
// It refuses a label already in use, so Signer(keyLabel) is never ambiguous;
// two processes generating the same label at once is not guarded against.
func (c *Context) Generate(keyLabel string) (signing.Signer, error) {
	switch _, err := c.find(keyLabel); {
	case err == nil:
		return nil, fmt.Errorf("%w: label %q", ErrExists, keyLabel)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	pub, err := crypto11.NewAttributeSetWithIDAndLabel([]byte(keyLabel), []byte(keyLabel))
	if err != nil {
		return nil, fmt.Errorf("hsm: key %q attributes: %w", keyLabel, err)
	}
	priv := pub.Copy()
	// crypto11 sets these by default too; say so explicitly, since the whole
	// point of the HSM is that the private key cannot be read back.
	for _, a := range []struct {
		typ crypto11.AttributeType
		val bool
	}{{crypto11.CkaSensitive, true}, {crypto11.CkaExtractable, false}, {crypto11.CkaPrivate, true}} {
		if err := priv.Set(a.typ, a.val); err != nil {
			return nil, fmt.Errorf("hsm: key %q attributes: %w", keyLabel, err)
		}
	}
	k, err := c.ctx.GenerateECDSAKeyPairWithAttributes(pub, priv, elliptic.P256())
	if err != nil {
		return nil, fmt.Errorf("hsm: generate P-256 key %q: %w", keyLabel, err)
	}
	return newSigner(k)
}

// find returns the one key pair labelled keyLabel, or ErrNotFound.
func (c *Context) find(keyLabel string) (crypto11.Signer, error) {
	if keyLabel == "" {
		return nil, fmt.Errorf("hsm: empty key label")
	}
	keys, err := c.ctx.FindKeyPairs(nil, []byte(keyLabel))
	if err != nil {
		return nil, fmt.Errorf("hsm: find key %q: %w", keyLabel, err)
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("%w: label %q", ErrNotFound, keyLabel)
	case 1:
		return keys[0], nil
	}
	return nil, fmt.Errorf("%w: %d key pairs labelled %q", ErrAmbiguous, len(keys), keyLabel)
}

// tokenSigner adapts a crypto11 key pair to signing.Signer.
type tokenSigner struct {
	kid string
	pub *ecdsa.PublicKey
	key crypto.Signer
}

func newSigner(k crypto.Signer) (*tokenSigner, error) {
	pub, ok := k.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: token key is %T, want an ECDSA P-256 key", signing.ErrKey, k.Public())
	}
	kid, err := signing.KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &tokenSigner{kid: kid, pub: pub, key: k}, nil
}

func (s *tokenSigner) KeyID() string            { return s.kid }
func (s *tokenSigner) Algorithm() string        { return signing.ES256 }
func (s *tokenSigner) Public() crypto.PublicKey { return s.pub }

// Sign hashes msg with SHA-256, has the token sign the digest (the token uses
// its own randomness, so rand is ignored) and returns the JOSE/COSE form, raw
// r||s: crypto11 hands back ASN.1 DER, as crypto.Signer requires.
func (s *tokenSigner) Sign(_ io.Reader, msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	der, err := s.key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("hsm: sign with key %s: %w", s.kid, err)
	}
	return rawSignature(der)
}

// rawSignature converts an ASN.1 DER ECDSA-Sig-Value to 64-byte r||s.
func rawSignature(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil {
		return nil, fmt.Errorf("hsm: token returned a malformed signature: %w", err)
	}
	if len(rest) != 0 || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, fmt.Errorf("hsm: token returned an invalid P-256 signature")
	}
	raw := make([]byte, 64)
	sig.R.FillBytes(raw[:32])
	sig.S.FillBytes(raw[32:])
	return raw, nil
}

// aead returns AES-GCM (run on the token) under the secret key labelled
// label, generating it when create is set and the token has none: AES-256,
// private, sensitive and not extractable, so it can encrypt and decrypt on
// the token and never be read back.
func (c *Context) aead(label string, create bool) (cipher.AEAD, error) {
	if label == "" {
		return nil, fmt.Errorf("hsm: empty key label")
	}
	keys, err := c.ctx.FindKeys(nil, []byte(label))
	if err != nil {
		return nil, fmt.Errorf("hsm: find key %q: %w", label, err)
	}
	var k *crypto11.SecretKey
	switch {
	case len(keys) > 1:
		return nil, fmt.Errorf("%w: %d secret keys labelled %q", ErrAmbiguous, len(keys), label)
	case len(keys) == 1:
		k = keys[0]
	case !create:
		return nil, fmt.Errorf("%w: no secret key labelled %q on token %q", ErrNotFound, label, c.label)
	default:
		attrs, err := crypto11.NewAttributeSetWithIDAndLabel([]byte(label), []byte(label))
		if err != nil {
			return nil, fmt.Errorf("hsm: key %q attributes: %w", label, err)
		}
		for _, a := range []struct {
			typ crypto11.AttributeType
			val bool
		}{{crypto11.CkaSensitive, true}, {crypto11.CkaExtractable, false}, {crypto11.CkaPrivate, true}, {crypto11.CkaToken, true}} {
			if err := attrs.Set(a.typ, a.val); err != nil {
				return nil, fmt.Errorf("hsm: key %q attributes: %w", label, err)
			}
		}
		if k, err = c.ctx.GenerateSecretKeyWithAttributes(attrs, 256, crypto11.CipherAES); err != nil {
			return nil, fmt.Errorf("hsm: generate AES-256 key %q: %w", label, err)
		}
	}
	g, err := k.NewGCM()
	if err != nil {
		return nil, fmt.Errorf("hsm: AES-GCM with key %q: %w", label, err)
	}
	return g, nil
}
