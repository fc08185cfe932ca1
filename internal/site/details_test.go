package site

import (
	"testing"
	"time"
)

func TestParseDay(t *testing.T) {
	tests := []struct {
		in   string
		want string // FormatDay of the result; "!" for refused
	}{
		{"", ""},
		{"9:00-12:00, 13:00-17:00", "09:00–12:00, 13:00–17:00"},
		{"09:00 – 17:30", "09:00–17:30"},
		{"10-13", "10:00–13:00"},
		{"8:00-24:00", "08:00–24:00"},
		{"13:00-17:00, 9:00-12:00", "!"},
		{"9:00-12:00, 11:00-17:00", "!"},
		{"17:00-9:00", "!"},
		{"9:00-9:00", "!"},
		{"9:00", "!"},
		{"9:60-10:00", "!"},
		{"25:00-26:00", "!"},
		{"9.00-12.00", "!"},
		{"mornings", "!"},
	}
	for _, tc := range tests {
		got, ok := ParseDay(tc.in)
		s := FormatDay(got)
		if !ok {
			s = "!"
		}
		if s != tc.want {
			t.Errorf("ParseDay(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestValidPhone(t *testing.T) {
	for p, want := range map[string]bool{
		"203-946-8000": true, "+1 (203) 946-8000": true, "203.946.8000 ext. 12": true, "203 946 8000 x12": true,
		"946-80": false, "call us": false, "1+203": false, "+1 203 946 8000 0000 0000": false,
	} {
		if got := validPhone(p); got != want {
			t.Errorf("validPhone(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestOpenAt(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	var h WeekHours
	h[time.Monday], _ = ParseDay("9:00-12:00, 13:00-17:00")
	// Monday 2026-03-02 12:30 in New York is 17:30 UTC: the lunch break.
	for at, want := range map[time.Time]bool{
		time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC):  true,  // 09:00
		time.Date(2026, 3, 2, 17, 30, 0, 0, time.UTC): false, // 12:30
		time.Date(2026, 3, 2, 21, 59, 0, 0, time.UTC): true,  // 16:59
		time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC):  false, // Tuesday
	} {
		if got := OpenAt(h, at, ny); got != want {
			t.Errorf("OpenAt(%v) = %v, want %v", at, got, want)
		}
	}
}
