package site

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/person"
)

// Span is one opening interval of a day, "HH:MM" on a 24-hour clock in the
// program's time zone ("09:00" to "12:30"); To is after From.
type Span struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// WeekHours are opening hours indexed by time.Weekday (0 = Sunday); a day
// without spans is closed, and a site with no spans at all has not said.
type WeekHours [7][]Span

// Known reports whether any day has hours.
func (h WeekHours) Known() bool {
	for _, d := range h {
		if len(d) > 0 {
			return true
		}
	}
	return false
}

// Weekdays are the day keys in time.Weekday order, as the catalogs name
// them ("date.day.mon" …).
var Weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DisplayOrder lists the weekdays Monday first, as offices post their hours.
func DisplayOrder() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
}

// clock reads "9:00", "09:00" or "9" as minutes after midnight.
func clock(s string) (int, bool) {
	s = strings.TrimSpace(s)
	h, m, hasMin := strings.Cut(s, ":")
	if h == "" || len(h) > 2 || (hasMin && len(m) != 2) {
		return 0, false
	}
	hh, mm := 0, 0
	for _, r := range h {
		if r < '0' || r > '9' {
			return 0, false
		}
		hh = hh*10 + int(r-'0')
	}
	for _, r := range m {
		if r < '0' || r > '9' {
			return 0, false
		}
		mm = mm*10 + int(r-'0')
	}
	if hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// ParseDay reads one day's hours as an office writes them:
// "9:00-12:00, 13:00-17:00" (a hyphen or en dash between the times, commas
// between intervals). Empty text means closed. Intervals must be in order
// and must not overlap.
func ParseDay(text string) ([]Span, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, true
	}
	var out []Span
	last := -1
	for _, part := range strings.Split(text, ",") {
		part = strings.ReplaceAll(strings.TrimSpace(part), "–", "-")
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, false
		}
		from, ok1 := clock(a)
		to, ok2 := clock(b)
		if !ok1 || !ok2 || to <= from || from < last {
			return nil, false
		}
		last = to
		out = append(out, Span{From: hhmm(from), To: hhmm(to)})
	}
	return out, true
}

// FormatDay writes spans back in the form ParseDay reads.
func FormatDay(spans []Span) string {
	return FormatDayOn(spans, func(h, m int) string { return hhmm(h*60 + m) })
}

// FormatDayOn writes spans for a reader, each time on write, the reader's
// clock: "9:00 AM–5:00 PM" in English, "09:00–17:00" in Spanish.
func FormatDayOn(spans []Span, write func(hour, minute int) string) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = spanClock(s.From, write) + "–" + spanClock(s.To, write)
	}
	return strings.Join(parts, ", ")
}

// spanClock writes a span's stored "HH:MM" with write; text that is not a
// time (never stored by ParseDay) is shown as it is.
func spanClock(s string, write func(hour, minute int) string) string {
	min, ok := clock(s)
	if !ok {
		return s
	}
	return write(min/60, min%60)
}

// ParseLanguages splits "English, Español, Tiếng Việt" into names, dropping
// empty entries and repeats.
func ParseLanguages(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		l = strings.TrimSpace(l)
		if l == "" || seen[strings.ToLower(l)] {
			continue
		}
		seen[strings.ToLower(l)] = true
		out = append(out, l)
	}
	return out
}

// validPhone accepts what offices print: digits with spaces, dashes, dots,
// brackets, a leading + and an extension ("ext. 12", "x12"); 7 to 15 digits.
func validPhone(p string) bool {
	main, _, _ := strings.Cut(strings.ToLower(p), "x")
	main = strings.TrimSuffix(strings.TrimSpace(main), "e")
	digits := 0
	for i, r := range main {
		switch {
		case unicode.IsDigit(r) && r < utf8.RuneSelf:
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// validateDetails checks what a resident reads about a site.
func validateDetails(s Site) person.Errors {
	var errs person.Errors
	if s.Phone != "" && !validPhone(s.Phone) {
		errs = append(errs, person.FieldError{Field: "phone", Key: "site.error.phone"})
	}
	if len(s.Languages) > 20 {
		errs = append(errs, person.FieldError{Field: "languages", Key: "site.error.languages"})
	}
	for _, l := range s.Languages {
		if utf8.RuneCountInString(l) > 40 {
			errs = append(errs, person.FieldError{Field: "languages", Key: "site.error.languages"})
			break
		}
	}
	if utf8.RuneCountInString(s.Accessibility) > 500 {
		errs = append(errs, person.FieldError{Field: "accessibility", Key: "error.too_long"})
	}
	for d, spans := range s.Hours {
		for _, sp := range spans {
			a, ok1 := clock(sp.From)
			b, ok2 := clock(sp.To)
			if !ok1 || !ok2 || b <= a {
				errs = append(errs, person.FieldError{Field: "hours_" + Weekdays[d], Key: "site.error.hours"})
				break
			}
		}
	}
	return errs
}

// OpenAt reports whether the site's posted hours include t (read in loc).
func OpenAt(h WeekHours, t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	m := t.Hour()*60 + t.Minute()
	for _, sp := range h[t.Weekday()] {
		a, _ := clock(sp.From)
		b, _ := clock(sp.To)
		if m >= a && m < b {
			return true
		}
	}
	return false
}

// ParseWeek reads one text per weekday (indexed by time.Weekday) with
// ParseDay; a day that does not read is a field error on "hours_<day>".
func ParseWeek(texts [7]string) (WeekHours, person.Errors) {
	var h WeekHours
	var errs person.Errors
	for _, d := range DisplayOrder() {
		spans, ok := ParseDay(texts[d])
		if !ok {
			errs = append(errs, person.FieldError{Field: "hours_" + Weekdays[d], Key: "site.error.hours"})
			continue
		}
		h[d] = spans
	}
	return h, errs
}
