package booking

import (
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// Day is one day's open slots, for a day picker: the resident picks a day,
// then a time, instead of scrolling a flat list of every time.
type Day struct {
	Date  person.Date
	Slots []Slot
	Free  int // places left that day, over all its slots
}

// ByDay groups open slots (in time order) by their day in loc, skipping
// slots with no place left.
func ByDay(slots []Slot, loc *time.Location) []Day {
	var out []Day
	for _, sl := range slots {
		free := sl.Capacity - sl.Booked
		if free <= 0 {
			continue
		}
		d := person.DateOf(sl.StartsAt.In(loc))
		if n := len(out); n == 0 || out[n-1].Date != d {
			out = append(out, Day{Date: d})
		}
		day := &out[len(out)-1]
		day.Slots = append(day.Slots, sl)
		day.Free += free
	}
	return out
}

// Event is an appointment as a calendar file describes it: no name, no
// code, only what the resident needs to get there.
type Event struct {
	UID                            string // stable per appointment, so a second download updates the first
	Start, End                     time.Time
	Summary, Location, Description string
	Stamp                          time.Time
}

// ICS writes e as an iCalendar file (RFC 5545) that phone calendars import.
func ICS(e Event) []byte {
	var b strings.Builder
	line := func(name, value string) {
		// Lines fold at 75 octets; a folded line continues after a space.
		s := name + ":" + value
		for len(s) > 75 {
			cut := 75
			for cut > 0 && s[cut]&0xC0 == 0x80 { // never inside a UTF-8 sequence
				cut--
			}
			b.WriteString(s[:cut] + "\r\n")
			s = " " + s[cut:]
		}
		b.WriteString(s + "\r\n")
	}
	utc := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//cityid//resident//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("BEGIN", "VEVENT")
	line("UID", e.UID)
	line("DTSTAMP", utc(e.Stamp))
	line("DTSTART", utc(e.Start))
	line("DTEND", utc(e.End))
	line("SUMMARY", icsText(e.Summary))
	if e.Location != "" {
		line("LOCATION", icsText(e.Location))
	}
	if e.Description != "" {
		line("DESCRIPTION", icsText(e.Description))
	}
	// A reminder the day before, from the resident's own calendar: it needs
	// no sender on our side.
	line("BEGIN", "VALARM")
	line("ACTION", "DISPLAY")
	line("DESCRIPTION", icsText(e.Summary))
	line("TRIGGER", fmt.Sprintf("-PT%dH", 24))
	line("END", "VALARM")
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// icsText escapes a TEXT value: backslash, semicolon, comma and newline.
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}
