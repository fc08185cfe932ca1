// Package cose implements the small part of CBOR Object Signing and Encryption
// (RFC 9052/9053) that the card credentials need: COSE_Sign1 with ES256 and
// EdDSA, COSE_Encrypt0 with AES-GCM, and COSE_Key for publishing public keys.
//
// Decoding is strict and bounded (no duplicate map keys, limited nesting and
// sizes) because every input here comes from a card someone hands over.
package cose

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// COSE algorithm identifiers (IANA "COSE Algorithms").
const (
	AlgES256   = -7
	AlgEdDSA   = -8
	AlgA128GCM = 1
	AlgA256GCM = 3
)

// CBOR tags for the COSE structures (RFC 9052 section 2) and CWT (RFC 8392).
const (
	TagEncrypt0 = 16
	TagSign1    = 18
	TagCWT      = 61
)

// Errors reported by this package; callers test them with errors.Is.
var (
	ErrNotCOSE   = errors.New("not a COSE structure")
	ErrAlgorithm = errors.New("unsupported or mismatched algorithm")
	ErrSignature = errors.New("signature does not verify")
	ErrDecrypt   = errors.New("decryption failed")
)

// Limits bound the work a hostile input can cause; real Claim 169 payloads are
// a few hundred bytes and never nest deeper than four levels.
const (
	maxNesting   = 16
	maxArrayLen  = 512
	maxMapPairs  = 256
	maxInputSize = 1 << 16
)

// DecMode is the strict CBOR decoding mode shared by the credential parsers.
// It is immutable once built.
var DecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  maxNesting,
		MaxArrayElements: maxArrayLen,
		MaxMapPairs:      maxMapPairs,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsAllowed,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err) // the options above are constants; this cannot fail at run time
	}
	return dm
}()

// EncMode is the deterministic encoding mode (RFC 8949 core deterministic
// encoding) used for everything this package produces.
var EncMode = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// header holds the header parameters this package understands (RFC 9052
// section 3.1 labels: 1 alg, 2 crit, 4 kid, 5 IV); others are ignored
// as RFC 9052 allows for parameters that are not marked critical.
type header struct {
	Alg  cbor.RawMessage `cbor:"1,keyasint,omitempty"`
	Kid  []byte          `cbor:"4,keyasint,omitempty"`
	IV   []byte          `cbor:"5,keyasint,omitempty"`
	Crit cbor.RawMessage `cbor:"2,keyasint,omitempty"`
}

func decodeHeader(b []byte, what string) (header, error) {
	var h header
	if len(b) == 0 {
		return h, nil
	}
	if err := DecMode.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("%w: %s header: %v", ErrNotCOSE, what, err)
	}
	if h.Crit != nil {
		// We understand no critical extensions, so RFC 9052 requires rejection.
		return h, fmt.Errorf("%w: %s header marks parameters critical", ErrNotCOSE, what)
	}
	return h, nil
}

func (h header) alg() (int64, bool, error) {
	if h.Alg == nil {
		return 0, false, nil
	}
	var a int64
	if err := DecMode.Unmarshal(h.Alg, &a); err != nil {
		return 0, true, fmt.Errorf("%w: alg is not an integer", ErrAlgorithm)
	}
	return a, true, nil
}

// Unwrap strips an optional CWT tag (61) and returns the COSE tag number (0 when
// the structure is untagged) and the untagged CBOR content. It reads the tag
// heads in place, without copying; the content is checked by whoever decodes it.
func Unwrap(data []byte) (tag uint64, content []byte, err error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("%w: empty input", ErrNotCOSE)
	}
	if len(data) > maxInputSize {
		return 0, nil, fmt.Errorf("%w: %d bytes is too large", ErrNotCOSE, len(data))
	}
	content = data
	for range 2 {
		if len(content) == 0 {
			return 0, nil, fmt.Errorf("%w: tag without content", ErrNotCOSE)
		}
		if content[0]>>5 != 6 { // major type 6 is a tag
			return tag, content, nil
		}
		n, rest, err := readHead(content)
		if err != nil {
			return 0, nil, err
		}
		tag, content = n, rest
		if tag != TagCWT {
			if len(content) == 0 {
				return 0, nil, fmt.Errorf("%w: tag without content", ErrNotCOSE)
			}
			return tag, content, nil
		}
		tag = 0
	}
	return 0, nil, fmt.Errorf("%w: nested CWT tags", ErrNotCOSE)
}

// readHead decodes the argument of the CBOR head at the start of b.
func readHead(b []byte) (uint64, []byte, error) {
	ai := b[0] & 0x1f
	b = b[1:]
	var size int
	switch {
	case ai < 24:
		return uint64(ai), b, nil
	case ai == 24:
		size = 1
	case ai == 25:
		size = 2
	case ai == 26:
		size = 4
	case ai == 27:
		size = 8
	default:
		return 0, nil, fmt.Errorf("%w: malformed CBOR head", ErrNotCOSE)
	}
	if len(b) < size {
		return 0, nil, fmt.Errorf("%w: truncated CBOR head", ErrNotCOSE)
	}
	var n uint64
	for _, c := range b[:size] {
		n = n<<8 | uint64(c)
	}
	return n, b[size:], nil
}

// appendHead appends a CBOR head of major type mt with argument n.
func appendHead(b []byte, mt byte, n uint64) []byte {
	mt <<= 5
	switch {
	case n < 24:
		return append(b, mt|byte(n))
	case n <= 0xff:
		return append(b, mt|24, byte(n))
	case n <= 0xffff:
		return append(b, mt|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, mt|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(b, mt|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendBytes(b, v []byte) []byte { return append(appendHead(b, 2, uint64(len(v))), v...) }
