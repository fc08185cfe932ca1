package enroll

import (
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/vault"
)

// The sealed JSON shapes of the grouped columns. Their names are a storage
// format: rows sealed by every earlier release are read back with them, so
// they change only with a migration. They are enroll's alone; the API's
// JSON is person.Form's.
type addressData struct {
	NoAddress    bool          `json:"no_address,omitempty"`
	PrintAddress bool          `json:"print_address,omitempty"`
	Address      storedAddress `json:"address"`
}

// storedAddress is an address as sealed, in an application's address
// column and in a pre-application's person column.
type storedAddress struct {
	CareOf     string `json:"care_of,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

// storedPerson is a person as sealed in one piece (a pre-application's
// person column); an application seals the same fields column by column
// (seal, unseal).
type storedPerson struct {
	GivenNames       string        `json:"given_names"`
	FirstSurname     string        `json:"first_surname"`
	SecondSurname    string        `json:"second_surname,omitempty"`
	DateOfBirth      person.Date   `json:"date_of_birth"`
	Sex              person.Sex    `json:"sex,omitempty"`
	NoAddress        bool          `json:"no_address,omitempty"`
	Address          storedAddress `json:"address"`
	Language         string        `json:"language"`
	Phone            string        `json:"phone,omitempty"`
	Email            string        `json:"email,omitempty"`
	EmergencyContact string        `json:"emergency_contact,omitempty"`
	Veteran          bool          `json:"veteran,omitempty"`
	OrganDonor       bool          `json:"organ_donor,omitempty"`
	PrintSex         bool          `json:"print_sex,omitempty"`
	PrintAddress     bool          `json:"print_address,omitempty"`
}

func storePerson(p person.Person) storedPerson {
	return storedPerson{
		GivenNames: p.GivenNames, FirstSurname: p.FirstSurname, SecondSurname: p.SecondSurname,
		DateOfBirth: p.DateOfBirth, Sex: p.Sex, NoAddress: p.NoAddress, Address: storedAddress(p.Address),
		Language: p.Language, Phone: p.Phone, Email: p.Email, EmergencyContact: p.EmergencyContact,
		Veteran: p.Veteran, OrganDonor: p.OrganDonor, PrintSex: p.PrintSex, PrintAddress: p.PrintAddress,
	}
}

func (sp storedPerson) person() person.Person {
	return person.Person{
		GivenNames: sp.GivenNames, FirstSurname: sp.FirstSurname, SecondSurname: sp.SecondSurname,
		DateOfBirth: sp.DateOfBirth, Sex: sp.Sex, NoAddress: sp.NoAddress, Address: person.Address(sp.Address),
		Language: sp.Language, Phone: sp.Phone, Email: sp.Email, EmergencyContact: sp.EmergencyContact,
		Veteran: sp.Veteran, OrganDonor: sp.OrganDonor, PrintSex: sp.PrintSex, PrintAddress: sp.PrintAddress,
	}
}

type contactData struct {
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

type extrasData struct {
	EmergencyContact string `json:"emergency_contact,omitempty"`
	Veteran          bool   `json:"veteran,omitempty"`
	OrganDonor       bool   `json:"organ_donor,omitempty"`
	PrintSex         bool   `json:"print_sex,omitempty"`
}

type documentsData struct {
	Docs      []evidence.Shown `json:"docs"`
	Caretaker bool             `json:"caretaker,omitempty"`
}

type notes struct {
	WaiverNote   string `json:"waiver_note,omitempty"`
	DecisionNote string `json:"decision_note,omitempty"`
}

func binding(column, row string) vault.Binding {
	return vault.Binding{Table: "applications", Column: column, Row: row}
}

func sealJSON(dk vault.DataKey, column, row string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", column, err)
	}
	return dk.Seal(binding(column, row), b)
}

// seal encrypts every personal field of an application under its person's key,
// each bound to its own column and row.
func seal(dk vault.DataKey, row string, p person.Person, docs []evidence.Shown, caretaker bool, photoJPEG []byte, n notes) (Sealed, error) {
	var s Sealed
	var err error
	str := func(column, v string) []byte {
		if err != nil {
			return nil
		}
		var out []byte
		out, err = dk.Seal(binding(column, row), []byte(v))
		return out
	}
	js := func(column string, v any) []byte {
		if err != nil {
			return nil
		}
		var out []byte
		out, err = sealJSON(dk, column, row, v)
		return out
	}
	s.GivenNames = str("given_names", p.GivenNames)
	s.FirstSurname = str("first_surname", p.FirstSurname)
	s.SecondSurname = str("second_surname", p.SecondSurname)
	s.DateOfBirth = str("date_of_birth", p.DateOfBirth.String())
	s.Sex = str("sex", string(p.Sex))
	s.Address = js("address", addressData{p.NoAddress, p.PrintAddress, storedAddress(p.Address)})
	s.Contact = js("contact", contactData{p.Phone, p.Email})
	s.Extras = js("extras", extrasData{p.EmergencyContact, p.Veteran, p.OrganDonor, p.PrintSex})
	if docs == nil {
		docs = []evidence.Shown{}
	}
	s.Documents = js("documents", documentsData{docs, caretaker})
	s.Notes = js("notes", n)
	if len(photoJPEG) > 0 && err == nil {
		s.Photo, err = dk.Seal(binding("photo", row), photoJPEG)
	}
	if err != nil {
		return Sealed{}, err
	}
	return s, nil
}

type unsealed struct {
	person    person.Person
	documents documentsData
	photo     []byte
	notes     notes
}

func unseal(dk vault.DataKey, row Record) (unsealed, error) {
	var u unsealed
	var err error
	str := func(column string, sealed []byte) string {
		if err != nil || sealed == nil {
			return ""
		}
		var b []byte
		b, err = dk.Open(binding(column, row.ID), sealed)
		if err != nil {
			err = fmt.Errorf("open %s: %w", column, err)
		}
		return string(b)
	}
	js := func(column string, sealed []byte, v any) {
		if err != nil || sealed == nil {
			return
		}
		var b []byte
		if b, err = dk.Open(binding(column, row.ID), sealed); err != nil {
			err = fmt.Errorf("open %s: %w", column, err)
			return
		}
		if e := json.Unmarshal(b, v); e != nil {
			err = fmt.Errorf("decode %s: %w", column, e)
		}
	}
	p := &u.person
	p.GivenNames = str("given_names", row.Sealed.GivenNames)
	p.FirstSurname = str("first_surname", row.Sealed.FirstSurname)
	p.SecondSurname = str("second_surname", row.Sealed.SecondSurname)
	if dob := str("date_of_birth", row.Sealed.DateOfBirth); dob != "" && err == nil {
		p.DateOfBirth, err = person.ParseDate(dob)
	}
	p.Sex = person.Sex(str("sex", row.Sealed.Sex))
	var ad addressData
	js("address", row.Sealed.Address, &ad)
	p.NoAddress, p.PrintAddress, p.Address = ad.NoAddress, ad.PrintAddress, person.Address(ad.Address)
	var cd contactData
	js("contact", row.Sealed.Contact, &cd)
	p.Phone, p.Email = cd.Phone, cd.Email
	var ex extrasData
	js("extras", row.Sealed.Extras, &ex)
	p.EmergencyContact, p.Veteran, p.OrganDonor, p.PrintSex = ex.EmergencyContact, ex.Veteran, ex.OrganDonor, ex.PrintSex
	p.Language = row.Language
	js("documents", row.Sealed.Documents, &u.documents)
	js("notes", row.Sealed.Notes, &u.notes)
	if row.Sealed.Photo != nil && err == nil {
		u.photo, err = dk.Open(binding("photo", row.ID), row.Sealed.Photo)
	}
	return u, err
}

// OpenPerson decrypts the person data of an application row with its
// person's data key. It is for system tasks that need the layout enroll
// writes (the "no list" match encoding computed just before erasure); staff
// reads go through Service.Get, which checks access and audits.
func OpenPerson(dk vault.DataKey, row Record) (person.Person, error) {
	u, err := unseal(dk, row)
	return u.person, err
}
