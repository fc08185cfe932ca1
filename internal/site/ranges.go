package site

import (
	"net/url"
	"slices"
	"time"
)

// DayRange is a run of consecutive weekdays with the same hours, as an
// office door lists them ("Monday to Friday 09:00–17:00"); no spans means
// closed.
type DayRange struct {
	From, To time.Weekday
	Spans    []Span
}

// Ranges groups a week's hours Monday first into runs of days with equal
// hours, so a phone shows three lines instead of seven. Hours that are not
// known give none.
func Ranges(h WeekHours) []DayRange {
	if !h.Known() {
		return nil
	}
	var out []DayRange
	for _, d := range DisplayOrder() {
		if n := len(out); n > 0 && slices.Equal(out[n-1].Spans, h[d]) {
			out[n-1].To = d
			continue
		}
		out = append(out, DayRange{From: d, To: d, Spans: h[d]})
	}
	return out
}

// MapURL is a plain link that opens the address in OpenStreetMap: a link
// the resident chooses to follow, never an embedded map that would tell a
// third party who reads the page.
func MapURL(address string) string {
	if address == "" {
		return ""
	}
	return "https://www.openstreetmap.org/search?query=" + url.QueryEscape(address)
}
