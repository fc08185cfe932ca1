package linkage

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Reading limits: bounded memory on hostile files.
const (
	maxRecords = 20_000_000
	maxColumns = 200
	maxCell    = 1000
)

// Errors from the CSV readers, checked with errors.Is.
var (
	ErrNoHeader   = errors.New("linkage: CSV has no header row")
	ErrColumn     = errors.New("linkage: CSV column missing")
	ErrMapping    = errors.New("linkage: bad column mapping")
	ErrTooLarge   = errors.New("linkage: CSV too large")
	ErrBadFormat  = errors.New("linkage: malformed CSV")
	ErrDuplicates = errors.New("linkage: duplicate record id")
)

// Mapping says which CSV column feeds which Record field. Keys are Record
// field names in snake case (id, given_name, first_surname, second_surname,
// surname (alias of first_surname), date_of_birth, sex, street_number,
// street, line2, city, postal_code, state, email, phone); values are column
// names in the file's header. Truth names the column holding a cluster
// label for evaluation ("" for none); TruthFromID derives the label from a
// FEBRL id ("rec-12-dup-0" → "12").
type Mapping struct {
	Columns     map[string]string
	Truth       string
	TruthFromID bool
}

var mappable = map[string]func(*Record, string){
	"id":             func(r *Record, v string) { r.ID = v },
	"given_name":     func(r *Record, v string) { r.GivenNames = v },
	"first_surname":  func(r *Record, v string) { r.FirstSurname = v },
	"surname":        func(r *Record, v string) { r.FirstSurname = v },
	"second_surname": func(r *Record, v string) { r.SecondSurname = v },
	"date_of_birth":  func(r *Record, v string) { r.DateOfBirth = v },
	"sex":            func(r *Record, v string) { r.Sex = v },
	"street_number":  func(r *Record, v string) { r.StreetNumber = v },
	"street":         func(r *Record, v string) { r.Street = v },
	"line2":          func(r *Record, v string) { r.Line2 = v },
	"city":           func(r *Record, v string) { r.City = v },
	"postal_code":    func(r *Record, v string) { r.PostalCode = v },
	"state":          func(r *Record, v string) { r.State = v },
	"email":          func(r *Record, v string) { r.Email = v },
	"phone":          func(r *Record, v string) { r.Phone = v },
}

// FEBRLMapping reads the FEBRL benchmark files. soc_sec_id is deliberately
// not mapped: applicants have none.
func FEBRLMapping() Mapping {
	return Mapping{Columns: map[string]string{
		"id": "rec_id", "given_name": "given_name", "surname": "surname",
		"street_number": "street_number", "street": "address_1", "line2": "address_2",
		"city": "suburb", "postal_code": "postcode", "state": "state", "date_of_birth": "date_of_birth",
	}, TruthFromID: true}
}

// ParseMapping reads "field=column,field=column".
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{Columns: map[string]string{}}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return Mapping{}, fmt.Errorf("%w: %q is not field=column", ErrMapping, kv)
		}
		if _, known := mappable[k]; !known {
			return Mapping{}, fmt.Errorf("%w: unknown field %q", ErrMapping, k)
		}
		m.Columns[k] = v
	}
	if len(m.Columns) == 0 {
		return Mapping{}, fmt.Errorf("%w: empty", ErrMapping)
	}
	return m, nil
}

var febrlID = regexp.MustCompile(`^rec-(\d+)-(org|dup-\d+)$`)

// ReadCSV reads records from a CSV file with a header row, mapping columns
// by m. Cells are trimmed (FEBRL puts a space after each comma); CRLF line
// ends and a UTF-8 byte-order mark are accepted; invalid UTF-8 is replaced,
// not fatal. Records without an id column get their row number.
func ReadCSV(r io.Reader, m Mapping) ([]Record, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrNoHeader
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadFormat, err)
	}
	if len(header) > maxColumns {
		return nil, fmt.Errorf("%w: %d columns", ErrTooLarge, len(header))
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.ToValidUTF8(h, "")))] = i
	}
	type setter struct {
		idx int
		set func(*Record, string)
	}
	var setters []setter
	for field, name := range m.Columns {
		set, ok := mappable[field]
		if !ok {
			return nil, fmt.Errorf("%w: unknown field %q", ErrMapping, field)
		}
		i, ok := col[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("%w: %q (for %s); header has %d columns", ErrColumn, name, field, len(header))
		}
		setters = append(setters, setter{i, set})
	}
	truthIdx := -1
	if m.Truth != "" {
		i, ok := col[strings.ToLower(m.Truth)]
		if !ok {
			return nil, fmt.Errorf("%w: truth column %q", ErrColumn, m.Truth)
		}
		truthIdx = i
	}
	var recs []Record
	ids := map[string]bool{}
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadFormat, line, err)
		}
		if len(recs) >= maxRecords {
			return nil, fmt.Errorf("%w: over %d records", ErrTooLarge, maxRecords)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // blank line
		}
		var rec Record
		for _, s := range setters {
			if s.idx < len(row) {
				s.set(&rec, cell(row[s.idx]))
			}
		}
		if truthIdx >= 0 && truthIdx < len(row) {
			rec.Truth = cell(row[truthIdx])
		}
		if rec.ID == "" {
			rec.ID = fmt.Sprint(line - 1)
		}
		if ids[rec.ID] {
			return nil, fmt.Errorf("%w: line %d", ErrDuplicates, line)
		}
		ids[rec.ID] = true
		if m.TruthFromID {
			if g := febrlID.FindStringSubmatch(rec.ID); g != nil {
				rec.Truth = g[1]
			}
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, ErrNoRecords
	}
	return recs, nil
}

func cell(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimSpace(s)
	if len(s) > maxCell {
		s = s[:maxCell]
		s = strings.ToValidUTF8(s, "")
	}
	return s
}
