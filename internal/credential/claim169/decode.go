package claim169

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/cityid/cityid/internal/credential/cose"
)

// Size limits. A QR code holds at most 4,296 alphanumeric characters, so
// anything longer did not come from one; 64 KiB decompressed is far above any
// real credential and stops zip bombs.
const (
	MaxPayloadLen          = 4296
	DefaultMaxDecompressed = 64 << 10
)

// KeyLookup finds verification keys; *signing.KeySet implements it.
type KeyLookup interface {
	Lookup(kid string) (cose.Key, bool)
	Keys() []cose.Key
}

// Options controls Decode. Verification is on unless explicitly skipped.
type Options struct {
	Keys KeyLookup // keys to verify the signature with
	At   time.Time // the time to judge exp and nbf at; required unless IgnoreTime

	SkipVerify bool // decode without checking the signature (Credential.Verified stays false)
	IgnoreTime bool // do not check exp and nbf

	DecryptKey      []byte // AES key for COSE_Encrypt0 payloads
	MaxDecompressed int    // bytes; 0 means DefaultMaxDecompressed
}

// Decode decodes and verifies a Base45 QR payload. On ErrExpired and
// ErrNotYetValid it also returns the (verified) credential so a verifier can
// show whose card it is; on every other error the credential is nil.
func Decode(payload string, opts Options) (*Credential, error) {
	if len(payload) > MaxPayloadLen {
		return nil, fmt.Errorf("%w: %d characters, a QR code holds at most %d", ErrTooLarge, len(payload), MaxPayloadLen)
	}
	if !opts.IgnoreTime && opts.At.IsZero() {
		return nil, errors.New("claim169: Options.At is required (or set IgnoreTime)")
	}
	if !opts.SkipVerify && opts.Keys == nil {
		return nil, errors.New("claim169: Options.Keys is required (or set SkipVerify)")
	}
	if payload == "" {
		return nil, fmt.Errorf("%w: empty payload", ErrBase45)
	}
	compressed, err := Base45Decode(payload)
	if err != nil {
		return nil, err
	}
	data, err := inflate(compressed, opts.MaxDecompressed)
	if err != nil {
		return nil, err
	}
	cred := &Credential{}
	tag, content, err := cose.Unwrap(data)
	if err != nil {
		return nil, err
	}
	if tag == cose.TagEncrypt0 {
		if opts.DecryptKey == nil {
			return nil, ErrEncrypted
		}
		plain, err := cose.Decrypt0(content, opts.DecryptKey)
		if err != nil {
			return nil, err
		}
		cred.Encrypted = true
		if len(plain) > 0 && plain[0]>>5 == 5 {
			// A bare CWT claims map: confidential, but signed by no one.
			if !opts.SkipVerify {
				return nil, fmt.Errorf("%w: encrypted but not signed", ErrAlgorithm)
			}
			return finish(cred, plain, opts)
		}
		if tag, content, err = cose.Unwrap(plain); err != nil {
			return nil, err
		}
	}
	if tag != cose.TagSign1 && tag != 0 {
		return nil, fmt.Errorf("%w: CBOR tag %d, want COSE_Sign1 (18)", ErrNotCOSE, tag)
	}
	msg, err := cose.ParseSign1(content)
	if err != nil {
		return nil, err
	}
	cred.KeyID = string(msg.KeyID)
	cred.Algorithm = cose.AlgorithmName(msg.Alg)
	if !opts.SkipVerify {
		if err := verify(msg, opts.Keys); err != nil {
			return nil, err
		}
		cred.Verified = true
	}
	return finish(cred, msg.Payload, opts)
}

// finish decodes the CWT claims and checks the validity period.
func finish(cred *Credential, cwt []byte, opts Options) (*Credential, error) {
	if err := decodeCWT(cwt, cred); err != nil {
		return nil, err
	}
	if !opts.IgnoreTime {
		m := cred.Meta
		if !m.ExpiresAt.IsZero() && !opts.At.Before(m.ExpiresAt) {
			return cred, fmt.Errorf("%w on %s", ErrExpired, m.ExpiresAt.UTC().Format(time.DateOnly))
		}
		if !m.NotBefore.IsZero() && opts.At.Before(m.NotBefore) {
			return cred, fmt.Errorf("%w until %s", ErrNotYetValid, m.NotBefore.UTC().Format(time.DateOnly))
		}
	}
	return cred, nil
}

// inflaters recycles zlib readers: each holds a 32 KiB window and Huffman
// tables, which would otherwise be most of the memory and a fifth of the time
// of verifying a card. A pool is a cache, not state: any reader works as new
// after Reset.
var inflaters sync.Pool

// inflate decompresses zlib data, refusing to produce more than max bytes.
func inflate(b []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxDecompressed
	}
	src := bytes.NewReader(b)
	var zr io.ReadCloser
	if pooled, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := pooled.(zlib.Resetter).Reset(src, nil); err != nil {
			inflaters.Put(pooled)
			return nil, fmt.Errorf("%w: %v", ErrZlib, err)
		}
		zr = pooled
	} else {
		var err error
		if zr, err = zlib.NewReader(src); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrZlib, err)
		}
	}
	defer inflaters.Put(zr)
	out := make([]byte, 0, min(max, 2*len(b)+512)+1) // card payloads are mostly JPEG, which barely compresses
	buf := bytes.NewBuffer(out)
	n, err := buf.ReadFrom(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrZlib, err)
	}
	if n > int64(max) {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrTooLarge, max)
	}
	// Reading to EOF through the zlib reader has checked the Adler-32 trailer.
	return buf.Bytes(), nil
}

// verify checks msg's signature with the key its kid names, or, when it names
// none, with every key of the message's algorithm.
func verify(msg *cose.Sign1Message, keys KeyLookup) error {
	if msg.Alg != cose.AlgES256 && msg.Alg != cose.AlgEdDSA {
		return fmt.Errorf("%w: %s", ErrAlgorithm, cose.AlgorithmName(msg.Alg))
	}
	if len(msg.KeyID) > 0 {
		k, ok := keys.Lookup(string(msg.KeyID))
		if !ok {
			return fmt.Errorf("%w: key id %q", ErrUnknownKey, msg.KeyID)
		}
		return msg.Verify(k.Public)
	}
	name := cose.AlgorithmName(msg.Alg)
	tried := false
	for _, k := range keys.Keys() {
		if k.Alg != name {
			continue
		}
		tried = true
		if msg.Verify(k.Public) == nil {
			return nil
		}
	}
	if !tried {
		return fmt.Errorf("%w: no key id and no %s key", ErrUnknownKey, name)
	}
	return ErrSignature
}

// numericDate is a CWT NumericDate: integer or floating-point seconds.
type numericDate struct {
	set bool
	t   time.Time
}

func (d *numericDate) UnmarshalCBOR(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty date")
	}
	switch b[0] >> 5 {
	case 0, 1: // unsigned or negative integer
		var n int64
		if err := cose.DecMode.Unmarshal(b, &n); err != nil {
			return err
		}
		d.t = time.Unix(n, 0)
	case 7: // floating point
		var f float64
		if err := cose.DecMode.Unmarshal(b, &f); err != nil {
			return err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return errors.New("date out of range")
		}
		sec, frac := math.Modf(f)
		d.t = time.Unix(int64(sec), int64(frac*1e9))
	default:
		return errors.New("date is not a number")
	}
	d.set = true
	return nil
}

func (d numericDate) time() time.Time {
	if !d.set {
		return time.Time{}
	}
	return d.t.UTC()
}

type statusListInfo struct {
	Idx *int64 `cbor:"idx"`
	URI string `cbor:"uri"`
}

type cwtClaims struct {
	Iss      string          `cbor:"1,keyasint"`
	Sub      string          `cbor:"2,keyasint"`
	Exp      numericDate     `cbor:"4,keyasint"`
	Nbf      numericDate     `cbor:"5,keyasint"`
	Iat      numericDate     `cbor:"6,keyasint"`
	Claim169 cbor.RawMessage `cbor:"169,keyasint"`
	Status   *struct {
		StatusList *statusListInfo `cbor:"status_list"`
	} `cbor:"65535,keyasint"`
}

func decodeCWT(payload []byte, cred *Credential) error {
	var c cwtClaims
	if err := cose.DecMode.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("%w: CWT claims: %v", ErrCBOR, err)
	}
	if c.Claim169 == nil {
		return ErrMissing169
	}
	cred.Meta = Meta{Issuer: c.Iss, Subject: c.Sub, IssuedAt: c.Iat.time(), NotBefore: c.Nbf.time(), ExpiresAt: c.Exp.time()}
	if c.Status != nil && c.Status.StatusList != nil {
		sl := c.Status.StatusList
		if sl.Idx == nil || *sl.Idx < 0 || sl.URI == "" {
			return fmt.Errorf("%w: status_list needs a non-negative idx and a uri", ErrCBOR)
		}
		cred.Meta.Status = &StatusRef{URI: sl.URI, Index: *sl.Idx}
	}
	return decodeClaim169(c.Claim169, cred)
}
