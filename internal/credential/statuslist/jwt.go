package statuslist

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cityid/cityid/internal/credential/josesign"
)

// JWTType is the JOSE "typ" of a status list token; JWTContentType is its
// HTTP media type.
const (
	JWTType        = "statuslist+jwt"
	JWTContentType = "application/statuslist+jwt"
)

type jwtHeader struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ"`
	Kid  string   `json:"kid,omitempty"`
	Crit []string `json:"crit,omitempty"`
}

type jsonList struct {
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

type jwtClaims struct {
	Sub        string    `json:"sub"`
	Iat        int64     `json:"iat"`
	Exp        int64     `json:"exp,omitempty"`
	TTL        int64     `json:"ttl,omitempty"`
	StatusList *jsonList `json:"status_list"`
}

var b64 = base64.RawURLEncoding

// MarshalJSON returns the draft's JSON form {"bits":n,"lst":"…"}, lst
// being base64url without padding of the zlib bytes.
func (l *List) MarshalJSON() ([]byte, error) {
	z, err := l.Encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonList{Bits: l.bits, Lst: b64.EncodeToString(z)})
}

// UnmarshalJSON parses the JSON form, bounded by MaxDecodedBytes.
func (l *List) UnmarshalJSON(b []byte) error {
	var j jsonList
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: status_list: %w", ErrMalformed, err)
	}
	v, err := j.decode()
	if err != nil {
		return err
	}
	*l = *v
	return nil
}

func (j *jsonList) decode() (*List, error) {
	if j == nil {
		return nil, fmt.Errorf("%w: missing status_list", ErrMalformed)
	}
	z, err := b64.DecodeString(j.Lst)
	if err != nil {
		return nil, fmt.Errorf("%w: lst is not base64url: %w", ErrMalformed, err)
	}
	return Decode(z, j.Bits, 0)
}

// SignJWT returns a compact JWS of the list with typ "statuslist+jwt".
// exp may be zero (no expiry, not recommended) and ttl zero (no hint).
func SignJWT(l *List, uri string, iat, exp time.Time, ttl time.Duration, s Signer) ([]byte, error) {
	if err := checkSignArgs(l, uri, iat, exp, ttl, s); err != nil {
		return nil, err
	}
	z, err := l.Encode()
	if err != nil {
		return nil, err
	}
	claims := jwtClaims{
		Sub:        uri,
		Iat:        iat.Unix(),
		TTL:        int64(ttl / time.Second),
		StatusList: &jsonList{Bits: l.bits, Lst: b64.EncodeToString(z)},
	}
	if !exp.IsZero() {
		claims.Exp = exp.Unix()
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(s.Algorithm()), Key: josesign.Opaque(s)},
		(&jose.SignerOptions{}).WithType(JWTType))
	if err != nil {
		return nil, fmt.Errorf("statuslist: sign jwt: %w", err)
	}
	jws, err := signer.Sign(p)
	if err != nil {
		return nil, fmt.Errorf("statuslist: sign jwt: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("statuslist: sign jwt: %w", err)
	}
	return []byte(tok), nil
}

// ParseJWT verifies a status list JWT and returns the list and its
// metadata. It checks typ, rejects "none" and unknown algorithms, checks
// the signature with the key keyFor returns for the header's kid, and
// rejects expired tokens. The caller must still compare Meta.URI with the
// URI it expected.
func ParseJWT(token []byte, keyFor KeyLookup, now time.Time) (*List, Meta, error) {
	if len(token) > maxTokenBytes {
		return nil, Meta{}, fmt.Errorf("%w: token of %d bytes", ErrMalformed, len(token))
	}
	token = bytes.TrimSpace(token)
	parts := bytes.Split(token, []byte("."))
	if len(parts) != 3 {
		return nil, Meta{}, fmt.Errorf("%w: want 3 dot-separated parts, got %d", ErrMalformed, len(parts))
	}
	var h jwtHeader
	if err := decodeSegment(parts[0], &h); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	if h.Typ != JWTType && h.Typ != JWTContentType {
		return nil, Meta{}, fmt.Errorf("%w: typ %q", ErrType, h.Typ)
	}
	if _, ok := coseAlg[h.Alg]; !ok {
		return nil, Meta{}, fmt.Errorf("%w: %q", ErrAlgorithm, h.Alg)
	}
	if len(h.Crit) > 0 {
		return nil, Meta{}, fmt.Errorf("%w: unsupported critical header %q", ErrMalformed, h.Crit)
	}
	sig, err := b64.DecodeString(string(parts[2]))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%w: signature encoding: %w", ErrMalformed, err)
	}
	pub, err := keyFor(h.Kid)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("statuslist: key %q: %w", h.Kid, err)
	}
	signed := token[:len(parts[0])+1+len(parts[1])]
	if err := verifySignature(h.Alg, pub, signed, sig); err != nil {
		return nil, Meta{}, err
	}
	var c jwtClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: payload: %w", ErrMalformed, err)
	}
	m, err := newMeta(c.Sub, h.Kid, c.Iat, c.Exp, c.TTL, now)
	if err != nil {
		return nil, Meta{}, err
	}
	l, err := c.StatusList.decode()
	if err != nil {
		return nil, Meta{}, err
	}
	return l, m, nil
}

func decodeSegment(seg []byte, v any) error {
	raw, err := b64.DecodeString(string(seg))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
