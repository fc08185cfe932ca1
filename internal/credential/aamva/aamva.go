// Package aamva writes and reads the data carried in the PDF417 barcode on
// the back of the card, laid out as the AAMVA DL/ID Card Design Standard
// (2020, AAMVA version 10, Annex D) lays out an identification card, so the
// ID scanners that banks, shops and police already own can read the name,
// date of birth, address and card number.
//
// The barcode holds only what is printed on the card front; it is not
// signed (the Claim 169 QR is the signed credential). AAMVA data is ASCII:
// names are transliterated ("Peña" → "PENA") and upper-cased.
package aamva

import (
	"errors"

	"github.com/cityid/cityid/internal/person"
)

// PlaceholderIIN is the issuer identification number used when the
// program has none. AAMVA assigns IINs to states and provinces, not to
// cities, so a city program normally has none; "000000" is deliberately
// not an assigned IIN so a reader can tell the card is not a state ID.
const PlaceholderIIN = "000000"

// Version is the AAMVA standard version this package writes: 10, the
// 2020 DL/ID Card Design Standard.
const Version = 10

// Truncation is the value of the AAMVA name truncation elements DDE, DDF
// and DDG.
type Truncation byte

// Truncation values.
const (
	NotTruncated Truncation = 'N'
	Truncated    Truncation = 'T'
	Unknown      Truncation = 'U'
)

// Record is the cardholder data in the barcode. On Encode, strings may be
// any UTF-8; on Parse they come back as the ASCII the barcode holds.
type Record struct {
	// FamilyName (DCS) holds every surname, e.g. "García López";
	// FirstName (DAC) the first given name; MiddleNames (DAD) the rest.
	FamilyName  string
	FirstName   string
	MiddleNames string
	Suffix      string // DCU, optional: JR, SR, III…

	BirthDate  person.Date // DBB
	IssueDate  person.Date // DBD
	ExpiryDate person.Date // DBA

	// Sex is self-designated; X and "not shown" are both encoded as 9
	// ("not specified"), the only other value DBC has in version 10.
	Sex person.Sex

	EyeColor     string // DAY: ANSI D-20 code (BRO, BLU…); "" means UNK
	HeightInches int    // DAU: 0 means unknown

	// Address as printed. A care-of address puts "C/O <name>" in DAG and
	// the street in DAH. NoAddress means none is printed (DAG "NONE").
	Address   person.Address
	NoAddress bool

	IDNumber              string // DAQ: the card number
	DocumentDiscriminator string // DCF: distinguishes reissues of one number
	Country               string // DCG: "USA" (default) or "CAN"

	OrganDonor bool // DDK
	Veteran    bool // DDL

	// Set by Parse (and by Encode's normalization): name truncation
	// flags DDE, DDF, DDG.
	FamilyTruncation, FirstTruncation, MiddleTruncation Truncation

	// ProgramName goes in the jurisdiction subfile (ZCA).
	ProgramName string

	// Header fields, filled by Parse.
	IIN                 string
	AAMVAVersion        int
	JurisdictionVersion int
}

// Options are program settings for the barcode.
type Options struct {
	IIN                 string // six digits; "" means PlaceholderIIN
	JurisdictionVersion int    // 0–99
	// RevisionDate (DDB) is the date of the card design, if set.
	RevisionDate person.Date
	// SubfileType is the jurisdiction subfile type, "Z" plus a letter;
	// "" means "ZC" (city).
	SubfileType string
}

// Errors returned by Encode and Parse; check them with errors.Is.
var (
	ErrMissing     = errors.New("aamva: required field missing")
	ErrUnencodable = errors.New("aamva: text has characters with no ASCII form")
	ErrInvalid     = errors.New("aamva: invalid field")
	ErrFormat      = errors.New("aamva: malformed barcode data")
)
