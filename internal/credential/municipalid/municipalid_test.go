package municipalid_test

import (
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/person"
)

func TestClaimsAges(t *testing.T) {
	today := person.Date{Year: 2026, Month: 12, Day: 4}
	tests := []struct {
		dob          person.Date
		over18, ov21 bool
	}{
		{person.Date{Year: 2008, Month: 12, Day: 5}, false, false}, // 18 tomorrow
		{person.Date{Year: 2008, Month: 12, Day: 4}, true, false},  // 18 today
		{person.Date{Year: 2005, Month: 12, Day: 4}, true, true},   // 21 today
		{person.Date{Year: 2005, Month: 12, Day: 5}, true, false},
	}
	for _, tt := range tests {
		got := map[string]any{}
		for _, m := range municipalid.Claims(municipalid.Holder{Person: person.Person{GivenNames: "A", DateOfBirth: tt.dob, NoAddress: true},
			City: "New Haven", CardExpires: person.Date{Year: 2031, Month: 12, Day: 4}, Today: today}) {
			if !m.Disclose {
				t.Errorf("claim %s is not disclosable", m.Name)
			}
			got[m.Name] = m.Value
		}
		if got[municipalid.AgeOver18] != tt.over18 || got[municipalid.AgeOver21] != tt.ov21 {
			t.Errorf("born %s on %s: over 18 %v, over 21 %v; want %v, %v", tt.dob, today, got[municipalid.AgeOver18], got[municipalid.AgeOver21], tt.over18, tt.ov21)
		}
		if _, ok := got[municipalid.Address]; ok {
			t.Errorf("a holder with no address has an address claim")
		}
		if got[municipalid.ResidentOf] != "New Haven" || got[municipalid.CardValidUntil] != "2031-12-04" {
			t.Errorf("claims = %v", got)
		}
	}
}

func TestWindowRoundsToMonths(t *testing.T) {
	iat, exp := municipalid.Window(time.Date(2026, 12, 4, 23, 59, 0, 0, time.UTC), person.Date{Year: 2031, Month: 7, Day: 14})
	if !iat.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !exp.Equal(time.Date(2031, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Window = %s, %s; want 2026-12-01, 2031-07-01", iat, exp)
	}
}
