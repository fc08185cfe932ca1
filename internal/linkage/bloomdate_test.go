package linkage

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// encodedDate compares two birth dates as Bloom mode does.
func encodedDate(t *testing.T, e *Encoder, a, b string) Level {
	t.Helper()
	ea := e.Encode(Record{ID: "a", GivenNames: "Ana", DateOfBirth: a})
	eb := e.Encode(Record{ID: "b", GivenNames: "Ana", DateOfBirth: b})
	return compareEncodedField(&ea, &eb, BirthDate)
}

// TestEncodedDatesAsPlain: Bloom mode weighs two birth dates at the level
// plain mode does (compareDate). Dice of the dates' filters did not: three
// wrong digits of eight kept 0.75 of the filter alike, "weak", and at 100k
// (seed 1) 53 of 1,068 fathers and sons (mothers and daughters) of one name
// at one address were linked, against 12 in plain mode.
func TestEncodedDatesAsPlain(t *testing.T) {
	e := testEncoder(t)
	for _, tt := range []struct {
		a, b string
		want Level
	}{
		{"1966-01-04", "1994-06-04", Different}, // Pierre Joseph and his son, 100k seed 1
		{"1998-03-26", "1972-03-25", Different}, // Aaliyah Vinson and her mother
		{"1983-12-14", "1953-12-14", Weak},      // one keystroke in the year: a typo, or father and son
		{"1983-12-14", "1983-12-15", Strong},    // one keystroke
		{"1985-03-12", "1985-03-21", Strong},    // two digits swapped
		{"1985-03-12", "1958-03-12", Weak},      // swapped in the year, the same day of the year
		{"1985-03-12", "1958-03-21", Weak},      // two swaps
		{"1985-03-12", "1985-12-03", Strong},    // day and month swapped
		{"1985-03-12", "2015-03-12", Phonetic},  // two of year, month and day
		{"2603-03-30", "2003-03-30", Strong},    // year 2603: no date, mistyped
		{"1998-00-17", "1998-10-17", Strong},    // month 00
		{"2603-03-30", "2613-03-30", Weak},      // both impossible
		{"1983-12-14", "1983-12-14", Exact},
		{"1983-12-14", "", Missing},
	} {
		for _, ab := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got := encodedDate(t, e, ab[0], ab[1]); got != tt.want {
				t.Errorf("Bloom mode: %s and %s at %v, want %v", ab[0], ab[1], got, tt.want)
			}
			if tt.a != "" && tt.b != "" {
				if got := compareDate(parseDate(ab[0]), parseDate(ab[1])); got != tt.want {
					t.Errorf("plain mode: %s and %s at %v, want %v", ab[0], ab[1], got, tt.want)
				}
			}
		}
	}

	// Dates a clerk might type for one another — one to three digits
	// mistyped or two swapped — and dates of strangers: wherever plain
	// mode's edit distance is the count of mistyped and swapped digits
	// (it also counts a digit left out and another added, which digests
	// by place cannot), the levels agree.
	rng := rand.New(rand.NewPCG(7, 12))
	compared, differed := 0, 0
	for range 20000 {
		a := fmt.Sprintf("%04d%02d%02d", 1920+rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28))
		b := []byte(a)
		if rng.IntN(4) == 0 {
			b = fmt.Appendf(nil, "%04d%02d%02d", 1920+rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28))
		} else {
			for range 1 + rng.IntN(3) {
				i := rng.IntN(8)
				if rng.IntN(3) == 0 && i < 7 {
					b[i], b[i+1] = b[i+1], b[i]
				} else {
					b[i] = byte('0' + rng.IntN(10))
				}
			}
		}
		pa, pb := parseDate(a), parseDate(string(b))
		if pa.zero() || pb.zero() || len(pa.Digits) != len(pb.Digits) {
			continue
		}
		if editWithin(pa.Digits, pb.Digits, 2) != placeKeystrokes(pa.Digits, pb.Digits) {
			continue
		}
		compared++
		plain := compareDate(pa, pb)
		if got := encodedDate(t, e, a, string(b)); got != plain {
			differed++
			if differed <= 10 {
				t.Errorf("%s and %s: Bloom mode %v, plain %v", a, b, got, plain)
			}
		}
	}
	if compared < 15000 {
		t.Errorf("only %d of 20,000 pairs compared", compared)
	}
	if differed > 0 {
		t.Errorf("%d of %d pairs of dates weighed at another level than plain mode's", differed, compared)
	}
}

// placeKeystrokes counts mistyped and swapped digits of two dates of one
// length, at most 3, as dateKeystrokes does from digests.
func placeKeystrokes(a, b string) int {
	d := 0
	for i := 0; i < len(a) && d < 3; i++ {
		if a[i] == b[i] {
			continue
		}
		d++
		if i+1 < len(a) && a[i+1] != b[i+1] && a[i] == b[i+1] && a[i+1] == b[i] {
			i++
		}
	}
	return min(d, 3)
}

// TestEncodingsBeforeDateDigits: encodings stored before DateDigits (a
// screening index's, a snapshot's) still compare their dates, by Dice.
func TestEncodingsBeforeDateDigits(t *testing.T) {
	e := testEncoder(t)
	old := func(date string) Encoding {
		enc := e.Encode(Record{ID: "x", GivenNames: "Ana", DateOfBirth: date})
		enc.DateDigits, enc.DateImpossible = nil, false
		b, err := json.Marshal(enc)
		if err != nil {
			t.Fatal(err)
		}
		var back Encoding
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		return back
	}
	a, b := old("1983-12-14"), old("1983-12-15")
	if got := compareEncodedField(&a, &b, BirthDate); got != Strong {
		t.Errorf("one keystroke apart, encodings without digests: %v, want strong", got)
	}
	now := e.Encode(Record{ID: "y", GivenNames: "Ana", DateOfBirth: "1983-12-15"})
	if got := compareEncodedField(&a, &now, BirthDate); got != Strong {
		t.Errorf("an old encoding against a new one: %v, want strong", got)
	}
}

// TestBloomParentAndChildOfOneName: through a Bloom-mode batch in a city of
// 8,000, a father and son of one name at one address, born 28 years apart,
// are not linked; a renewal of the son's with a day mistyped is. The trace
// names the values it read, as in plain mode.
func TestBloomParentAndChildOfOneName(t *testing.T) {
	recs := []Record{
		{ID: "father", Truth: "f", GivenNames: "Pierre", FirstSurname: "Joseph", DateOfBirth: "1966-01-04", StreetNumber: "64", Street: "Hamilton Rd", PostalCode: "06515", City: "New Haven", State: "CT"},
		{ID: "son", Truth: "s", GivenNames: "Pierre", FirstSurname: "Joseph", DateOfBirth: "1994-06-04", StreetNumber: "64", Street: "Hamilton Rd", PostalCode: "06515", City: "New Haven", State: "CT"},
		{ID: "son-renewal", Truth: "s", GivenNames: "Pierre", FirstSurname: "Joseph", DateOfBirth: "1994-06-07", StreetNumber: "64", Street: "Hamilton Road", PostalCode: "06515", City: "New Haven", State: "CT"},
	}
	city, _ := generatedCity(t, 8000, 5)
	recs = append(recs, city...)
	_, traces, err := Trace(context.Background(), recs, Options{Mode: ModeBloom, Key: testKey(), Seed: 1, Workers: 2}, [][2]int{{0, 1}, {1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if p := traces[0].Final; p > 0 {
		t.Errorf("father (1966-01-04) and son (1994-06-04) of one name at one address linked at %.3f", p)
	}
	if traces[1].Final == 0 {
		t.Errorf("the son's two forms, a day mistyped, not linked (p %.3f)", traces[1].Explanation.Probability)
	}
	dob := traces[0].Explanation.Fields[BirthDate]
	if dob.Field != "date_of_birth" || dob.Left != "19660104" || dob.Right != "19940604" || dob.Level != "different" {
		t.Errorf("trace's birth date row %+v, want 19660104 and 19940604 at different", dob)
	}
	if len(traces[0].Keys) == 0 || traces[0].Keys[0].Size < 2 {
		t.Errorf("trace's shared keys %+v: want the keys named with their block sizes", traces[0].Keys)
	}
}

func testEncoder(t *testing.T) *Encoder {
	t.Helper()
	e, err := NewEncoder(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// FuzzCompareStoredEncodings: a stored match encoding read back from the
// database (JSON) may be damaged or of an older layout; comparing it with
// another never panics and gives levels a model knows, the same whichever
// side is the application when both carry date digests of one length.
func FuzzCompareStoredEncodings(f *testing.F) {
	e, err := NewEncoder(testKey())
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range [][2]string{{"1966-01-04", "1994-06-04"}, {"2603-03-30", "2003-03-30"}, {"1985-03-12", ""}} {
		a, _ := json.Marshal(e.Encode(Record{ID: "a", GivenNames: "Pierre", FirstSurname: "Joseph", DateOfBirth: d[0]}))
		b, _ := json.Marshal(e.Encode(Record{ID: "b", GivenNames: "Pierre", FirstSurname: "Joseph", DateOfBirth: d[1]}))
		f.Add(a, b)
	}
	f.Add([]byte(`{"dd":[1,2,3],"f":[],"x":[]}`), []byte(`{"dd":[1,2],"di":true}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var ea, eb Encoding
		if json.Unmarshal(a, &ea) != nil || json.Unmarshal(b, &eb) != nil {
			return
		}
		v, w := compareEncoded(&ea, &eb), compareEncoded(&eb, &ea)
		for f := Field(0); f < numFields; f++ {
			if l := v.Get(f); l > Missing {
				t.Fatalf("field %v at level %d", f, l)
			}
		}
		if len(ea.DateDigits) > 0 && len(ea.DateDigits) == len(eb.DateDigits) && v.Get(BirthDate) != w.Get(BirthDate) {
			t.Fatalf("birth date %v one way, %v the other", v.Get(BirthDate), w.Get(BirthDate))
		}
	})
}
