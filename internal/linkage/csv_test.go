package linkage

import (
	"errors"
	"strings"
	"testing"
)

const febrlSample = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\r\n" +
	"rec-12-org, barnaby, siggins, 51, hurley street, lakes retirement estate, kempsey, 5162, vic, 19981021, 5752610\r\n" +
	"rec-12-dup-0, barnayb, reid, 51, lakes retkremeent estate, hurley street, kempsey, 5162, vic, 19981021, 5752601\r\n" +
	"rec-7-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048\r\n"

func TestReadCSVFEBRL(t *testing.T) {
	recs, err := ReadCSV(strings.NewReader(febrlSample), FEBRLMapping())
	if err != nil {
		t.Fatal(err)
	}
	want := Record{ID: "rec-12-dup-0", GivenNames: "barnayb", FirstSurname: "reid", StreetNumber: "51",
		Street: "lakes retkremeent estate", Line2: "hurley street", City: "kempsey", PostalCode: "5162",
		State: "vic", DateOfBirth: "19981021", Truth: "12"}
	if len(recs) != 3 || recs[1] != want {
		t.Fatalf("ReadCSV(FEBRL)[1] = %+v (of %d), want %+v", recs[1], len(recs), want)
	}
	if recs[2].GivenNames != "" || recs[2].Truth != "7" {
		t.Errorf("ReadCSV(FEBRL)[2] = %+v, want empty given name and truth 7", recs[2])
	}
}

func TestReadCSVErrors(t *testing.T) {
	m := Mapping{Columns: map[string]string{"given_name": "first", "surname": "last"}, Truth: "cluster"}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty file", "", ErrNoHeader},
		{"header only", "first,last,cluster\n", ErrNoRecords},
		{"missing column", "first,surname,cluster\nana,garcia,1\n", ErrColumn},
		{"missing truth column", "first,last\nana,garcia\n", ErrColumn},
		{"duplicate id", "id,first,last,cluster\n1,a,b,1\n1,c,d,2\n", nil},
		{"bare quote", "first,last,cluster\n\"ana,garcia,1\n", ErrBadFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mm := m
			if tt.name == "duplicate id" {
				mm = Mapping{Columns: map[string]string{"id": "id", "given_name": "first", "surname": "last"}}
				tt.want = ErrDuplicates
			}
			_, err := ReadCSV(strings.NewReader(tt.in), mm)
			if !errors.Is(err, tt.want) {
				t.Errorf("ReadCSV(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestReadCSVGraceful(t *testing.T) {
	m := Mapping{Columns: map[string]string{"given_name": "first", "surname": "last"}, Truth: "cluster"}
	in := "\xef\xbb\xbffirst,last,cluster\n\xff\xfeAna,Garc\xeda,1\nJosé\n\n محمد , علي ,2\n"
	recs, err := ReadCSV(strings.NewReader(in), m)
	if err != nil {
		t.Fatalf("ReadCSV(BOM, invalid UTF-8, short row) error = %v, want records", err)
	}
	if len(recs) != 3 {
		t.Fatalf("ReadCSV got %d records, want 3: %+v", len(recs), recs)
	}
	if recs[1].GivenNames != "José" || recs[1].FirstSurname != "" {
		t.Errorf("short row = %+v, want given name only", recs[1])
	}
	if recs[2].GivenNames != "محمد" || recs[2].Truth != "2" {
		t.Errorf("Arabic row = %+v, want trimmed Arabic names", recs[2])
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping("given_name=first, surname=last,date_of_birth=dob")
	if err != nil || m.Columns["surname"] != "last" || len(m.Columns) != 3 {
		t.Errorf("ParseMapping = %+v, %v, want 3 columns", m, err)
	}
	for _, bad := range []string{"", "given_name", "shoe_size=x", "=x", "surname="} {
		if _, err := ParseMapping(bad); !errors.Is(err, ErrMapping) {
			t.Errorf("ParseMapping(%q) error = %v, want ErrMapping", bad, err)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(febrlSample)
	f.Add("rec_id,given_name\nrec-1-org,ana\n")
	f.Add("\"a\"\"b\",c\n1,2,3,4\n")
	f.Add("\xef\xbb\xbf\xff\n\r\n,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := ReadCSV(strings.NewReader(in), FEBRLMapping())
		if err == nil && len(recs) == 0 {
			t.Fatal("ReadCSV returned no records and no error")
		}
		if err != nil && recs != nil {
			t.Fatal("ReadCSV returned records and an error")
		}
		nick := NewNicknames()
		for i := range recs {
			p := prepare(&recs[i], nick)
			comparePlain(p, p, nick)
		}
	})
}
