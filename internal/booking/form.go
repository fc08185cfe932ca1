package booking

import (
	"strconv"
	"strings"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// RulesForm is the booking rules as an administrator types them in a form:
// opening hours per weekday as "9:00-12:00, 13:00-16:30" (site.ParseDay),
// numbers as text.
type RulesForm struct {
	Hours          [7]string // by time.Weekday
	SlotMinutes    string
	Capacity       string
	ReleaseDays    string
	ReleaseWeekday string // "" or "mon"…"sun"
	ReleaseAt      string // "08:00"
	Lottery        bool
}

// FormOf writes r back as a form.
func FormOf(r Rules) RulesForm {
	f := RulesForm{SlotMinutes: strconv.Itoa(r.SlotMinutes), Capacity: strconv.Itoa(r.Capacity),
		ReleaseDays: strconv.Itoa(r.Release.DaysAhead), ReleaseWeekday: r.Release.Weekday, ReleaseAt: r.Release.At, Lottery: r.Lottery}
	for d, key := range weekdays {
		var spans []site.Span
		for _, h := range r.Weekly[key] {
			spans = append(spans, site.Span{From: h.Open, To: h.Close})
		}
		f.Hours[d] = site.FormatDay(spans)
	}
	return f
}

// Parse reads the form into rules; each problem is a field error
// (translated message keys), and nothing is saved while there is one.
func (f RulesForm) Parse() (Rules, person.Errors) {
	var errs person.Errors
	r := Rules{Weekly: map[string][]Hours{}, Lottery: f.Lottery}
	for _, d := range site.DisplayOrder() {
		spans, ok := site.ParseDay(f.Hours[d])
		if !ok {
			errs = append(errs, person.FieldError{Field: "hours_" + weekdays[d], Key: "site.error.hours"})
			continue
		}
		for _, sp := range spans {
			r.Weekly[weekdays[d]] = append(r.Weekly[weekdays[d]], Hours{Open: sp.From, Close: sp.To})
		}
	}
	num := func(field, text string, lo, hi int, key string) int {
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || n < lo || n > hi {
			errs = append(errs, person.FieldError{Field: field, Key: key})
		}
		return n
	}
	r.SlotMinutes = num("slot_minutes", f.SlotMinutes, 5, 240, "desk.booking.error.slot_minutes")
	r.Capacity = num("capacity", f.Capacity, 1, 500, "desk.booking.error.capacity")
	r.Release.DaysAhead = num("release_days", f.ReleaseDays, 0, 366, "desk.booking.error.release_days")
	if f.ReleaseWeekday != "" && !contains(weekdays, f.ReleaseWeekday) {
		errs = append(errs, person.FieldError{Field: "release_weekday", Key: "error.invalid_choice"})
	}
	r.Release.Weekday = f.ReleaseWeekday
	r.Release.At = strings.TrimSpace(f.ReleaseAt)
	if _, err := clock(r.Release.At); err != nil {
		errs = append(errs, person.FieldError{Field: "release_at", Key: "desk.booking.error.release_at"})
	}
	if len(errs) == 0 {
		if err := r.Validate(); err != nil {
			errs = append(errs, person.FieldError{Field: "slot_minutes", Key: "booking.staff.rules_invalid"})
		}
	}
	return r, errs
}

// Field is a numeric field's text, for templates.
func (f RulesForm) Field(name string) string {
	switch name {
	case "slot_minutes":
		return f.SlotMinutes
	case "capacity":
		return f.Capacity
	case "release_days":
		return f.ReleaseDays
	}
	return ""
}
