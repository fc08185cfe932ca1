package aamva

import (
	"strings"

	"github.com/cityid/cityid/internal/person"
)

// FromPerson fills the personal fields of a Record from intake data,
// honouring the holder's printing choices: the barcode carries only what
// the card front shows, so sex and address are left out unless the
// holder chose to print them. The caller sets the card fields (dates,
// IDNumber, DocumentDiscriminator, ProgramName) and, if recorded, eye
// colour and height.
//
// All surnames go in the family name ("García López"); the first given
// name in the first name and any others in the middle names, which is how
// AAMVA readers split them.
func FromPerson(p person.Person) Record {
	given := strings.Fields(p.GivenNames)
	rec := Record{
		FamilyName: strings.TrimSpace(strings.Join(strings.Fields(p.FirstSurname+" "+p.SecondSurname), " ")),
		BirthDate:  p.DateOfBirth,
		OrganDonor: p.OrganDonor,
		Veteran:    p.Veteran,
	}
	if len(given) > 0 {
		rec.FirstName = given[0]
		rec.MiddleNames = strings.Join(given[1:], " ")
	}
	if p.PrintSex {
		rec.Sex = p.Sex
	}
	if p.PrintAddress && !p.NoAddress {
		rec.Address = p.Address
	} else {
		// The holder lives in the program's city; keep city and state,
		// which the card shows anyway, and nothing more precise.
		rec.NoAddress = true
		rec.Address = person.Address{City: p.Address.City, State: p.Address.State}
	}
	return rec
}
