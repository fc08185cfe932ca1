package web

import (
	"net/url"
	"strconv"

	"github.com/cityid/cityid/internal/person"
)

// A date staff type (a date of birth) is three fields, day, month and year
// (the "dateparts" template), as on the resident site: a browser's date
// picker speaks the phone's language, not the page's — "mm/dd/yyyy" on an
// English phone showing a Spanish page.

// formDate reads the date a form sends as name_day, name_month and
// name_year, or, when none of the three was sent (a script, an older
// page), as one YYYY-MM-DD field name. It returns the date as YYYY-MM-DD
// ("" when nothing was typed; required is the caller's rule) and a field
// error (key error.date_parts) when the parts make no real date.
func formDate(f url.Values, name string) (string, *person.FieldError) {
	_, d := f[name+"_day"]
	_, m := f[name+"_month"]
	_, y := f[name+"_year"]
	if !d && !m && !y {
		return f.Get(name), nil
	}
	date, key := person.DateFromParts(f.Get(name+"_day"), f.Get(name+"_month"), f.Get(name+"_year"))
	switch key {
	case "":
		return date.String(), nil
	case "error.required":
		return "", nil
	}
	return "", &person.FieldError{Field: name, Key: key}
}

// dateParts is a three-part date field as the "dateparts" template shows it.
type dateParts struct {
	input
	DayLabel, MonthLabel, YearLabel string
	D, M, Y                         string
}

// DateParts is a date typed as day, month and year under one legend. It
// shows what was typed, or, on a form loaded from a record (a draft), the
// stored YYYY-MM-DD value split into its parts. The day's input has the
// field's id, so the error summary's link lands on it.
func (p *page) DateParts(name, labelKey string, required bool) dateParts {
	in := p.control(name, labelKey, "text")
	in.Required = required
	if in.Hint == "" {
		in.Hint = p.T("date.part.hint")
		in.Describe = joinIDs(in.ID+"-hint", in.Describe)
	}
	dp := dateParts{input: in, DayLabel: p.T("date.part.day"), MonthLabel: p.T("date.part.month"), YearLabel: p.T("date.part.year"),
		D: p.V(name + "_day"), M: p.V(name + "_month"), Y: p.V(name + "_year")}
	if _, sent := p.Form[name+"_day"]; !sent {
		if v, err := person.ParseDate(p.V(name)); err == nil && !v.IsZero() {
			dp.D, dp.M, dp.Y = strconv.Itoa(v.Day), strconv.Itoa(int(v.Month)), strconv.Itoa(v.Year)
		}
	}
	return dp
}

func joinIDs(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}
