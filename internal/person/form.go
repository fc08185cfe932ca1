package person

import (
	"fmt"
	"strconv"
	"strings"
)

// Form is a person as the three surfaces exchange it: the staff intake
// form, the resident site's pre-application form and the API's JSON. Every
// surface fills a Form from its input (Read for form posts, JSON decoding
// for the API), turns it into a Person with Form.Person, and hands that to
// enroll, which normalizes and validates it once. The way back (a stored
// person shown on a form or returned by the API) is FormOf.
//
// The JSON tags are the API's wire format and nothing else: how a person is
// sealed at rest belongs to enroll.
type Form struct {
	GivenNames    string `json:"given_names"`
	FirstSurname  string `json:"first_surname"`
	SecondSurname string `json:"second_surname,omitempty"`
	// DateOfBirth is YYYY-MM-DD as typed; Person reports one that does not parse.
	DateOfBirth      string      `json:"date_of_birth"`
	Sex              string      `json:"sex,omitempty"`
	PrintSex         bool        `json:"print_sex,omitempty"`
	NoAddress        bool        `json:"no_address,omitempty"`
	PrintAddress     bool        `json:"print_address,omitempty"`
	Address          AddressForm `json:"address"`
	Language         string      `json:"language"`
	Phone            string      `json:"phone,omitempty"`
	Email            string      `json:"email,omitempty"`
	EmergencyContact string      `json:"emergency_contact,omitempty"`
	Veteran          bool        `json:"veteran,omitempty"`
	OrganDonor       bool        `json:"organ_donor,omitempty"`
}

// AddressForm is an address as the API exchanges it (the staff and
// resident forms name its fields address_…).
type AddressForm struct {
	CareOf     string `json:"care_of,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

// formField is one named field of a Form: text or a flag.
type formField struct {
	name string
	text *string
	flag *bool
	// desk marks what is chosen only at the desk, with a clerk: the
	// printed extras and the choices to print sex and address.
	desk bool
}

// fields is the one table of a Form's field names, shared by the staff and
// resident forms (flat names: the address fields are address_…).
func (f *Form) fields() []formField {
	return []formField{
		{name: "given_names", text: &f.GivenNames},
		{name: "first_surname", text: &f.FirstSurname},
		{name: "second_surname", text: &f.SecondSurname},
		{name: "date_of_birth", text: &f.DateOfBirth},
		{name: "sex", text: &f.Sex},
		{name: "print_sex", desk: true, flag: &f.PrintSex},
		{name: "no_address", flag: &f.NoAddress},
		{name: "print_address", desk: true, flag: &f.PrintAddress},
		{name: "address_care_of", text: &f.Address.CareOf},
		{name: "address_line1", text: &f.Address.Line1},
		{name: "address_line2", text: &f.Address.Line2},
		{name: "address_city", text: &f.Address.City},
		{name: "address_state", text: &f.Address.State},
		{name: "address_postal_code", text: &f.Address.PostalCode},
		{name: "language", text: &f.Language},
		{name: "phone", text: &f.Phone},
		{name: "email", text: &f.Email},
		{name: "emergency_contact", desk: true, text: &f.EmergencyContact},
		{name: "veteran", desk: true, flag: &f.Veteran},
		{name: "organ_donor", desk: true, flag: &f.OrganDonor},
	}
}

// Read fills f from a form post: get returns the value posted under a
// field name ("" when absent); a flag is set when its value is "1".
func (f *Form) Read(get func(name string) string) {
	f.read(get, true)
}

func (f *Form) read(get func(name string) string, all bool) {
	for _, fl := range f.fields() {
		if !all && (fl.desk || fl.name == "date_of_birth") {
			continue
		}
		if fl.text != nil {
			*fl.text = get(fl.name)
		} else {
			*fl.flag = get(fl.name) == "1"
		}
	}
}

// Write calls set for every field of f that holds something, with its form
// name and value ("1" for a flag): the way back into a form.
func (f Form) Write(set func(name, value string)) {
	for _, fl := range f.fields() {
		switch {
		case fl.text != nil && *fl.text != "":
			set(fl.name, *fl.text)
		case fl.flag != nil && *fl.flag:
			set(fl.name, "1")
		}
	}
}

// ReadPublic fills f from the resident site's pre-application form. That
// form asks only what residents state about themselves: not the choices
// made at the desk with a clerk (printed extras, printing sex or address),
// so a post that sends them is not believed, and not the date of birth,
// which it takes as three fields (day, month, year) and the caller sets.
func (f *Form) ReadPublic(get func(name string) string) {
	f.read(get, false)
}

// Person turns the form into a Person. A date of birth that does not parse
// is the one error found here (field date_of_birth, key error.date); every
// other rule is Person.Validate's, applied by enroll.
func (f Form) Person() (Person, Errors) {
	var errs Errors
	dob := errs.Date("date_of_birth", f.DateOfBirth)
	return Person{
		GivenNames: f.GivenNames, FirstSurname: f.FirstSurname, SecondSurname: f.SecondSurname,
		DateOfBirth: dob, Sex: Sex(f.Sex), PrintSex: f.PrintSex,
		NoAddress: f.NoAddress, PrintAddress: f.PrintAddress, Address: Address(f.Address),
		Language: f.Language, Phone: f.Phone, Email: f.Email,
		EmergencyContact: f.EmergencyContact, Veteran: f.Veteran, OrganDonor: f.OrganDonor,
	}, errs
}

// FormOf is the way back: p as a form shows it and the API returns it.
func FormOf(p Person) Form {
	return Form{
		GivenNames: p.GivenNames, FirstSurname: p.FirstSurname, SecondSurname: p.SecondSurname,
		DateOfBirth: p.DateOfBirth.String(), Sex: string(p.Sex), PrintSex: p.PrintSex,
		NoAddress: p.NoAddress, PrintAddress: p.PrintAddress, Address: AddressForm(p.Address),
		Language: p.Language, Phone: p.Phone, Email: p.Email,
		EmergencyContact: p.EmergencyContact, Veteran: p.Veteran, OrganDonor: p.OrganDonor,
	}
}

// Date parses v, a date typed as YYYY-MM-DD, for the form field named
// field: empty is the zero Date; a date that does not parse is added to e
// (key error.date) and is the zero Date.
func (e *Errors) Date(field, v string) Date {
	if strings.TrimSpace(v) == "" {
		return Date{}
	}
	d, err := ParseDate(v)
	if err != nil {
		*e = append(*e, FieldError{Field: field, Key: "error.date"})
	}
	return d
}

// DateFromParts reads a date typed as three fields (day, month, year), the
// pattern that works with every phone keyboard and screen reader and, unlike
// a browser's date picker, shows the page's language rather than the
// phone's. It returns a message key: error.required when all three are
// empty, error.date_parts when they do not make a real date, "" otherwise.
func DateFromParts(day, month, year string) (Date, string) {
	ds, ms, ys := strings.TrimSpace(day), strings.TrimSpace(month), strings.TrimSpace(year)
	if ds == "" && ms == "" && ys == "" {
		return Date{}, "error.required"
	}
	d, err1 := strconv.Atoi(ds)
	m, err2 := strconv.Atoi(ms)
	y, err3 := strconv.Atoi(ys)
	if err1 != nil || err2 != nil || err3 != nil || len(ys) != 4 || y < 1850 || m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, "error.date_parts"
	}
	date, err := ParseDate(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
	if err != nil {
		return Date{}, "error.date_parts"
	}
	return date, ""
}
