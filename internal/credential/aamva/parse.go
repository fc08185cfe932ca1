package aamva

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// Parse reads AAMVA data as a scanner returns it from the PDF417 symbol:
// the header, the subfile designators, and the elements of the DL or ID
// subfile and of the jurisdiction subfile. It accepts any AAMVA version
// from 1 up and does not require elements this package would write, so it
// can read state cards too; it fails on a structure it cannot follow.
// Strings come back as the barcode holds them (upper-case ASCII).
func Parse(data []byte) (Record, error) {
	if len(data) < headerLen || data[0] != complianceIndicator || data[1] != elementSeparator || data[2] != recordSeparator {
		return Record{}, fmt.Errorf("%w: no AAMVA header", ErrFormat)
	}
	// Some jurisdictions' cards omit the CR or spell the file type
	// "AAMVA"; find the file type rather than insisting on a byte offset.
	rest := data[3:]
	if rest[0] == segmentTerminator {
		rest = rest[1:]
	}
	switch {
	case bytes.HasPrefix(rest, []byte(fileType)):
		rest = rest[len(fileType):]
	case bytes.HasPrefix(rest, []byte("AAMVA")):
		rest = rest[len("AAMVA"):]
	default:
		return Record{}, fmt.Errorf("%w: file type is not ANSI", ErrFormat)
	}
	if len(rest) < 12 {
		return Record{}, fmt.Errorf("%w: short header", ErrFormat)
	}
	var rec Record
	rec.IIN = string(rest[:6])
	nums := make([]int, 3)
	for i := range nums {
		n, err := strconv.Atoi(string(rest[6+2*i : 8+2*i]))
		if err != nil || n < 0 {
			return Record{}, fmt.Errorf("%w: header numbers", ErrFormat)
		}
		nums[i] = n
	}
	if strings.Trim(rec.IIN, "0123456789") != "" {
		return Record{}, fmt.Errorf("%w: IIN is not 6 digits", ErrFormat)
	}
	rec.AAMVAVersion, rec.JurisdictionVersion = nums[0], nums[1]
	entries := nums[2]
	if entries < 1 {
		return Record{}, fmt.Errorf("%w: no subfiles", ErrFormat)
	}
	designators := rest[12:]
	if len(designators) < designatorLen*entries {
		return Record{}, fmt.Errorf("%w: %d subfile designators announced, data too short", ErrFormat, entries)
	}
	elems := map[string]string{}
	found := false
	for i := range entries {
		d := designators[i*designatorLen : (i+1)*designatorLen]
		typ := string(d[:2])
		off, err1 := strconv.Atoi(string(d[2:6]))
		n, err2 := strconv.Atoi(string(d[6:10]))
		if err1 != nil || err2 != nil || off < 0 || n < 2 || off > len(data) || n > len(data)-off {
			return Record{}, fmt.Errorf("%w: subfile %d designator out of range", ErrFormat, i)
		}
		body := data[off : off+n]
		// Version 1 cards point the offset one byte early; tolerate it by
		// finding the subfile type near the announced offset.
		if !bytes.HasPrefix(body, []byte(typ)) {
			if off+1+n <= len(data) && bytes.HasPrefix(data[off+1:], []byte(typ)) {
				body = data[off+1 : off+1+n]
			} else {
				return Record{}, fmt.Errorf("%w: subfile %q not at its offset", ErrFormat, typ)
			}
		}
		if typ == "DL" || typ == "ID" {
			found = true
		}
		for _, line := range bytes.Split(body[2:], []byte{elementSeparator}) {
			line = bytes.TrimRight(line, "\r")
			if len(line) < 3 {
				continue
			}
			id := string(line[:3])
			if _, dup := elems[id]; !dup {
				elems[id] = strings.TrimSpace(string(line[3:]))
			}
		}
	}
	if !found {
		return Record{}, fmt.Errorf("%w: no DL or ID subfile", ErrFormat)
	}
	if err := fillRecord(&rec, elems); err != nil {
		return Record{}, err
	}
	return rec, nil
}

func fillRecord(rec *Record, e map[string]string) error {
	none := func(s string) string {
		if s == "NONE" || s == "unavl" || s == "UNAVL" {
			return ""
		}
		return s
	}
	rec.FamilyName = e["DCS"]
	rec.FirstName = none(e["DAC"])
	if rec.FirstName == "" {
		rec.FirstName = none(e["DCT"]) // versions 2–3: given names
	}
	rec.MiddleNames = none(e["DAD"])
	rec.Suffix = e["DCU"]
	rec.FamilyTruncation = truncation(e["DDE"])
	rec.FirstTruncation = truncation(e["DDF"])
	rec.MiddleTruncation = truncation(e["DDG"])
	rec.Country = e["DCG"]
	rec.IDNumber = e["DAQ"]
	rec.DocumentDiscriminator = e["DCF"]
	if rec.IDNumber == "" || rec.FamilyName == "" {
		return fmt.Errorf("%w: DAQ and DCS are required", ErrFormat)
	}
	var err error
	for _, d := range []struct {
		id  string
		dst *person.Date
	}{{"DBB", &rec.BirthDate}, {"DBD", &rec.IssueDate}, {"DBA", &rec.ExpiryDate}} {
		if *d.dst, err = parseDate(e[d.id], rec.Country); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrFormat, d.id, err)
		}
	}
	switch e["DBC"] {
	case "1", "M":
		rec.Sex = person.SexMale
	case "2", "F":
		rec.Sex = person.SexFemale
	case "X":
		rec.Sex = person.SexX
	default:
		rec.Sex = person.SexNotShown
	}
	rec.EyeColor = e["DAY"]
	if rec.EyeColor == "UNK" {
		rec.EyeColor = ""
	}
	rec.HeightInches = parseHeight(e["DAU"])
	street := none(e["DAG"])
	if co, ok := strings.CutPrefix(street, "C/O "); ok {
		rec.Address.CareOf = co
		rec.Address.Line1 = e["DAH"]
	} else {
		rec.Address.Line1 = street
		rec.Address.Line2 = e["DAH"]
	}
	rec.NoAddress = street == ""
	rec.Address.City = e["DAI"]
	rec.Address.State = e["DAJ"]
	rec.Address.PostalCode = strings.TrimSpace(e["DAK"])
	if strings.Trim(rec.Address.PostalCode, "0") == "" {
		rec.Address.PostalCode = ""
	}
	rec.OrganDonor = e["DDK"] == "1"
	rec.Veteran = e["DDL"] == "1"
	// Our program name is element A of the jurisdiction subfile; take the
	// first such element in sorted order so the result is deterministic.
	for _, id := range slices.Sorted(maps.Keys(e)) {
		if len(id) == 3 && id[0] == 'Z' && id[2] == 'A' {
			rec.ProgramName = e[id]
			break
		}
	}
	return nil
}

func truncation(s string) Truncation {
	switch s {
	case "T":
		return Truncated
	case "N":
		return NotTruncated
	}
	return Unknown
}

// parseDate reads MMDDCCYY (USA) or CCYYMMDD (Canada); an empty value is
// the zero Date.
func parseDate(s, country string) (person.Date, error) {
	if s == "" {
		return person.Date{}, nil
	}
	layout := "01022006"
	if country == "CAN" || (len(s) == 8 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20")) && s[4:6] <= "12" && s[0:2] > "12") {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return person.Date{}, fmt.Errorf("date %q", s)
	}
	return person.DateOf(t), nil
}

// parseHeight reads "073 in" or "181 cm" as inches; 0 when unknown.
func parseHeight(s string) int {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0
	}
	switch strings.ToLower(unit) {
	case "cm":
		return int(float64(n)/2.54 + 0.5)
	case "in", "":
		return n
	}
	return 0
}
