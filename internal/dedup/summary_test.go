package dedup_test

import (
	"slices"
	"testing"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// TestExplainSummary: the words the review page shows name the fields that
// decided a score and why they weigh as they do.
func TestExplainSummary(t *testing.T) {
	base := person.Person{GivenNames: "Fatima", FirstSurname: "Hamdan", DateOfBirth: person.Date{Year: 1990, Month: 5, Day: 2},
		Sex: person.SexFemale, Address: person.Address{Line1: "14 Grand Avenue", Line2: "Apt 2", City: "New Haven", State: "CT", PostalCode: "06513"}}
	moved := base
	moved.Address = person.Address{Line1: "300 Whalley Avenue", City: "New Haven", State: "CT", PostalCode: "06511"}
	twin := base
	twin.GivenNames, twin.Sex = "Ali", person.SexMale
	nick := base
	nick.GivenNames = "Fátima"
	nick.SecondSurname = "Nasser"
	for _, tc := range []struct {
		name              string
		p                 person.Person
		same, different   []string
		reasons, noReason []string
	}{
		{"moved", moved, []string{"given_name", "surname", "date_of_birth"}, []string{"address"}, []string{enroll.ReasonMoved}, []string{enroll.ReasonHousehold}},
		{"twin at one address", twin, []string{"surname", "date_of_birth", "address"}, []string{"given_name"}, []string{enroll.ReasonGivenDiffers, enroll.ReasonHousehold}, []string{enroll.ReasonMoved}},
		{"accent and a second surname", nick, []string{"date_of_birth", "address"}, nil, nil, []string{enroll.ReasonMoved, enroll.ReasonGivenDiffers}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := dedup.New(config.Linkage{}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			sc.Add("a", base, 0)
			ex, err := sc.Explain("a", tc.p)
			if err != nil {
				t.Fatal(err)
			}
			s := ex.Summary
			for _, f := range tc.same {
				if !slices.Contains(s.Same, f) {
					t.Errorf("Summary.Same = %v, want %s in it", s.Same, f)
				}
			}
			for _, f := range tc.different {
				if !slices.Contains(s.Different, f) {
					t.Errorf("Summary.Different = %v, want %s in it", s.Different, f)
				}
			}
			for _, r := range tc.reasons {
				if !slices.Contains(s.Reasons, r) {
					t.Errorf("Summary.Reasons = %v, want %s", s.Reasons, r)
				}
			}
			for _, r := range tc.noReason {
				if slices.Contains(s.Reasons, r) {
					t.Errorf("Summary.Reasons = %v, want no %s", s.Reasons, r)
				}
			}
		})
	}
}
