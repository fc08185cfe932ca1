package linkage

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"José", "jose"},
		{"  PEÑA  ", "peña"},
		{"O'Brien", "obrien"},
		{"Jean-Baptiste", "jean baptiste"},
		{"Nguyễn Văn", "nguyen van"},
		{"Đặng", "dang"},
		{"Müller-Lüdenscheidt", "muller ludenscheidt"},
		{"محمد", "محمد"},
		{"李 小龍", "李 小龍"},
		{"", ""},
		{"\xff\xfeAna", "ana"},
		{"Ma. José", "ma jose"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Loose(Fold("Peña")); got != "pena" {
		t.Errorf("Loose(Fold(Peña)) = %q, want pena", got)
	}
}

func TestSurnameTokens(t *testing.T) {
	tests := []struct {
		first, second string
		want          []string
	}{
		{"de la Cruz", "Martínez", []string{"cruz", "martinez"}},
		{"García-López", "", []string{"garcia", "lopez"}},
		{"García y López", "", []string{"garcia", "lopez"}},
		{"Van der Berg", "", []string{"berg"}},
		{"De La", "", []string{"de", "la"}},
		{"Al-Hassan", "", []string{"hassan"}},
		{"", "", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SurnameTokens(tt.first, tt.second)); diff != "" {
			t.Errorf("SurnameTokens(%q, %q) mismatch (-want +got):\n%s", tt.first, tt.second, diff)
		}
	}
}

func TestGivenTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Ma. Guadalupe", []string{"maria", "guadalupe"}},
		{"María de los Ángeles", []string{"maria", "angeles"}},
		{"Fco. Javier", []string{"francisco", "javier"}},
		{"J", []string{"j"}},
		{"Thị Lan", []string{"lan"}},
		{"Vân Thị", []string{"van", "thi"}}, // markers alone are the name
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, GivenTokens(tt.in)); diff != "" {
			t.Errorf("GivenTokens(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseStreet(t *testing.T) {
	tests := []struct {
		in   string
		want Street
	}{
		{"1203 Chapel Street", Street{Number: "1203", Name: "chapel st"}},
		{"1203 Chapel St., Apt 3B", Street{Number: "1203", Name: "chapel st", Unit: "3b"}},
		{"45 Grand Ave #2", Street{Number: "45", Name: "grand ave", Unit: "2"}},
		{"Calle Ferry 12", Street{Name: "calle ferry", Unit: "12"}},
		{"586 Ella T. Grasso Boulevard", Street{Number: "586", Name: "ella t grasso blvd"}},
		{"", Street{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseStreet(tt.in)); diff != "" {
			t.Errorf("ParseStreet(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // Digits
	}{
		{"19810704", "19810704"},
		{"1981-07-04", "19810704"},
		{"07/04/1981", "19810704"},
		{"25/12/1990", "19901225"},
		{"19811304", "19811304"},   // impossible month kept for typo comparison
		{"0970-12-05", "09701205"}, // and a year with a leading zero
		{"0000-00-00", ""},         // the placeholder for "unknown"
		{"00000000", ""},
		{"not a date", ""},
		{"", ""},
		{"12/12/12", ""},
	}
	for _, tt := range tests {
		if got := parseDate(tt.in).Digits; got != tt.want {
			t.Errorf("parseDate(%q).Digits = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhoneticKeys(t *testing.T) {
	tests := []struct{ name, primary, alternate string }{
		{"smith", "SM0", "XMT"},
		{"schmidt", "XMT", "SMT"},
		{"thomas", "TMS", "TMS"},
		{"knight", "NT", "NT"},
		{"garcia", "KRS", "KRX"},
		{"philip", "FLP", "FLP"},
	}
	for _, tt := range tests {
		p, a := DoubleMetaphone(tt.name)
		if p != tt.primary || a != tt.alternate {
			t.Errorf("DoubleMetaphone(%q) = %q, %q, want %q, %q", tt.name, p, a, tt.primary, tt.alternate)
		}
	}
	same := [][2]string{
		{"catherine", "kathryn"}, {"smith", "smyth"},
	}
	for _, s := range same {
		if a, b := first(DoubleMetaphone(s[0])), first(DoubleMetaphone(s[1])); a != b {
			t.Errorf("DoubleMetaphone(%q) = %q, DoubleMetaphone(%q) = %q, want equal", s[0], a, s[1], b)
		}
	}
	spanish := [][2]string{
		{"jimenez", "gimenez"}, {"jimenez", "ximenez"}, {"vazquez", "bazquez"}, {"vasquez", "vazquez"},
		{"yolanda", "llolanda"}, {"hernandez", "ernandez"}, {"peña", "pena"}, {"quintero", "kintero"},
		{"guillermo", "guiyermo"}, {"cecilia", "sesilia"},
	}
	for _, s := range spanish {
		if a, b := SpanishKey(s[0]), SpanishKey(s[1]); a != b || a == "" {
			t.Errorf("SpanishKey(%q) = %q, SpanishKey(%q) = %q, want equal and non-empty", s[0], a, s[1], b)
		}
	}
	if a, b := SpanishKey("garcia"), SpanishKey("gomez"); a == b {
		t.Errorf("SpanishKey(garcia) = SpanishKey(gomez) = %q, want different", a)
	}
}

func first(a, _ string) string { return a }

func TestSimilarity(t *testing.T) {
	jw := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"same", "same", 1},
		{"", "x", 0},
		{"josé", "jose", 0.8833},
	}
	for _, tt := range jw {
		if got := JaroWinkler(tt.a, tt.b); got < tt.want-0.001 || got > tt.want+0.001 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", tt.a, tt.b, got, tt.want)
		}
	}
	ed := []struct {
		a, b string
		want int
	}{
		{"19810704", "19810740", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"peña", "pena", 1}, {"ab", "ba", 1},
	}
	for _, tt := range ed {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := Dice([]uint64{0b1111}, []uint64{0b0011}); got < 0.666 || got > 0.667 {
		t.Errorf("Dice(1111, 0011) = %.4f, want 0.6667", got)
	}
}

func TestCompareLevels(t *testing.T) {
	nick := NewNicknames()
	rec := func(given, s1, s2, dob string) *prepared {
		return prepare(&Record{GivenNames: given, FirstSurname: s1, SecondSurname: s2, DateOfBirth: dob}, nick)
	}
	tests := []struct {
		name  string
		a, b  *prepared
		field Field
		want  Level
	}{
		{"surnames swapped", rec("Ana", "García", "López", ""), rec("Ana", "López", "García", ""), Surname, Exact},
		{"second surname dropped", rec("Ana", "García", "López", ""), rec("Ana", "García", "", ""), Surname, Strong},
		{"surnames merged", rec("Ana", "García López", "", ""), rec("Ana", "García", "López", ""), Surname, Exact},
		{"hyphenated", rec("Ana", "García-López", "", ""), rec("Ana", "García", "López", ""), Surname, Exact},
		{"particle dropped", rec("Ana", "de la Cruz", "", ""), rec("Ana", "Cruz", "", ""), Surname, Exact},
		{"one surname shared", rec("Ana", "García", "López", ""), rec("Ana", "García", "Pérez", ""), Surname, Weak},
		{"surname typo", rec("Ana", "Hernández", "", ""), rec("Ana", "Hernandes", "", ""), Surname, Strong},
		{"surname sounds alike", rec("Ana", "Jiménez", "", ""), rec("Ana", "Ximenes", "", ""), Surname, Phonetic},
		{"accent only", rec("Jose", "Peña", "", ""), rec("José", "Pena", "", ""), GivenName, Exact},
		{"nickname", rec("Pepe", "García", "", ""), rec("José", "García", "", ""), GivenName, Strong},
		{"nickname in second name", rec("Lupe", "García", "", ""), rec("María Guadalupe", "García", "", ""), GivenName, Weak},
		{"first part of a compound name", rec("María", "García", "", ""), rec("María Luisa", "García", "", ""), GivenName, Strong},
		{"second part of a compound name", rec("María", "García", "", ""), rec("Ana María", "García", "", ""), GivenName, Weak},
		{"second part, other order", rec("Juan José", "García", "", ""), rec("José", "García", "", ""), GivenName, Weak},
		{"compound name, parts swapped", rec("José María", "García", "", ""), rec("María José", "García", "", ""), GivenName, Strong},
		{"Ma. abbreviation", rec("Ma. Guadalupe", "García", "", ""), rec("María Guadalupe", "García", "", ""), GivenName, Exact},
		{"middle name dropped", rec("Juan Carlos", "García", "", ""), rec("Juan", "García", "", ""), GivenName, Strong},
		{"shared middle name only", rec("María José", "García", "", ""), rec("Ana José", "García", "", ""), GivenName, Weak},
		{"another first name, the rest kept", rec("Ngọc Lan", "Nguyễn", "", ""), rec("Cindy Lan", "Nguyen", "", ""), GivenName, Weak},
		{"shared part in another place, first part mistyped", rec("Kim Lua", "Tran", "", ""), rec("Lua iKm", "Tran", "", ""), GivenName, Weak},
		{"compound names share a part in other places", rec("Marie-Michelle", "Augustin", "", ""), rec("Rose-Marie", "Augustin", "", ""), GivenName, Different},
		{"compound names share a part, first and last", rec("José Manuel", "Almuela", "", ""), rec("María José", "Almuela", "", ""), GivenName, Different},
		{"Vietnamese names share a part", rec("Thanh Xuân", "Trần", "", ""), rec("Châu Thanh", "Trần", "", ""), GivenName, Different},
		{"compound name reordered, one part mistyped", rec("José Manuel", "García", "", ""), rec("Manuel Jsoé", "García", "", ""), GivenName, Weak},
		{"compound names share the first part", rec("María José", "García", "", ""), rec("María Elena", "García", "", ""), GivenName, Different},
		{"compound names, hyphenated", rec("Jean-Baptiste", "Pierre", "", ""), rec("Jean-Louis", "Pierre", "", ""), GivenName, Different},
		{"second part an initial", rec("María J.", "García", "", ""), rec("María José", "García", "", ""), GivenName, Strong},
		{"second part mistyped", rec("María José", "García", "", ""), rec("María Jsoé", "García", "", ""), GivenName, Strong},
		{"Vietnamese diacritics", rec("Nguyễn", "Trần", "", ""), rec("Nguyen", "Tran", "", ""), GivenName, Exact},
		{"Vietnamese surname diacritics", rec("Minh", "Nguyễn", "", ""), rec("Minh", "Nguyen", "", ""), Surname, Exact},
		{"Arabic script and transliteration", rec("عبد الله", "حداد", "", ""), rec("Abdallah", "Haddad", "", ""), GivenName, Strong},
		{"Arabic script surname", rec("عبد الله", "حداد", "", ""), rec("Abdallah", "Haddad", "", ""), Surname, Strong},
		{"Arabic script, another name", rec("محمد", "حداد", "", ""), rec("Ahmed", "Haddad", "", ""), GivenName, Different},
		{"different given", rec("Roberto", "García", "", ""), rec("Pedro", "García", "", ""), GivenName, Different},
		{"given missing", rec("", "García", "", ""), rec("Pedro", "García", "", ""), GivenName, Missing},
		{"non-Latin equal", rec("محمد", "علي", "", ""), rec("محمد", "علي", "", ""), GivenName, Exact},
		{"day and month swapped", rec("A", "B", "", "1980-03-07"), rec("A", "B", "", "1980-07-03"), BirthDate, Strong},
		{"date digit typo", rec("A", "B", "", "1980-03-07"), rec("A", "B", "", "1980-03-17"), BirthDate, Strong},
		{"date two typos", rec("A", "B", "", "1980-03-07"), rec("A", "B", "", "1989-03-17"), BirthDate, Weak},
		{"date different", rec("A", "B", "", "1980-03-07"), rec("A", "B", "", "1955-11-24"), BirthDate, Different},
		{"impossible date, digits transposed", rec("A", "B", "", "1980-02-31"), rec("A", "B", "", "1980-02-13"), BirthDate, Strong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := comparePlain(tt.a, tt.b, nick).Get(tt.field); got != tt.want {
				t.Errorf("compare %s: %q/%q vs %q/%q = %v, want %v", tt.field, tt.a.display(GivenName), tt.a.display(Surname),
					tt.b.display(GivenName), tt.b.display(Surname), got, tt.want)
			}
		})
	}
	// Given name and surname written in each other's boxes.
	v := comparePlain(rec("García", "José", "", ""), rec("José", "García", "", ""), nick)
	if v.Get(GivenName) != Exact || v.Get(Surname) != Exact {
		t.Errorf("swapped given/surname = %v/%v, want exact/exact", v.Get(GivenName), v.Get(Surname))
	}
	// A brother whose form has the boxes swapped: the surnames agree, the
	// given names do not, whichever form was swapped.
	for _, pair := range [][2]*prepared{
		{rec("Nguyen", "Cuong", "", ""), rec("Thao", "Nguyen", "", "")},
		{rec("Thao", "Nguyen", "", ""), rec("Nguyen", "Cuong", "", "")},
	} {
		v := comparePlain(pair[0], pair[1], nick)
		if v.Get(GivenName) != Different || v.Get(Surname) != Exact {
			t.Errorf("sibling with swapped boxes: given/surname = %v/%v, want different/exact", v.Get(GivenName), v.Get(Surname))
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"José García-López", "Ma. de la Cruz", "\xff\xfe", "محمد", "1203 Chapel St #3", "19810231", "07/04/1981", strings.Repeat("ñ", 500)} {
		f.Add(s)
	}
	nick := NewNicknames()
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		if !utf8.ValidString(folded) {
			t.Fatalf("Fold(%q) = %q, not valid UTF-8", s, folded)
		}
		if Fold(folded) != folded {
			t.Fatalf("Fold not idempotent: Fold(%q) = %q, Fold of that = %q", s, folded, Fold(folded))
		}
		SurnameTokens(s, s)
		GivenTokens(s)
		ParseStreet(s)
		parseDate(s)
		DoubleMetaphone(s)
		SpanishKey(s)
		r := Record{GivenNames: s, FirstSurname: s, DateOfBirth: s, Street: s, Line2: s, PostalCode: s, City: s}
		p := prepare(&r, nick)
		if l := comparePlain(p, p, nick).Get(GivenName); p.givenFull != "" && l != Exact {
			t.Fatalf("record compared with itself: given level %v, want exact", l)
		}
	})
}

// FuzzJaroWinklerShort checks that the one-word fast path for short ASCII
// strings gives exactly the general algorithm's similarity.
func FuzzJaroWinklerShort(f *testing.F) {
	for _, s := range [][2]string{{"martha", "marhta"}, {"dwayne", "duane"}, {"dixon", "dicksonx"},
		{"a", "b"}, {"", "x"}, {strings.Repeat("ab", 32), strings.Repeat("ba", 32)}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !isASCII(a) || !isASCII(b) || len(a) > 64 || len(b) > 64 {
			return
		}
		if got, want := jaroWinklerShort(a, b), jaroWinkler([]byte(a), []byte(b)); got != want {
			t.Errorf("jaroWinklerShort(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}

// FuzzEditDistanceShort checks that the fast path for short ASCII strings
// gives exactly the general algorithm's distance.
func FuzzEditDistanceShort(f *testing.F) {
	for _, s := range [][2]string{{"19840312", "19843012"}, {"90210", "9021"}, {"", "abc"}, {"ca", "abc"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !isASCII(a) || !isASCII(b) || len(b) >= 33 {
			return
		}
		if got, want := osaShort(a, b), osa([]byte(a), []byte(b)); got != want {
			t.Errorf("osaShort(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}

// FuzzEditWithin checks that the bounded distance the comparisons use is
// the full distance wherever it is within the bound.
func FuzzEditWithin(f *testing.F) {
	for _, s := range [][2]string{{"19840312", "19843012"}, {"19840312", "18940321"}, {"90210", "9021"},
		{"", "ab"}, {"ca", "abc"}, {"abcdef", "badcfe"}, {"wei", "wci"}} {
		f.Add(s[0], s[1], uint8(2))
	}
	f.Fuzz(func(t *testing.T, a, b string, k uint8) {
		bound := 1 + int(k%3)
		if got, want := editWithin(a, b, bound), min(EditDistance(a, b), bound+1); got != want {
			t.Errorf("editWithin(%q, %q, %d) = %d, want %d", a, b, bound, got, want)
		}
	})
}
