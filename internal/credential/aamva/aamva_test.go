package aamva

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/person"
	"github.com/google/go-cmp/cmp"
)

func d(y int, m time.Month, day int) person.Date { return person.Date{Year: y, Month: m, Day: day} }

var testOpts = Options{JurisdictionVersion: 1, RevisionDate: d(2026, time.January, 15)}

func baseRecord() Record {
	return Record{
		FamilyName:            "García López",
		FirstName:             "María",
		MiddleNames:           "José",
		BirthDate:             d(1990, time.January, 2),
		IssueDate:             d(2026, time.November, 28),
		ExpiryDate:            d(2031, time.November, 28),
		Sex:                   person.SexFemale,
		EyeColor:              "BRO",
		HeightInches:          64,
		Address:               person.Address{Line1: "123 Main St", Line2: "Apt 4", City: "New Haven", State: "CT", PostalCode: "06511"},
		IDNumber:              "4821093755216",
		DocumentDiscriminator: "20261128A7Q3",
		ProgramName:           "New Haven Resident Card",
	}
}

// parsedForm is what Parse should return for rec: ASCII upper case,
// defaults filled in.
func parsedForm(rec Record, fam, first, mid Truncation) Record {
	up := func(s string) string {
		v, err := toASCII(s, textChar)
		if err != nil {
			panic(err)
		}
		return v
	}
	want := rec
	want.FamilyName, want.FirstName, want.MiddleNames = up(rec.FamilyName), up(rec.FirstName), up(rec.MiddleNames)
	want.FamilyName, _ = fit(want.FamilyName, maxName)
	want.FirstName, _ = fit(want.FirstName, maxName)
	want.MiddleNames, _ = fit(want.MiddleNames, maxName)
	want.FamilyTruncation, want.FirstTruncation, want.MiddleTruncation = fam, first, mid
	street := func(s string) string { v, _ := fit(up(s), maxStreet); return v }
	want.Address = person.Address{
		CareOf: strings.TrimPrefix(street("C/O "+rec.Address.CareOf), "C/O"), Line1: street(rec.Address.Line1), Line2: street(rec.Address.Line2),
		City: up(rec.Address.City), State: rec.Address.State,
		PostalCode: zip9(rec.Address.PostalCode),
	}
	want.Address.CareOf = strings.TrimSpace(want.Address.CareOf)
	if rec.NoAddress {
		want.Address = person.Address{City: want.Address.City, State: want.Address.State}
	}
	if want.Sex == person.SexX {
		want.Sex = person.SexNotShown // DBC has no X in version 10
	}
	if want.Country == "" {
		want.Country = "USA"
	}
	want.ProgramName = up(rec.ProgramName)
	want.IIN, want.AAMVAVersion, want.JurisdictionVersion = PlaceholderIIN, Version, testOpts.JurisdictionVersion
	return want
}

// zip9 is the ZIP+4 form Parse returns: unknown +4 digits are zeros.
func zip9(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	if s == "" {
		return ""
	}
	return (s + "0000")[:9]
}

type testCase struct {
	name           string
	rec            Record
	fam, first, md Truncation
}

func testCases() []testCase {
	long := baseRecord()
	long.FamilyName = "Wolfeschlegelsteinhausenbergerdorff Zwölfundzwanzig"
	long.FirstName = "Hubert Blaine"
	long.MiddleNames = "Adolph Charles Christian Dave Emil Frederick Gerald"
	long.Address.Line1 = "12345 Extraordinarily Long Boulevard Name Northeast"
	careOf := baseRecord()
	careOf.FamilyName, careOf.FirstName, careOf.MiddleNames = "Peña Núñez", "Iñaki", ""
	careOf.Address = person.Address{CareOf: "Columbus House Shelter", Line1: "586 Ella T Grasso Blvd", City: "New Haven", State: "CT", PostalCode: "06519-1234"}
	noAddr := baseRecord()
	noAddr.NoAddress = true
	noAddr.Address = person.Address{City: "New Haven", State: "CT"}
	noAddr.Sex = person.SexX
	noAddr.EyeColor, noAddr.HeightInches = "", 0
	noAddr.OrganDonor, noAddr.Veteran = true, true
	notShown := baseRecord()
	notShown.Sex = person.SexNotShown
	notShown.FamilyName = "O’Brien-Ørsted"
	notShown.FirstName = "Zoë"
	notShown.MiddleNames = "Straße"
	return []testCase{
		{"accents", baseRecord(), NotTruncated, NotTruncated, NotTruncated},
		{"long names truncated", long, Truncated, NotTruncated, Truncated},
		{"care-of and ñ", careOf, NotTruncated, NotTruncated, NotTruncated},
		{"no address, sex X, unknown eyes and height", noAddr, NotTruncated, NotTruncated, NotTruncated},
		{"sex not shown, special letters", notShown, NotTruncated, NotTruncated, NotTruncated},
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Encode(tc.rec, testOpts)
			if err != nil {
				t.Fatalf("Encode = %v", err)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", data, err)
			}
			want := parsedForm(tc.rec, tc.fam, tc.first, tc.md)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(Encode(rec)) (-want +got):\n%s\ndata: %q", diff, data)
			}
		})
	}
}

func TestEncodeExactBytes(t *testing.T) {
	data, err := Encode(baseRecord(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	id := "IDDAQ4821093755216\nDCSGARCIA LOPEZ\nDDEN\nDACMARIA\nDDFN\nDADJOSE\nDDGN\n" +
		"DBD11282026\nDBB01021990\nDBA11282031\nDBC2\nDAU064 in\nDAYBRO\nDAG123 MAIN ST\nDAHAPT 4\n" +
		"DAINEW HAVEN\nDAJCT\nDAK065110000  \nDCF20261128A7Q3\nDCGUSA\nDDAN\nDDB01152026\r"
	z := "ZCZCANEW HAVEN RESIDENT CARD\r"
	want := "@\n\x1e\rANSI 000000100102" +
		"ID0041" + pad4(len(id)) + "ZC" + pad4(41+len(id)) + pad4(len(z)) + id + z
	if string(data) != want {
		t.Errorf("Encode() =\n%q\nwant\n%q", data, want)
	}
}

func pad4(n int) string {
	return string([]byte{byte('0' + n/1000), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Record, *Options)
		want error
	}{
		{"no family name", func(r *Record, _ *Options) { r.FamilyName = " " }, ErrInvalid},
		{"no birth date", func(r *Record, _ *Options) { r.BirthDate = person.Date{} }, ErrInvalid},
		{"Chinese name", func(r *Record, _ *Options) { r.FirstName = "王" }, ErrUnencodable},
		{"missing city", func(r *Record, _ *Options) { r.Address.City = "" }, ErrMissing},
		{"bad Canadian postal code", func(r *Record, _ *Options) { r.Country, r.Address.PostalCode = "CAN", "K1A\n0B1" }, ErrInvalid},
		{"line feed in street", func(r *Record, _ *Options) { r.Address.Line1 = "1 Main\nDAQ999" }, ErrInvalid},
		{"bad state", func(r *Record, _ *Options) { r.Address.State = "Connecticut" }, ErrInvalid},
		{"bad eye colour", func(r *Record, _ *Options) { r.EyeColor = "PURPLE" }, ErrInvalid},
		{"bad IIN", func(_ *Record, o *Options) { o.IIN = "12345" }, ErrInvalid},
		{"bad subfile type", func(_ *Record, o *Options) { o.SubfileType = "DL" }, ErrInvalid},
		{"no program name", func(r *Record, _ *Options) { r.ProgramName = "" }, ErrMissing},
		{"ID number too long", func(r *Record, _ *Options) { r.IDNumber = strings.Repeat("1", 26) }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, opt := baseRecord(), testOpts
			tt.mod(&rec, &opt)
			if _, err := Encode(rec, opt); !errors.Is(err, tt.want) {
				t.Errorf("Encode() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncodeNeverWritesComplianceF(t *testing.T) {
	for _, tc := range testCases() {
		data, _ := Encode(tc.rec, testOpts)
		if !bytes.Contains(data, []byte("\nDDAN\n")) || bytes.Contains(data, []byte("DDAF")) {
			t.Errorf("%s: DDA is not N in %q", tc.name, data)
		}
	}
}

// zxingDecode decodes a PNG with Debian's ZXingReader (zxing-cpp), the
// decoder family inside many scanners in the field.
func zxingDecode(t testing.TB, pngPath string) []byte {
	t.Helper()
	bin, err := exec.LookPath("ZXingReader")
	if err != nil {
		t.Skip("ZXingReader not installed (apt-get install zxing-cpp-tools); cannot check the symbol decodes")
	}
	out, err := exec.Command(bin, "-format", "PDF417", "-bytes", pngPath).Output()
	if err != nil {
		t.Fatalf("ZXingReader %s: %v", pngPath, err)
	}
	return out
}

func TestBarcodeDecodesWithZXing(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			bc, err := NewBarcode(tc.rec, testOpts)
			if err != nil {
				t.Fatalf("NewBarcode = %v", err)
			}
			w, h := bc.SizeMM()
			t.Logf("%d columns × %d rows, %.1f × %.1f mm at %d dpi, %d data bytes", bc.Columns, bc.Rows, w, h, DPI, len(bc.Data))
			path := filepath.Join(t.TempDir(), "pdf417.png")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, bc.Image()); err != nil {
				t.Fatal(err)
			}
			f.Close()
			got := zxingDecode(t, path)
			if !bytes.Equal(got, bc.Data) {
				t.Fatalf("ZXingReader read\n%q\nwant\n%q", got, bc.Data)
			}
			rec, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(decoded) = %v", err)
			}
			want := parsedForm(tc.rec, tc.fam, tc.first, tc.md)
			if diff := cmp.Diff(want, rec); diff != "" {
				t.Errorf("Parse(decoded symbol) (-want +got):\n%s", diff)
			}
		})
	}
}
