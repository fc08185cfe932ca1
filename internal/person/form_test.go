package person

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFormRoundTrip: a person written into a form post and read back is the
// same person, for the staff form (every field) and the resident form
// (what a resident states about themselves).
func TestFormRoundTrip(t *testing.T) {
	p := Person{GivenNames: "Ana", FirstSurname: "García", SecondSurname: "Quispe",
		DateOfBirth: Date{1990, 2, 28}, Sex: SexFemale, PrintSex: true, PrintAddress: true,
		Address:  Address{CareOf: "Shelter", Line1: "1 Main", Line2: "2", City: "New Haven", State: "CT", PostalCode: "06510"},
		Language: "es", Phone: "203-555-0100", Email: "a@example.org", EmergencyContact: "Eva", Veteran: true, OrganDonor: true}
	v := url.Values{}
	FormOf(p).Write(v.Set)
	var f Form
	f.Read(v.Get)
	got, errs := f.Person()
	if errs != nil {
		t.Fatalf("Person() errors = %v", errs)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("staff form round trip (-want +got):\n%s", diff)
	}

	var pub Form
	pub.ReadPublic(v.Get)
	got, _ = pub.Person()
	want := p
	want.DateOfBirth = Date{}
	want.PrintSex, want.PrintAddress, want.EmergencyContact, want.Veteran, want.OrganDonor = false, false, "", false, false
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resident form keeps desk choices or the date (-want +got):\n%s", diff)
	}
}

// TestFormPerson: the date is the one thing Form.Person checks.
func TestFormPerson(t *testing.T) {
	for _, tc := range []struct {
		dob     string
		want    Date
		wantErr string
	}{
		{"", Date{}, ""},
		{"  ", Date{}, ""},
		{"1990-01-02", Date{1990, 1, 2}, ""},
		{" 1990-01-02 ", Date{1990, 1, 2}, ""},
		{"2001-02-30", Date{}, "error.date"},
		{"02/01/1990", Date{}, "error.date"},
	} {
		p, errs := Form{DateOfBirth: tc.dob}.Person()
		if p.DateOfBirth != tc.want || errs.For("date_of_birth") != tc.wantErr {
			t.Errorf("Form{DateOfBirth: %q}.Person() = %v, %v; want %v, %q", tc.dob, p.DateOfBirth, errs, tc.want, tc.wantErr)
		}
	}
}
