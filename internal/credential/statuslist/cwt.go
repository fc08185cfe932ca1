package statuslist

import (
	"fmt"
	"io"
	"time"

	"github.com/fxamacker/cbor/v2"
	gocose "github.com/veraison/go-cose"
)

// CWTType is the COSE "typ" (header 16) of a status list CWT and its HTTP
// media type.
const CWTType = "application/statuslist+cwt"

// tagCOSESign1 is the CBOR tag of a COSE_Sign1 message (RFC 9052).
const tagCOSESign1 = 18

type coseSign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[int64]cbor.RawMessage
	Payload     []byte
	Signature   []byte
}

type cborList struct {
	Bits int    `cbor:"bits"`
	Lst  []byte `cbor:"lst"`
}

// cwtClaims uses the CWT claim keys: sub 2, exp 4, iat 6 (RFC 8392) and the
// draft's status_list 65533 and ttl 65534.
type cwtClaims struct {
	Sub        string    `cbor:"2,keyasint"`
	Exp        int64     `cbor:"4,keyasint,omitempty"`
	Iat        int64     `cbor:"6,keyasint"`
	StatusList *cborList `cbor:"65533,keyasint"`
	TTL        int64     `cbor:"65534,keyasint,omitempty"`
}

// protectedHeader uses the COSE header keys alg 1, kid 4 (RFC 9052) and
// typ 16 (RFC 9596).
type protectedHeader struct {
	Alg int64  `cbor:"1,keyasint"`
	Kid []byte `cbor:"4,keyasint,omitempty"`
	Typ string `cbor:"16,keyasint"`
}

// The encoder is deterministic (RFC 8949 core deterministic encoding) so
// the same list and times always give the same bytes to sign; the decoder
// refuses duplicate keys, indefinite lengths and deep nesting from
// hostile input.
func cborModes() (cbor.EncMode, cbor.DecMode, error) {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		return nil, nil, err
	}
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  8,
		MaxArrayElements: 16,
		MaxMapPairs:      32,
	}.DecMode()
	return em, dm, err
}

func sigStructure(em cbor.EncMode, protected, payload []byte) ([]byte, error) {
	return em.Marshal([]any{"Signature1", protected, []byte{}, payload})
}

// SignCWT returns a tagged COSE_Sign1 status list token with typ
// "application/statuslist+cwt" and the key id in the protected header.
func SignCWT(l *List, uri string, iat, exp time.Time, ttl time.Duration, s Signer) ([]byte, error) {
	if err := checkSignArgs(l, uri, iat, exp, ttl, s); err != nil {
		return nil, err
	}
	em, _, err := cborModes()
	if err != nil {
		return nil, err
	}
	z, err := l.Encode()
	if err != nil {
		return nil, err
	}
	claims := cwtClaims{Sub: uri, Iat: iat.Unix(), TTL: int64(ttl / time.Second), StatusList: &cborList{Bits: l.bits, Lst: z}}
	if !exp.IsZero() {
		claims.Exp = exp.Unix()
	}
	payload, err := em.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("statuslist: cwt claims: %w", err)
	}
	hdr := gocose.Headers{Protected: gocose.ProtectedHeader{
		gocose.HeaderLabelAlgorithm: gocose.Algorithm(coseAlg[s.Algorithm()]),
		gocose.HeaderLabelType:      CWTType,
	}}
	if kid := s.KeyID(); kid != "" {
		hdr.Protected[gocose.HeaderLabelKeyID] = []byte(kid)
	}
	tok, err := gocose.Sign1(nil, libSigner{s}, hdr, payload, nil)
	if err != nil {
		return nil, fmt.Errorf("statuslist: sign cwt: %w", err)
	}
	return tok, nil
}

// libSigner presents a Signer to go-cose, which builds the COSE_Sign1 and
// its Sig_structure. The Signer brings its own randomness (signing.Bound),
// so go-cose's rand argument is not used.
type libSigner struct{ s Signer }

func (l libSigner) Algorithm() gocose.Algorithm { return gocose.Algorithm(coseAlg[l.s.Algorithm()]) }

func (l libSigner) Sign(_ io.Reader, content []byte) ([]byte, error) { return l.s.Sign(content) }

// ParseCWT verifies a status list CWT (tagged or untagged COSE_Sign1) and
// returns the list and its metadata, with the same checks as ParseJWT.
// Algorithm, type and key id are read only from the protected header, so
// an attacker cannot change them without breaking the signature.
func ParseCWT(token []byte, keyFor KeyLookup, now time.Time) (*List, Meta, error) {
	if len(token) > maxTokenBytes {
		return nil, Meta{}, fmt.Errorf("%w: token of %d bytes", ErrMalformed, len(token))
	}
	em, dm, err := cborModes()
	if err != nil {
		return nil, Meta{}, err
	}
	body := token
	var tag cbor.RawTag
	if err := dm.Unmarshal(token, &tag); err == nil {
		if tag.Number != tagCOSESign1 {
			return nil, Meta{}, fmt.Errorf("%w: CBOR tag %d, want 18 (COSE_Sign1)", ErrType, tag.Number)
		}
		body = tag.Content
	}
	var msg coseSign1
	if err := dm.Unmarshal(body, &msg); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: COSE_Sign1: %w", ErrMalformed, err)
	}
	var h protectedHeader
	if err := dm.Unmarshal(msg.Protected, &h); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: protected header: %w", ErrMalformed, err)
	}
	if h.Typ != CWTType {
		return nil, Meta{}, fmt.Errorf("%w: typ %q", ErrType, h.Typ)
	}
	alg, ok := joseAlgFromCOSE(h.Alg)
	if !ok {
		return nil, Meta{}, fmt.Errorf("%w: COSE alg %d", ErrAlgorithm, h.Alg)
	}
	pub, err := keyFor(string(h.Kid))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("statuslist: key %q: %w", h.Kid, err)
	}
	tbs, err := sigStructure(em, msg.Protected, msg.Payload)
	if err != nil {
		return nil, Meta{}, err
	}
	if err := verifySignature(alg, pub, tbs, msg.Signature); err != nil {
		return nil, Meta{}, err
	}
	var c cwtClaims
	if err := dm.Unmarshal(msg.Payload, &c); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	m, err := newMeta(c.Sub, string(h.Kid), c.Iat, c.Exp, c.TTL, now)
	if err != nil {
		return nil, Meta{}, err
	}
	if c.StatusList == nil {
		return nil, Meta{}, fmt.Errorf("%w: missing status_list", ErrMalformed)
	}
	l, err := Decode(c.StatusList.Lst, c.StatusList.Bits, 0)
	if err != nil {
		return nil, Meta{}, err
	}
	return l, m, nil
}
