package enroll

import (
	"encoding/json"
	"testing"

	"github.com/cityid/cityid/internal/person"
	"github.com/google/go-cmp/cmp"
)

// TestStoredFormat: the sealed JSON of a pre-application's person and of an
// application's address column is byte for byte what earlier releases
// wrote (the strings below were made with the code before enroll owned its
// storage format, when person.Person's JSON tags were it), and reads back
// to the same person. Rows sealed then must open now.
func TestStoredFormat(t *testing.T) {
	full := person.Person{GivenNames: "María José", FirstSurname: "N'Diaye", SecondSurname: "Quispe",
		DateOfBirth: person.Date{Year: 1988, Month: 5, Day: 7}, Sex: person.SexX,
		Address:  person.Address{CareOf: "Shelter", Line1: "1 Main St", Line2: "Apt 2", City: "New Haven", State: "CT", PostalCode: "06510"},
		Language: "es", Phone: "203-555-0100", Email: "a@example.org", EmergencyContact: "Ana 203-555-0101",
		Veteran: true, OrganDonor: true, PrintSex: true, PrintAddress: true}
	bare := person.Person{GivenNames: "Ana", FirstSurname: "B", NoAddress: true, Language: "en"}
	for _, tc := range []struct {
		name string
		in   sealedPreapp
		want string
	}{
		{"every field", sealedPreapp{Person: storePerson(full), RemindBy: "sms", Code: "ABCD-EFGH"},
			`{"person":{"given_names":"María José","first_surname":"N'Diaye","second_surname":"Quispe","date_of_birth":"1988-05-07","sex":"X","address":{"care_of":"Shelter","line1":"1 Main St","line2":"Apt 2","city":"New Haven","state":"CT","postal_code":"06510"},"language":"es","phone":"203-555-0100","email":"a@example.org","emergency_contact":"Ana 203-555-0101","veteran":true,"organ_donor":true,"print_sex":true,"print_address":true},"remind_by":"sms","code":"ABCD-EFGH"}`},
		{"no address, no date", sealedPreapp{Person: storePerson(bare), Code: "X"},
			`{"person":{"given_names":"Ana","first_surname":"B","date_of_birth":"","no_address":true,"address":{},"language":"en"},"code":"X"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("sealed pre-application person =\n%s\nwant\n%s", b, tc.want)
			}
			var back sealedPreapp
			if err := json.Unmarshal([]byte(tc.want), &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.in.Person.person(), back.Person.person()); diff != "" {
				t.Errorf("read back (-wrote +read):\n%s", diff)
			}
		})
	}
	t.Run("address column", func(t *testing.T) {
		const want = `{"print_address":true,"address":{"care_of":"Shelter","line1":"1 Main St","line2":"Apt 2","city":"New Haven","state":"CT","postal_code":"06510"}}`
		b, err := json.Marshal(addressData{PrintAddress: true, Address: storedAddress(full.Address)})
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("sealed address =\n%s\nwant\n%s", b, want)
		}
	})
}
