// Package booking is the appointment model of the resident site: sites
// publish slots from their opening hours (skipping holidays) with a capacity
// per slot and a release schedule; residents book one slot at a time, join a
// waitlist when none is free, or enter a lottery for a release window instead
// of racing for the first click; walk-ins take numbered tickets.
//
// Fairness under a rush rests on the database, not on timing: a slot's
// count moves only while it is below capacity, and a partial unique index
// allows one live booking per pre-application, on SQLite and PostgreSQL
// alike. A booking belongs to the pre-application (reference code) that made
// it: nobody else can move or cancel it, and two pre-applications with the
// same name and date of birth are flagged for staff, never merged.
package booking

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// Hours is one opening period of a day, "09:00" to "12:30" local time.
type Hours struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// Release says when slots open for booking. With Weekday empty, the slots of
// a day open DaysAhead days before it at At; with Weekday (e.g. "fri") they
// open at the last such weekday at At that is at least DaysAhead days
// before (IDNYC releases a week of slots on Friday afternoons).
type Release struct {
	DaysAhead int    `json:"days_ahead"`
	Weekday   string `json:"weekday,omitempty"`
	At        string `json:"at"`
}

// Rules are a site's booking rules.
type Rules struct {
	// Weekly opening hours by day: "mon" … "sun".
	Weekly      map[string][]Hours `json:"weekly"`
	SlotMinutes int                `json:"slot_minutes"`
	Capacity    int                `json:"capacity"` // people per slot (clerk desks)
	Release     Release            `json:"release"`
	// Lottery: instead of first-click-wins, residents enter during the day
	// before a release and the release's slots are drawn at random.
	Lottery bool `json:"lottery,omitempty"`
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DefaultRules are weekday office hours with 15-minute slots for 2 desks,
// released 14 days ahead at 08:00.
func DefaultRules() Rules {
	day := []Hours{{"09:00", "12:00"}, {"13:00", "16:30"}}
	return Rules{
		Weekly:      map[string][]Hours{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
		SlotMinutes: 15, Capacity: 2,
		Release: Release{DaysAhead: 14, At: "08:00"},
	}
}

// ErrRules wraps every rules validation problem.
var ErrRules = errors.New("invalid booking rules")

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%w: time %q: want HH:MM", ErrRules, s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate checks r.
func (r Rules) Validate() error {
	var errs []error
	if r.SlotMinutes < 5 || r.SlotMinutes > 240 {
		errs = append(errs, fmt.Errorf("%w: slot_minutes %d: want 5 to 240", ErrRules, r.SlotMinutes))
	}
	if r.Capacity < 1 || r.Capacity > 500 {
		errs = append(errs, fmt.Errorf("%w: capacity %d: want 1 to 500", ErrRules, r.Capacity))
	}
	for day, hours := range r.Weekly {
		if !contains(weekdays, day) {
			errs = append(errs, fmt.Errorf("%w: weekday %q: want one of %s", ErrRules, day, strings.Join(weekdays, ", ")))
		}
		for _, h := range hours {
			o, err1 := clock(h.Open)
			c, err2 := clock(h.Close)
			if err := errors.Join(err1, err2); err != nil {
				errs = append(errs, err)
			} else if c <= o {
				errs = append(errs, fmt.Errorf("%w: %s %s–%s closes before it opens", ErrRules, day, h.Open, h.Close))
			}
		}
	}
	if r.Release.DaysAhead < 0 || r.Release.DaysAhead > 366 {
		errs = append(errs, fmt.Errorf("%w: release.days_ahead %d: want 0 to 366", ErrRules, r.Release.DaysAhead))
	}
	if r.Release.Weekday != "" && !contains(weekdays, r.Release.Weekday) {
		errs = append(errs, fmt.Errorf("%w: release.weekday %q", ErrRules, r.Release.Weekday))
	}
	if _, err := clock(r.Release.At); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// at is local midnight of d plus minutes.
func at(d person.Date, minutes int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, minutes, 0, 0, loc)
}

// ReleaseAt is when the slots of day d open for booking.
func (r Rules) ReleaseAt(d person.Date, loc *time.Location) time.Time {
	m, _ := clock(r.Release.At)
	t := at(d, m, loc).AddDate(0, 0, -r.Release.DaysAhead)
	if r.Release.Weekday == "" {
		return t
	}
	want := time.Weekday(indexOf(weekdays, r.Release.Weekday))
	for t.Weekday() != want {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// SlotTimes lists the start times of day d's slots under r, in order.
func (r Rules) SlotTimes(d person.Date, loc *time.Location) []time.Time {
	var out []time.Time
	wd := weekdays[d.Time().Weekday()]
	for _, h := range r.Weekly[wd] {
		o, err1 := clock(h.Open)
		c, err2 := clock(h.Close)
		if err1 != nil || err2 != nil {
			continue
		}
		for m := o; m+r.SlotMinutes <= c; m += r.SlotMinutes {
			out = append(out, at(d, m, loc))
		}
	}
	return out
}
