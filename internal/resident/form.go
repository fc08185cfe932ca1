package resident

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
)

// Limits on what a public form may send; anything longer is an error, not
// a truncation, so nothing the resident typed is silently lost.
const (
	maxField  = 200
	maxDocs   = 20
	maxValues = 60
)

// parseDate reads a date typed as three fields (day, month, year):
// person.DateFromParts, with the fields named prefix_day, _month, _year.
func parseDate(f url.Values, prefix string) (person.Date, string) {
	return person.DateFromParts(f.Get(prefix+"_day"), f.Get(prefix+"_month"), f.Get(prefix+"_year"))
}

// tooBig reports a form that no honest page sends: too many fields or values.
func tooBig(f url.Values) bool {
	n := 0
	for _, vs := range f {
		n += len(vs)
		for _, v := range vs {
			if len(v) > 4*maxField {
				return true
			}
		}
	}
	return n > maxValues+maxDocs
}

// ApplyForm is a parsed pre-application form.
type ApplyForm struct {
	Person    person.Person
	Documents []evidence.Shown
	RemindBy  string // "", "sms", "email"
}

// ParseApply reads the pre-application form. It returns field errors as
// message keys; the caller validates the person against program rules.
func ParseApply(f url.Values, s config.Settings, lang string) (ApplyForm, person.Errors) {
	var errs person.Errors
	add := func(field, key string) { errs = append(errs, person.FieldError{Field: field, Key: key}) }
	if tooBig(f) {
		add("form", "resident.error.too_big")
		return ApplyForm{}, errs
	}
	get := func(field string) string {
		v := f.Get(field)
		if utf8.RuneCountInString(v) > maxField || !utf8.ValidString(v) {
			add(field, "error.too_long")
			return ""
		}
		return v
	}
	var out ApplyForm
	var pf person.Form
	pf.ReadPublic(get)
	p, _ := pf.Person()
	if p.Language == "" {
		p.Language = lang
	}
	dob, key := parseDate(f, "dob")
	if key != "" {
		add("dob", key)
	}
	p.DateOfBirth = dob
	types := f["doc"]
	if len(types) > maxDocs {
		add("doc", "error.too_many")
		types = nil
	}
	seen := map[string]bool{}
	for _, t := range types {
		if _, ok := s.Document(t); !ok {
			add("doc", "error.invalid_choice")
			continue
		}
		if !seen[t] {
			seen[t] = true
			out.Documents = append(out.Documents, evidence.Shown{Type: t})
		}
	}
	switch r := f.Get("remind"); r {
	case "", "none":
	case "sms", "email":
		out.RemindBy = r
	default:
		add("remind", "error.invalid_choice")
	}
	out.Person = p.Normalize()
	if out.RemindBy == "sms" && out.Person.Phone == "" {
		add("phone", "resident.error.phone_for_sms")
	}
	if out.RemindBy == "email" && out.Person.Email == "" {
		add("email", "resident.error.email_for_reminder")
	}
	return out, errs
}

// ChecklistForm is the "which of these do you have?" form.
type ChecklistForm struct {
	Documents []evidence.Shown
	Age       int  // 0 = not given (counted as an adult)
	Asked     bool // the resident pressed "check"
}

// ParseChecklist reads the checklist query.
func ParseChecklist(f url.Values, s config.Settings) (ChecklistForm, person.Errors) {
	var out ChecklistForm
	var errs person.Errors
	out.Asked = f.Get("check") != ""
	if tooBig(f) {
		return out, person.Errors{{Field: "form", Key: "resident.error.too_big"}}
	}
	for _, t := range f["doc"] {
		if _, ok := s.Document(t); ok && !slices.ContainsFunc(out.Documents, func(d evidence.Shown) bool { return d.Type == t }) {
			out.Documents = append(out.Documents, evidence.Shown{Type: t})
		}
	}
	if a := strings.TrimSpace(f.Get("age")); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 || n > 125 {
			errs = append(errs, person.FieldError{Field: "age", Key: "resident.error.age"})
		} else {
			out.Age = n
		}
	}
	return out, errs
}
