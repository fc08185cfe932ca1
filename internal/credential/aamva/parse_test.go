package aamva

import (
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// A state driver licence laid out like real version-8 cards: DL subfile,
// a jurisdiction subfile, elements this package never writes (DCA…), and
// a trailing LF before the CR.
var stateCard = func() string {
	dl := "DLDCAC\nDCBNONE\nDCDNONE\n" +
		"DBA08142027\nDCSSAMPLE\nDACJANE\nDADNONE\nDBD08142019\nDBB08141990\nDBC2\nDAYBLU\n" +
		"DAU065 in\nDAG123 MAIN STREET\nDAIANYTOWN\nDAJCA\nDAK958110000  \nDAQD1234562\n" +
		"DCFD1234562CASAMPLE0101\nDCGUSA\nDDEN\nDDFN\nDDGN\nDDAF\n\r"
	z := "ZCZCAY\nZCBCORR LENS\n\r"
	return "@\n\x1e\rANSI 636014080102DL0041" + pad4(len(dl)) + "ZC" + pad4(41+len(dl)) + pad4(len(z)) + dl + z
}()

func TestParseStateCard(t *testing.T) {
	rec, err := Parse([]byte(stateCard))
	if err != nil {
		t.Fatalf("Parse(state card) = %v", err)
	}
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"IIN", rec.IIN, "636014"},
		{"AAMVAVersion", rec.AAMVAVersion, 8},
		{"FamilyName", rec.FamilyName, "SAMPLE"},
		{"FirstName", rec.FirstName, "JANE"},
		{"MiddleNames", rec.MiddleNames, ""},
		{"BirthDate", rec.BirthDate, person.Date{Year: 1990, Month: time.August, Day: 14}},
		{"Sex", rec.Sex, person.SexFemale},
		{"HeightInches", rec.HeightInches, 65},
		{"PostalCode", rec.Address.PostalCode, "958110000"},
		{"IDNumber", rec.IDNumber, "D1234562"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Parse(state card).%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Encode(baseRecord(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func([]byte) []byte) []byte {
		c := append([]byte(nil), good...)
		return f(c)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not AAMVA", []byte("HELLO WORLD THIS IS NOT AN AAMVA BARCODE")},
		{"bad file type", mutate(func(b []byte) []byte { copy(b[4:], "XNSI "); return b })},
		{"letters in entry count", mutate(func(b []byte) []byte { b[19] = 'X'; return b })},
		{"zero entries", mutate(func(b []byte) []byte { b[19], b[20] = '0', '0'; return b })},
		{"offset beyond data", mutate(func(b []byte) []byte { copy(b[23:], "9999"); return b })},
		{"length beyond data", mutate(func(b []byte) []byte { copy(b[27:], "9000"); return b })},
		{"truncated", good[:60]},
		{"bad birth date", []byte(string(good[:0]) + replaceOnce(string(good), "DBB01021990", "DBB13451990"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.in); !errors.Is(err, ErrFormat) {
				t.Errorf("Parse() = %v, want ErrFormat", err)
			}
		})
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

func FuzzParse(f *testing.F) {
	for _, tc := range testCases() {
		data, err := Encode(tc.rec, testOpts)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(stateCard))
	f.Add([]byte("@\n\x1e\rANSI 6360000102"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Parse error %v is not ErrFormat", err)
			}
			return
		}
		if rec.IDNumber == "" || rec.FamilyName == "" {
			t.Fatalf("Parse succeeded without DAQ or DCS: %+v", rec)
		}
	})
}

// FuzzEncode feeds arbitrary text into every free-text field: Encode must
// either refuse it or produce data that parses back to the same card
// number and document discriminator (no field can forge another).
func FuzzEncode(f *testing.F) {
	f.Add("García López", "María", "123 Main St", "New Haven", "06511", "Program")
	f.Add("X\nDAQ999", "A\rB", "C/O\x1e", "NH", "0651", "\n")
	f.Add("王", "Zoë", "", "", "", "P")
	f.Fuzz(func(t *testing.T, family, first, street, city, postal, program string) {
		rec := baseRecord()
		rec.FamilyName, rec.FirstName, rec.Address.Line1 = family, first, street
		rec.Address.City, rec.Address.PostalCode, rec.ProgramName = city, postal, program
		data, err := Encode(rec, testOpts)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMissing) {
				t.Fatalf("Encode error %v is neither ErrInvalid nor ErrMissing", err)
			}
			return
		}
		got, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse(Encode()) = %v for %q", err, data)
		}
		if got.IDNumber != rec.IDNumber || got.DocumentDiscriminator != rec.DocumentDiscriminator || got.BirthDate != rec.BirthDate {
			t.Fatalf("Parse(Encode()) changed DAQ/DCF/DBB: %+v from %q", got, data)
		}
		for _, b := range data[4:] {
			if b == '\x1e' {
				t.Fatalf("RS inside the data: %q", data)
			}
		}
	})
}
