package linkage

import (
	"context"
	"testing"
)

// TestImpossibleDate: a birth date that cannot be one (month 99, year
// 2603, 30 February) was mistyped for certain, so a real date within two
// keystrokes of it is likely the one meant; between two real dates, one
// keystroke in the year is still a typo or a sister born on the same day
// years apart.
func TestImpossibleDate(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want Level
	}{
		{"2603-03-30", "2003-03-30", Strong}, // year 2603: one keystroke
		{"1067-99-09", "1967-09-09", Strong}, // two digits swapped, month 99
		{"1998-00-17", "1998-10-17", Strong}, // month 00
		{"0998-12-01", "1998-02-01", Strong}, // year 0998
		{"0000-00-00", "1998-02-01", Missing},
		{"2001-02-30", "2001-03-20", Strong}, // 30 February
		{"1983-12-14", "1953-12-14", Weak},   // two real dates: maybe father and son
		{"1983-12-14", "1973-11-14", Weak},
		{"2603-03-30", "2613-03-30", Weak},      // both impossible: as before
		{"2603-03-30", "1950-07-12", Different}, // far from it
		{"1983-12-14", "1983-12-14", Exact},
	} {
		a, b := parseDate(tt.a), parseDate(tt.b)
		if got := compareDate(a, b); got != tt.want {
			t.Errorf("compareDate(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := compareDate(b, a); got != tt.want {
			t.Errorf("compareDate(%s, %s) = %v, want %v (the other way round)", tt.b, tt.a, got, tt.want)
		}
	}

	// Through a batch, in a city of 8,000 people: a renewal of the 100k
	// city (seed 1), missed there, whose first form said 2501-00-17 and
	// dropped the second surname.
	recs := []Record{
		{ID: "a", Truth: "1", GivenNames: "Ana", FirstSurname: "Rivera", DateOfBirth: "2501-00-17", StreetNumber: "12", Street: "Orchard St", PostalCode: "06511", City: "New Haven"},
		{ID: "b", Truth: "1", GivenNames: "Ana", FirstSurname: "Rivera Torres", DateOfBirth: "2001-05-17", StreetNumber: "410", Street: "Winchester Ave", PostalCode: "06515", City: "New Haven"},
	}
	city, _ := generatedCity(t, 8000, 5)
	recs = append(recs, city...)
	_, traces, err := Trace(context.Background(), recs, Options{Seed: 1, Workers: 2}, [][2]int{{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if traces[0].Final == 0 {
		t.Errorf("Ana Rivera born 2501-00-17 and Ana Rivera Torres born 2001-05-17: not linked (p %.3f, date %s)",
			traces[0].Explanation.Probability, traces[0].Explanation.Fields[2].Level)
	}
}
