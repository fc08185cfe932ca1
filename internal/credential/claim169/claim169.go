// Package claim169 encodes and decodes the signed identity QR on the back of
// the card: MOSIP Claim 169 (the IANA-registered CWT claim for identity data)
// inside a CWT, signed as COSE_Sign1, compressed with zlib and encoded as Base45
// so that it fits a QR code in alphanumeric mode.
//
// The decoder is the part that faces the world: every stage is bounded (payload
// length, decompressed size, CBOR nesting and sizes) and every failure is one of
// the sentinel errors below, so a verifier can say precisely why a card failed.
package claim169

import (
	"errors"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/cityid/cityid/internal/credential/cose"
)

// Errors returned by Decode; test them with errors.Is.
var (
	ErrBase45      = errors.New("claim169: invalid Base45")
	ErrZlib        = errors.New("claim169: invalid zlib data")
	ErrTooLarge    = errors.New("claim169: payload too large")
	ErrCBOR        = errors.New("claim169: malformed CBOR")
	ErrNotCOSE     = cose.ErrNotCOSE
	ErrMissing169  = errors.New("claim169: CWT has no claim 169")
	ErrAlgorithm   = cose.ErrAlgorithm
	ErrSignature   = cose.ErrSignature
	ErrUnknownKey  = errors.New("claim169: unknown signing key")
	ErrExpired     = errors.New("claim169: credential expired")
	ErrNotYetValid = errors.New("claim169: credential not yet valid")
	ErrEncrypted   = errors.New("claim169: credential is encrypted and no decryption key was given")
	ErrDecrypt     = cose.ErrDecrypt
)

// Gender codes of Claim 169. The card's self-designated sex F, M or X maps to
// Female, Male or Other; "not shown" leaves the claim out.
const (
	GenderMale   = 1
	GenderFemale = 2
	GenderOther  = 3
)

// Biometric format and sub-format codes used for the face image.
const (
	BiometricImage = 0
	ImageJPEG      = 1
)

// Biometric is one biometric entry (Claim 169 keys 50-65 hold arrays of them).
type Biometric struct {
	Data      []byte `cbor:"0,keyasint,omitempty"`
	Format    int64  `cbor:"1,keyasint"`
	SubFormat int64  `cbor:"2,keyasint"`
	Issuer    string `cbor:"3,keyasint,omitempty"`
}

// Claims are the Claim 169 fields cityid writes. It has deliberately no field
// for nationality, legal status or any other immigration-related claim: those
// can be read from other issuers' cards (see Credential.Other) but never written.
type Claims struct {
	ID                string      // 1: card number
	Version           string      // 2
	Language          string      // 3: ISO 639-3 of the primary fields
	FullName          string      // 4
	FirstName         string      // 5
	MiddleName        string      // 6
	LastName          string      // 7
	DateOfBirth       string      // 8: YYYYMMDD (YYYY-MM-DD is accepted on decode)
	Gender            int64       // 9: GenderMale, GenderFemale, GenderOther; 0 = not shown
	Address           string      // 10: lines separated by "\n"
	Email             string      // 11
	Phone             string      // 12
	SecondaryFullName string      // 19
	SecondaryLanguage string      // 20
	LocationCode      string      // 21
	CountryOfIssuance string      // 23: of the issuer, not of the person
	Face              []Biometric // 62
}

// StatusRef points at the card's entry in an IETF Token Status List.
type StatusRef struct {
	URI   string
	Index int64
}

// Meta holds the CWT claims around claim 169.
type Meta struct {
	Issuer    string
	Subject   string
	IssuedAt  time.Time
	NotBefore time.Time // zero: not set
	ExpiresAt time.Time // zero: not set
	Status    *StatusRef
}

// Credential is a decoded QR payload.
type Credential struct {
	Claims Claims
	// Other holds defined Claim 169 fields that Claims does not carry (from other
	// issuers' cards), by their Claim 169 names, as JSON-ready values.
	Other map[string]any
	// Unknown holds fields with keys the specification does not define, kept
	// undecoded for forward compatibility.
	Unknown   map[int64]cbor.RawMessage
	Meta      Meta
	KeyID     string
	Algorithm string
	Verified  bool // the signature was checked against a key from Options.Keys
	Encrypted bool // the payload was a COSE_Encrypt0 (decrypted with Options.DecryptKey)
}
