package aamva

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/cityid/cityid/internal/person"
)

// Delimiters of the AAMVA format (Annex D.12.3).
const (
	complianceIndicator = '@'
	elementSeparator    = '\n'
	recordSeparator     = 0x1e
	segmentTerminator   = '\r'
	fileType            = "ANSI "
	headerLen           = 21 // "@\n\x1e\rANSI " + IIN(6) + version(2) + jurisdiction version(2) + entries(2)
	designatorLen       = 10 // type(2) + offset(4) + length(4)
)

// Field length limits of Annex D, Table D.3/D.4 (V = variable, F = fixed).
const (
	maxName       = 40 // DCS, DAC, DAD: V40ANS
	maxSuffix     = 5  // DCU: V5ANS
	maxStreet     = 35 // DAG, DAH: V35ANS
	maxCity       = 20 // DAI: V20ANS
	maxID         = 25 // DAQ, DCF: V25ANS
	postalLen     = 11 // DAK: F11AN
	maxProgram    = 40 // ZCA, our own element
	maxHeightInch = 107
)

var eyeColors = map[string]bool{
	"BLK": true, "BLU": true, "BRO": true, "GRY": true, "GRN": true,
	"HAZ": true, "MAR": true, "PNK": true, "DIC": true, "UNK": true,
}

type element struct{ id, value string }

type subfile struct {
	typ   string
	elems []element
}

// Encode returns the AAMVA data for rec: the header, one "ID" subfile
// with the elements an identification card carries, and a jurisdiction
// subfile with the program name. The result is what the PDF417 symbol
// encodes; see NewBarcode.
func Encode(rec Record, opt Options) ([]byte, error) { return encode(rec, opt, false) }

// encode keeps trailing spaces of the program name when padded is set;
// NewBarcode uses them as padding.
func encode(rec Record, opt Options, padded bool) ([]byte, error) {
	iin := opt.IIN
	if iin == "" {
		iin = PlaceholderIIN
	}
	if len(iin) != 6 || strings.Trim(iin, "0123456789") != "" {
		return nil, fmt.Errorf("%w: IIN must be 6 digits", ErrInvalid)
	}
	if opt.JurisdictionVersion < 0 || opt.JurisdictionVersion > 99 {
		return nil, fmt.Errorf("%w: jurisdiction version %d", ErrInvalid, opt.JurisdictionVersion)
	}
	ztype := opt.SubfileType
	if ztype == "" {
		ztype = "ZC"
	}
	if len(ztype) != 2 || ztype[0] != 'Z' || ztype[1] < 'A' || ztype[1] > 'Z' {
		return nil, fmt.Errorf("%w: jurisdiction subfile type %q", ErrInvalid, ztype)
	}
	id, err := idElements(rec, opt)
	if err != nil {
		return nil, err
	}
	program, err := toASCII(rec.ProgramName, textChar)
	if err != nil {
		return nil, fmt.Errorf("%w: program name: %w", ErrInvalid, err)
	}
	program, _ = fit(program, maxProgram)
	if program == "" {
		return nil, fmt.Errorf("%w: program name", ErrMissing)
	}
	if padded {
		program += strings.Repeat(" ", len(rec.ProgramName)-len(strings.TrimRight(rec.ProgramName, " ")))
	}
	subfiles := []subfile{{"ID", id}, {ztype, []element{{ztype + "A", program}}}}

	bodies := make([][]byte, len(subfiles))
	for i, sf := range subfiles {
		var b bytes.Buffer
		b.WriteString(sf.typ)
		for j, e := range sf.elems {
			if j > 0 {
				b.WriteByte(elementSeparator)
			}
			b.WriteString(e.id)
			b.WriteString(e.value)
		}
		b.WriteByte(segmentTerminator)
		bodies[i] = b.Bytes()
	}

	var out bytes.Buffer
	out.WriteByte(complianceIndicator)
	out.WriteByte(elementSeparator)
	out.WriteByte(recordSeparator)
	out.WriteByte(segmentTerminator)
	out.WriteString(fileType)
	fmt.Fprintf(&out, "%s%02d%02d%02d", iin, Version, opt.JurisdictionVersion, len(subfiles))
	offset := headerLen + designatorLen*len(subfiles)
	for i, sf := range subfiles {
		fmt.Fprintf(&out, "%s%04d%04d", sf.typ, offset, len(bodies[i]))
		offset += len(bodies[i])
	}
	for _, b := range bodies {
		out.Write(b)
	}
	if out.Len() > 9999 {
		return nil, fmt.Errorf("%w: data too long", ErrInvalid)
	}
	return out.Bytes(), nil
}

// idElements builds the ID subfile in the order real cards use.
func idElements(rec Record, opt Options) ([]element, error) {
	var errs []error
	name := func(what, s string, max int, required bool) (string, Truncation) {
		v, err := toASCII(s, nameChar)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			return "", Unknown
		}
		if v == "" {
			if required {
				errs = append(errs, fmt.Errorf("%s: %w", what, ErrMissing))
			}
			return "NONE", NotTruncated
		}
		return fit(v, max)
	}
	text := func(what, s string, max int) string {
		v, err := toASCII(s, textChar)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		v, _ = fit(v, max)
		return v
	}

	family, famT := name("family name", rec.FamilyName, maxName, true)
	first, firstT := name("first name", rec.FirstName, maxName, true)
	middle, midT := name("middle names", rec.MiddleNames, maxName, false)

	country := rec.Country
	if country == "" {
		country = "USA"
	}
	if country != "USA" && country != "CAN" {
		errs = append(errs, errors.New("country: want USA or CAN"))
	}
	date := func(what string, d person.Date, required bool) string {
		if d.IsZero() {
			if required {
				errs = append(errs, fmt.Errorf("%s: %w", what, ErrMissing))
			}
			return ""
		}
		if country == "CAN" {
			return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
		}
		return fmt.Sprintf("%02d%02d%04d", int(d.Month), d.Day, d.Year)
	}

	idNumber := text("ID number", rec.IDNumber, maxID+1)
	if idNumber == "" || len(idNumber) > maxID {
		errs = append(errs, errors.New("ID number: want 1–25 characters"))
	}
	dcf := text("document discriminator", rec.DocumentDiscriminator, maxID+1)
	if dcf == "" || len(dcf) > maxID {
		errs = append(errs, errors.New("document discriminator: want 1–25 characters"))
	}

	eye := strings.ToUpper(rec.EyeColor)
	if eye == "" {
		eye = "UNK"
	}
	if !eyeColors[eye] {
		errs = append(errs, errors.New("eye colour: want an ANSI D-20 code"))
	}
	if rec.HeightInches < 0 || rec.HeightInches > maxHeightInch {
		errs = append(errs, fmt.Errorf("height %d in: out of range", rec.HeightInches))
	}

	street, street2, city, state, postal := addressElements(rec, text, &errs)

	elems := []element{
		{"DAQ", idNumber},
		{"DCS", family}, {"DDE", string(famT)},
		{"DAC", first}, {"DDF", string(firstT)},
		{"DAD", middle}, {"DDG", string(midT)},
	}
	if rec.Suffix != "" {
		s, _ := name("suffix", rec.Suffix, maxSuffix, false)
		elems = append(elems, element{"DCU", s})
	}
	elems = append(elems,
		element{"DBD", date("issue date", rec.IssueDate, true)},
		element{"DBB", date("birth date", rec.BirthDate, true)},
		element{"DBA", date("expiry date", rec.ExpiryDate, true)},
		element{"DBC", sexCode(rec.Sex)},
		// The standard defines no "unknown" height; 000 cannot be a real
		// height, so no reader can mistake it for one.
		element{"DAU", fmt.Sprintf("%03d in", rec.HeightInches)},
		element{"DAY", eye},
		element{"DAG", street},
	)
	if street2 != "" {
		elems = append(elems, element{"DAH", street2})
	}
	elems = append(elems,
		element{"DAI", city},
		element{"DAJ", state},
		element{"DAK", postal},
		element{"DCF", dcf},
		element{"DCG", country},
		// DDA is the REAL ID compliance type; "F" would claim DHS
		// compliance, which a municipal card never has.
		element{"DDA", "N"},
	)
	if !opt.RevisionDate.IsZero() {
		elems = append(elems, element{"DDB", date("revision date", opt.RevisionDate, false)})
	}
	if rec.OrganDonor {
		elems = append(elems, element{"DDK", "1"})
	}
	if rec.Veteran {
		elems = append(elems, element{"DDL", "1"})
	}
	// Every value must be printable ASCII: a stray LF, CR or RS would
	// let one field forge the next element or end the subfile.
	for _, e := range elems {
		if strings.IndexFunc(e.value, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			errs = append(errs, fmt.Errorf("%s: control or non-ASCII character", e.id))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return elems, nil
}

func sexCode(s person.Sex) string {
	switch s {
	case person.SexMale:
		return "1"
	case person.SexFemale:
		return "2"
	}
	return "9"
}

// addressElements maps the printed address to DAG/DAH/DAI/DAJ/DAK. A
// care-of address reads "C/O <organization>" on the first street line, as
// Newark and IDNYC cards do. With no address, DAG is "NONE" and the
// postal code all zeros: the standard fills unknown trailing digits with
// zeros, so all zeros is "unknown".
func addressElements(rec Record, text func(string, string, int) string, errs *[]error) (street, street2, city, state, postal string) {
	a := rec.Address
	if rec.NoAddress {
		a = person.Address{City: a.City, State: a.State}
	}
	lines := []string{}
	if a.CareOf != "" {
		lines = append(lines, "C/O "+a.CareOf)
	}
	for _, l := range []string{a.Line1, a.Line2} {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	street = "NONE"
	if len(lines) > 0 {
		street = text("street", lines[0], maxStreet)
	}
	if len(lines) > 1 {
		street2 = text("street 2", strings.Join(lines[1:], ", "), maxStreet)
	}
	city = text("city", a.City, maxCity)
	if city == "" {
		*errs = append(*errs, fmt.Errorf("city: %w", ErrMissing))
	}
	state = strings.ToUpper(strings.TrimSpace(a.State))
	if len(state) != 2 || strings.Trim(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		*errs = append(*errs, errors.New("state: want a 2-letter code"))
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, a.PostalCode)
	if rec.Country == "CAN" {
		digits = strings.ToUpper(strings.ReplaceAll(a.PostalCode, " ", ""))
		if len(digits) != 6 || strings.Trim(digits, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			*errs = append(*errs, errors.New("postal code: want a 6-character Canadian code"))
		}
	} else if len(digits) != 0 && len(digits) != 5 && len(digits) != 9 {
		*errs = append(*errs, errors.New("postal code: want 5 or 9 digits"))
	}
	// US: 9 digits, unknown ZIP+4 filled with zeros; then padded with
	// spaces to the fixed 11 characters.
	if rec.Country != "CAN" {
		digits = (digits + "000000000")[:9]
	}
	postal = fmt.Sprintf("%-*s", postalLen, digits)
	if len(postal) > postalLen {
		*errs = append(*errs, errors.New("postal code: too long"))
	}
	return street, street2, city, state, postal
}
