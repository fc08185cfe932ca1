// Package linkage finds records that describe the same person: probabilistic
// record linkage (Fellegi–Sunter with EM-estimated weights and term-frequency
// adjustment) over names, date of birth and address, with blocking on several
// keys, an in-memory index for screening one application against all
// residents, and a privacy-preserving mode over keyed Bloom-filter encodings
// for cities that keep no list of names. It uses no biometrics.
package linkage

import (
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// Record is one person as the linkage engine sees it: raw strings, exactly as
// given; the engine normalizes them. Truth is an optional cluster label read
// from a file for evaluation, never used for matching.
type Record struct {
	ID            string
	GivenNames    string
	FirstSurname  string
	SecondSurname string
	DateOfBirth   string // YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY or DD/MM/YYYY
	Sex           string
	StreetNumber  string // when the source keeps it apart from the street
	Street        string
	Line2         string // apartment, building or second address line
	City          string
	PostalCode    string
	State         string
	Email         string
	Phone         string
	Truth         string
}

// FromPerson maps an application's person data to a Record with the given id.
func FromPerson(id string, p person.Person) Record {
	r := Record{
		ID:            id,
		GivenNames:    p.GivenNames,
		FirstSurname:  p.FirstSurname,
		SecondSurname: p.SecondSurname,
		DateOfBirth:   p.DateOfBirth.String(),
		Sex:           string(p.Sex),
		Email:         p.Email,
		Phone:         p.Phone,
	}
	if !p.NoAddress {
		r.Street = p.Address.Line1
		r.Line2 = p.Address.Line2
		r.City = p.Address.City
		r.PostalCode = p.Address.PostalCode
		r.State = p.Address.State
	}
	return r
}

// Field is one compared attribute.
type Field uint8

// Compared fields.
const (
	GivenName Field = iota
	Surname
	BirthDate
	SexField
	StreetNumber
	StreetName
	Line2
	City
	PostalCode
	State
	Email
	Phone
	Suffix // generational suffix: Jr., Sr., II, III (taken out of the name boxes)
	numFields
)

var fieldNames = [numFields]string{"given_name", "surname", "date_of_birth", "sex", "street_number",
	"street", "line2", "city", "postal_code", "state", "email", "phone", "suffix"}

// String names the field.
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return "field" + strconv.Itoa(int(f))
}

// Level is how well one field agrees between two records.
type Level uint8

// Comparison levels, best first. A field that has no fuzzy notion (sex)
// only uses Exact, Different and Missing.
const (
	Exact     Level = iota // same after normalization
	Strong                 // a typo, a nickname, a swap, a dropped surname
	Weak                   // similar but further apart
	Phonetic               // sounds alike only
	Different              // disagrees
	Missing                // empty on either side: no evidence either way
	numLevels
)

var levelNames = [numLevels]string{"exact", "strong", "weak", "phonetic", "different", "missing"}

// String names the agreement level.
func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return "level" + strconv.Itoa(int(l))
}

// date is a parsed date of birth; Digits keeps the 8-digit form for typo
// comparisons even when the date is impossible (month 13 from a typo).
type date struct {
	Y, M, D int
	Digits  string
}

// eitherOrder is the date as "year|a|b" with a ≤ b its month and day: the
// same for a date and its day and month swapped (blocking, training keys).
func (d date) eitherOrder() string {
	return strconv.Itoa(d.Y) + "|" + strconv.Itoa(min(d.M, d.D)) + "|" + strconv.Itoa(max(d.M, d.D))
}

func (d date) zero() bool { return d.Digits == "" }

// possible reports whether d could be someone's birth date: a real day of
// a year from 1880 to 2099 (no clock here: a year just past today passes).
func (d date) possible() bool {
	if d.Y < 1880 || d.Y > 2099 || d.M < 1 || d.M > 12 || d.D < 1 {
		return false
	}
	return d.D <= time.Date(d.Y, time.Month(d.M)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseDate reads YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY and DD/MM/YYYY
// (the latter two told apart when one part is over 12; otherwise US order).
func parseDate(s string) date {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return date{}
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == ' ' })
	var y, m, d int
	switch {
	case len(parts) == 1 && len(Digits(s)) == 8 && len(s) == 8:
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:8])
	case len(parts) == 3:
		a, e1 := strconv.Atoi(parts[0])
		b, e2 := strconv.Atoi(parts[1])
		c, e3 := strconv.Atoi(parts[2])
		if e1 != nil || e2 != nil || e3 != nil {
			return date{}
		}
		switch {
		case len(parts[0]) == 4:
			y, m, d = a, b, c
		case len(parts[2]) == 4 && a > 12:
			y, m, d = c, b, a
		case len(parts[2]) == 4:
			y, m, d = c, a, b
		default:
			return date{}
		}
	default:
		return date{}
	}
	// A year written with a leading zero ("0970" for 1970, a digit
	// dropped or mistyped) is kept for typo comparison like month 13;
	// only an all-zero date is the placeholder for "unknown".
	if (y == 0 && m == 0 && d == 0) || y > 9999 || m < 0 || m > 99 || d < 0 || d > 99 {
		return date{}
	}
	year := strconv.Itoa(y)
	year = strings.Repeat("0", 4-len(year)) + year
	return date{Y: y, M: m, D: d, Digits: year + pad2(m) + pad2(d)}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// prepared is a Record normalized once for comparison and blocking.
type prepared struct {
	given     []string // loose-folded tokens
	givenFull string
	givenNoSp string // given names run together: "thikhanh"
	givenDM   string // Double Metaphone of the first given token
	givenSp   string // Spanish key of the first given token
	sur       []string
	surFull   string
	surNoSp   string // surnames run together: "garcialopez"
	surDM     []string
	surSp     []string
	foldGiven string // folded (ñ kept), for Explain and exactness
	foldSur   string
	suffix    string // "jr", "sr", "ii", "iii", "iv"
	arabic    bool   // a name is written in Arabic script
	dob       date
	sex       string
	num       string
	street    string
	streetNS  string // without spaces: "hampto n cct" = "hampton cct"
	line2     string
	city      string
	citySp    string
	post      string
	state     string
	email     string
	phone     string
}

func prepare(r *Record, nick Nicknames) *prepared {
	p := &prepared{}
	gt := GivenTokens(r.GivenNames)
	gt, p.suffix = cutSuffix(gt, p.suffix)
	p.foldGiven = strings.Join(gt, " ")
	for _, t := range gt {
		p.given = append(p.given, Loose(t))
	}
	p.givenFull = strings.Join(p.given, " ")
	p.givenNoSp = strings.Join(p.given, "")
	if len(p.given) > 0 {
		p.givenDM, _ = DoubleMetaphone(nick.Canonical(p.given[0]))
		p.givenSp = SpanishKey(p.given[0])
	}
	st := SurnameTokens(r.FirstSurname, r.SecondSurname)
	st, p.suffix = cutSuffix(st, p.suffix)
	p.foldSur = strings.Join(st, " ")
	p.arabic = hasArabic(p.foldGiven) || hasArabic(p.foldSur)
	for _, t := range st {
		l := Loose(t)
		p.sur = append(p.sur, l)
		dm, _ := DoubleMetaphone(l)
		p.surDM = append(p.surDM, dm)
		p.surSp = append(p.surSp, SpanishKey(l))
	}
	p.surFull = strings.Join(p.sur, " ")
	p.surNoSp = strings.Join(p.sur, "")
	p.dob = parseDate(r.DateOfBirth)
	p.sex = strings.ToUpper(strings.TrimSpace(r.Sex))
	if len(p.sex) > 1 {
		p.sex = p.sex[:1]
	}
	st2 := ParseStreet(r.Street)
	p.num = Digits(r.StreetNumber)
	if p.num == "" {
		p.num = Digits(st2.Number)
	}
	p.street = Loose(st2.Name)
	p.streetNS = strings.ReplaceAll(p.street, " ", "")
	l2 := Loose(Fold(r.Line2))
	if st2.Unit != "" && l2 == "" {
		l2 = Loose(st2.Unit)
	} else if u := ParseStreet(r.Line2); u.Unit != "" && u.Name == "" {
		l2 = Loose(u.Unit) // "Apt 3B" and "#3B" agree
	}
	p.line2 = l2
	p.city = Loose(Fold(r.City))
	p.citySp = SpanishKey(p.city)
	p.post = Digits(r.PostalCode)
	if p.post == "" {
		p.post = Loose(Fold(r.PostalCode))
	}
	if len(p.post) > 5 && len(p.post) == 9 {
		p.post = p.post[:5] // ZIP+4: the first five digits identify the area
	}
	p.state = Loose(Fold(r.State))
	p.email = strings.ToLower(strings.TrimSpace(r.Email))
	p.phone = Digits(r.Phone)
	if len(p.phone) == 11 && p.phone[0] == '1' {
		p.phone = p.phone[1:]
	}
	return p
}

// display returns the normalized value of field f, for explanations.
func (p *prepared) display(f Field) string {
	switch f {
	case GivenName:
		return p.foldGiven
	case Surname:
		return p.foldSur
	case BirthDate:
		return p.dob.Digits
	case SexField:
		return p.sex
	case StreetNumber:
		return p.num
	case StreetName:
		return p.street
	case Line2:
		return p.line2
	case City:
		return p.city
	case PostalCode:
		return p.post
	case State:
		return p.state
	case Email:
		return p.email
	case Phone:
		return p.phone
	case Suffix:
		return p.suffix
	}
	return ""
}

// suffixes are generational suffixes written after a name, mapped to one
// spelling. "Junior" alone is a given name (common in Haitian families),
// so it counts only after another name.
var suffixes = map[string]string{"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "ii": "ii", "iii": "iii", "iv": "iv", "2nd": "ii", "3rd": "iii"}

// cutSuffix removes a trailing generational suffix from name tokens and
// returns it (or the suffix found before, if none).
func cutSuffix(toks []string, found string) ([]string, string) {
	if n := len(toks); n >= 2 {
		if s, ok := suffixes[toks[n-1]]; ok {
			return toks[:n-1], s
		}
	}
	return toks, found
}
