// Package person holds the personal data a resident gives at intake, its
// validation and normalization. It deliberately has no field for immigration
// status, citizenship, nationality, country of birth, SSN or document numbers.
package person

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Date is a calendar date with no time zone (a date of birth, a document expiry).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses YYYY-MM-DD and rejects impossible dates such as 2001-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// String formats d as YYYY-MM-DD (empty when unset).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// AddYears returns d plus n years; 29 February becomes 28 February in common years.
func (d Date) AddYears(n int) Date {
	y := d.Year + n
	if d.Month == time.February && d.Day == 29 && !isLeap(y) {
		return Date{y, time.February, 28}
	}
	return Date{y, d.Month, d.Day}
}

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// AgeOn returns the age in whole years on day on.
func (d Date) AgeOn(on Date) int {
	age := on.Year - d.Year
	if on.Month < d.Month || (on.Month == d.Month && on.Day < d.Day) {
		age--
	}
	return age
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Sex is self-designated; no proof is asked. Empty means "not shown".
type Sex string

// Sex values.
const (
	SexNotShown Sex = ""
	SexFemale   Sex = "F"
	SexMale     Sex = "M"
	SexX        Sex = "X"
)

// Valid reports whether s is one of the defined values.
func (s Sex) Valid() bool {
	switch s {
	case SexNotShown, SexFemale, SexMale, SexX:
		return true
	}
	return false
}

// Address is a street address or a care-of address (shelter, organization).
// Like Person, it has no wire or storage format of its own.
type Address struct {
	CareOf     string
	Line1      string
	Line2      string
	City       string
	State      string
	PostalCode string
}

// IsZero reports whether no address was given.
func (a Address) IsZero() bool { return a == Address{} }

// Person is what a resident tells the clerk. Every field here is personal data
// and is sealed at rest by the vault. It has no wire or storage format of its
// own: the surfaces exchange it as a Form, and enroll owns how it is sealed.
type Person struct {
	GivenNames    string
	FirstSurname  string
	SecondSurname string
	DateOfBirth   Date
	Sex           Sex
	// NoAddress is set when the resident gives no address at all (e.g. a
	// domestic-violence survivor) and will collect the card in person.
	NoAddress bool
	Address   Address
	Language  string
	Phone     string
	Email     string
	// Printed extras, only if the holder chooses.
	EmergencyContact string
	Veteran          bool
	OrganDonor       bool
	// PrintSex and PrintAddress record the holder's choice to show them on the card.
	PrintSex     bool
	PrintAddress bool
}

// FullName joins given names and surnames as printed.
func (p Person) FullName() string {
	parts := []string{p.GivenNames, p.FirstSurname, p.SecondSurname}
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// Surnames joins the first and second surname.
func (p Person) Surnames() string {
	return strings.TrimSpace(strings.TrimSpace(p.FirstSurname) + " " + strings.TrimSpace(p.SecondSurname))
}

// FieldError says which field is wrong, as a message key for translation.
type FieldError struct {
	Field string // form field name, e.g. "date_of_birth"
	Key   string // message key, e.g. "error.required"
	// N fills the message's {n} placeholder, e.g. the days of a
	// "dated within {n} days" rule; 0 when the message has none.
	N int
}

// Errors is a list of field errors; it is an error when not empty.
type Errors []FieldError

// Error joins the field errors' fields and keys.
func (e Errors) Error() string {
	var b strings.Builder
	for i, fe := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Field + ": " + fe.Key)
	}
	return b.String()
}

// For returns the message key for field, or "".
func (e Errors) For(field string) string {
	for _, fe := range e {
		if fe.Field == field {
			return fe.Key
		}
	}
	return ""
}

// Limits on free text; generous for real names, small enough to fit a card.
const (
	maxName  = 80
	maxLine  = 120
	maxShort = 40
)

// Normalize trims spaces and collapses runs of whitespace in every text field.
func (p Person) Normalize() Person {
	c := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	p.GivenNames, p.FirstSurname, p.SecondSurname = c(p.GivenNames), c(p.FirstSurname), c(p.SecondSurname)
	p.Address.CareOf, p.Address.Line1, p.Address.Line2 = c(p.Address.CareOf), c(p.Address.Line1), c(p.Address.Line2)
	p.Address.City, p.Address.State = c(p.Address.City), strings.ToUpper(c(p.Address.State))
	p.Address.PostalCode = c(p.Address.PostalCode)
	p.Phone, p.Email, p.EmergencyContact = c(p.Phone), c(p.Email), c(p.EmergencyContact)
	p.Language = strings.ToLower(c(p.Language))
	return p
}

// Validate checks p as of today and returns field errors with message keys.
// languages lists the language codes the program offers.
func (p Person) Validate(today Date, languages []string) Errors {
	var errs Errors
	add := func(field, key string) { errs = append(errs, FieldError{Field: field, Key: key}) }
	name := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			add(field, "error.required")
		case utf8.RuneCountInString(v) > maxName:
			add(field, "error.too_long")
		case v != "" && !plausibleName(v):
			add(field, "error.name_chars")
		}
	}
	name("given_names", p.GivenNames, true)
	name("first_surname", p.FirstSurname, true)
	name("second_surname", p.SecondSurname, false)
	switch {
	case p.DateOfBirth.IsZero():
		add("date_of_birth", "error.required")
	case !p.DateOfBirth.Before(today) && p.DateOfBirth != today:
		add("date_of_birth", "error.dob_future")
	case p.DateOfBirth.AgeOn(today) > 125:
		add("date_of_birth", "error.dob_too_old")
	}
	if !p.Sex.Valid() {
		add("sex", "error.invalid_choice")
	}
	if p.PrintSex && p.Sex == SexNotShown {
		add("sex", "error.print_sex_without_sex")
	}
	if p.NoAddress {
		if !p.Address.IsZero() {
			add("address", "error.no_address_but_given")
		}
		if p.PrintAddress {
			add("address", "error.print_address_without_address")
		}
	} else {
		if p.Address.Line1 == "" {
			add("address_line1", "error.required")
		}
		if p.Address.City == "" {
			add("address_city", "error.required")
		}
		if p.Address.PostalCode == "" {
			add("address_postal_code", "error.required")
		}
	}
	for field, v := range map[string]string{
		"address_care_of": p.Address.CareOf, "address_line1": p.Address.Line1,
		"address_line2": p.Address.Line2, "address_city": p.Address.City,
		"emergency_contact": p.EmergencyContact,
	} {
		if utf8.RuneCountInString(v) > maxLine {
			add(field, "error.too_long")
		}
	}
	if utf8.RuneCountInString(p.Address.State) > maxShort {
		add("address_state", "error.too_long")
	}
	if pc := p.Address.PostalCode; pc != "" && !plausiblePostal(pc) {
		add("address_postal_code", "error.postal_code")
	}
	if !contains(languages, p.Language) {
		add("language", "error.invalid_choice")
	}
	if p.Phone != "" && !plausiblePhone(p.Phone) {
		add("phone", "error.phone")
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
			add("email", "error.email")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// plausibleName accepts letters of any script, marks, spaces, hyphens,
// apostrophes and periods: names like "N'Diaye", "María-José", "Nguyễn", "عبد الله".
func plausibleName(s string) bool {
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
		case r == ' ', r == '-', r == '\'', r == '’', r == '.':
		default:
			return false
		}
	}
	return letters > 0
}

func plausiblePostal(s string) bool {
	if len(s) > 12 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z') && !(r >= 'a' && r <= 'z') && r != '-' && r != ' ' {
			return false
		}
	}
	return true
}

func plausiblePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() .", r):
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}
