package booking

import (
	"strings"
	"testing"
	"time"
)

func TestByDay(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, ny) }
	slots := []Slot{
		{ID: "a", StartsAt: at(2, 9), Capacity: 2, Booked: 1},
		{ID: "b", StartsAt: at(2, 23), Capacity: 2}, // 04:00 UTC the next day: still the 2nd in New Haven
		{ID: "c", StartsAt: at(3, 9), Capacity: 2, Booked: 2},
		{ID: "d", StartsAt: at(4, 9), Capacity: 3},
	}
	days := ByDay(slots, ny)
	if len(days) != 2 {
		t.Fatalf("days = %+v", days)
	}
	if days[0].Date.String() != "2026-03-02" || len(days[0].Slots) != 2 || days[0].Free != 3 {
		t.Errorf("first day = %+v", days[0])
	}
	if days[1].Date.String() != "2026-03-04" || days[1].Free != 3 {
		t.Errorf("second day = %+v (a full day is not offered)", days[1])
	}
}

func TestICS(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 15, 0, 0, time.UTC)
	got := string(ICS(Event{UID: "apt_1@cityid", Start: start, End: start.Add(15 * time.Minute), Stamp: start.Add(-time.Hour),
		Summary: "Cita, tarjeta", Location: "City Hall; 165 Church St", Description: strings.Repeat("á", 60)}))
	for _, w := range []string{"BEGIN:VCALENDAR\r\n", "UID:apt_1@cityid\r\n", "DTSTART:20260302T151500Z\r\n", "DTEND:20260302T153000Z\r\n",
		`SUMMARY:Cita\, tarjeta` + "\r\n", `LOCATION:City Hall\; 165 Church St` + "\r\n", "TRIGGER:-PT24H\r\n", "END:VCALENDAR\r\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("calendar lacks %q:\n%s", w, got)
		}
	}
	for _, l := range strings.Split(got, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line over 75 octets: %q", l)
		}
	}
	if !strings.Contains(got, "\r\n ") {
		t.Errorf("the long description is not folded")
	}
}
