package sdjwt

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cityid/cityid/internal/credential/josesign"
)

// Signer signs the issuer JWT. signing.Bound (a keyring key with its
// randomness bound) satisfies it; declaring it here keeps this package free
// of key storage.
type Signer interface {
	KeyID() string
	// Algorithm is the JOSE name: "ES256" or "EdDSA".
	Algorithm() string
	// Sign returns the JOSE signature of msg (raw r||s for ECDSA).
	Sign(msg []byte) ([]byte, error)
}

// Member is one claim of an object. Value is a JSON-marshalable value or,
// for a nested object whose own members may be disclosable, an Object.
// Disclose makes the member a disclosure instead of a plain claim.
type Member struct {
	Name     string
	Value    any
	Disclose bool
}

// Object is an ordered list of claims.
type Object []Member

// StatusRef points at the credential's entry in an IETF Token Status List.
type StatusRef struct {
	URI   string
	Index int
}

// Issuance is what the issuer signs.
type Issuance struct {
	Issuer   string
	VCT      string
	IssuedAt time.Time
	Expires  time.Time
	// Holder is the wallet's public key, published as cnf.jwk.
	Holder crypto.PublicKey
	Status *StatusRef
	Claims Object
	// Pad fills every _sd array with decoy digests up to this many, so the
	// number of digests does not tell one holder's claims from another's.
	Pad int
}

// Credential is an issued SD-JWT: the signed JWT and every disclosure.
type Credential struct {
	JWT         string
	Disclosures []Disclosure
}

// String is the compact serialization the wallet stores: the JWT and all
// disclosures, with no key binding.
func (c *Credential) String() string { return c.Token(nil).String() }

// Token returns a presentation holding the disclosures keep accepts (all
// when keep is nil), without key binding.
func (c *Credential) Token(keep func(Disclosure) bool) Token {
	t := Token{JWT: c.JWT}
	for _, d := range c.Disclosures {
		if keep == nil || keep(d) {
			t.Disclosures = append(t.Disclosures, d.Encoded)
		}
	}
	return t
}

// reserved claims the issuer sets itself.
var reserved = []string{"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd", "_sd_alg", "..."}

// Issue signs an SD-JWT VC. rand supplies the salts and the decoys.
func Issue(rand io.Reader, s Signer, in Issuance) (*Credential, error) {
	if in.Issuer == "" || in.VCT == "" || in.IssuedAt.IsZero() || in.Expires.IsZero() || in.Holder == nil {
		return nil, errors.New("sdjwt: issue: issuer, vct, iat, exp and holder key are required")
	}
	if !in.Expires.After(in.IssuedAt) {
		return nil, errors.New("sdjwt: issue: exp must be after iat")
	}
	holder := jose.JSONWebKey{Key: in.Holder}
	if !holder.Valid() || !holder.IsPublic() {
		return nil, fmt.Errorf("sdjwt: issue: holder key %T is not a usable public key", in.Holder)
	}
	for _, m := range in.Claims {
		if slices.Contains(reserved, m.Name) {
			return nil, fmt.Errorf("sdjwt: issue: claim %q is reserved", m.Name)
		}
	}
	b := builder{rand: rand, pad: in.Pad}
	payload, err := b.object(in.Claims)
	if err != nil {
		return nil, err
	}
	payload["_sd_alg"] = HashAlg
	payload["iss"] = in.Issuer
	payload["vct"] = in.VCT
	payload["iat"] = in.IssuedAt.Unix()
	payload["exp"] = in.Expires.Unix()
	payload["cnf"] = map[string]any{"jwk": holder}
	if in.Status != nil {
		payload["status"] = map[string]any{"status_list": map[string]any{"idx": in.Status.Index, "uri": in.Status.URI}}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: issue: %w", err)
	}
	jwt, err := sign(s, Type, body)
	if err != nil {
		return nil, err
	}
	return &Credential{JWT: jwt, Disclosures: b.out}, nil
}

type builder struct {
	rand io.Reader
	pad  int
	out  []Disclosure
}

// object builds the JSON object for claims: plain members as they are,
// disclosable members replaced by digests in a sorted, padded _sd array.
func (b *builder) object(claims Object) (map[string]any, error) {
	obj := map[string]any{}
	var sd []string
	for _, m := range claims {
		if m.Name == "" {
			return nil, errors.New("sdjwt: issue: claim without a name")
		}
		if _, dup := obj[m.Name]; dup {
			return nil, fmt.Errorf("sdjwt: issue: claim %q twice", m.Name)
		}
		v := m.Value
		if nested, ok := v.(Object); ok {
			o, err := b.object(nested)
			if err != nil {
				return nil, err
			}
			v = o
		}
		if !m.Disclose {
			obj[m.Name] = v
			continue
		}
		d, err := b.disclose(m.Name, v)
		if err != nil {
			return nil, err
		}
		sd = append(sd, d.Digest)
	}
	if len(sd) > 0 {
		for len(sd) < b.pad {
			// A decoy: the digest of random bytes no disclosure hashes to.
			salt, err := b.salt()
			if err != nil {
				return nil, err
			}
			sd = append(sd, digest(salt))
		}
		// Sorted, so the order says nothing about which claim is which.
		slices.Sort(sd)
		obj["_sd"] = sd
	}
	return obj, nil
}

func (b *builder) disclose(name string, v any) (Disclosure, error) {
	salt, err := b.salt()
	if err != nil {
		return Disclosure{}, err
	}
	raw, err := json.Marshal([]any{salt, name, v})
	if err != nil {
		return Disclosure{}, fmt.Errorf("sdjwt: issue: claim %q: %w", name, err)
	}
	enc := b64.EncodeToString(raw)
	d := Disclosure{Salt: salt, Name: name, Value: v, Encoded: enc, Digest: digest(enc)}
	b.out = append(b.out, d)
	return d, nil
}

// salt returns 128 random bits, base64url-encoded.
func (b *builder) salt() (string, error) {
	var s [16]byte
	if _, err := io.ReadFull(b.rand, s[:]); err != nil {
		return "", fmt.Errorf("sdjwt: salt: %w", err)
	}
	return b64.EncodeToString(s[:]), nil
}

// sign returns the compact JWS of payload with the given typ, made by go-jose
// around s (which may be an HSM).
func sign(s Signer, typ string, payload []byte) (string, error) {
	alg := jose.SignatureAlgorithm(s.Algorithm())
	if !slices.Contains(algorithms, alg) {
		return "", fmt.Errorf("%w: signer uses %q", ErrAlgorithm, alg)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: josesign.Opaque(s)},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", fmt.Errorf("sdjwt: sign: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sdjwt: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// algorithms the package signs and accepts ("none" and HMAC never).
var algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA}
