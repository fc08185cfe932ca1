package i18n

import (
	"testing"
	"time"
)

// TestDates: each language writes a moment its own way — English on a
// 12-hour clock with the month first, Spanish on a 24-hour clock with the
// day first — and never as 2026-12-05.
func TestDates(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	est := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 12, 5, 14, 5, 0, 0, est)
	tests := []struct {
		lang, what, got, want string
	}{
		{"en", "Date", b.Printer("en").Date(at), "December 5, 2026"},
		{"es", "Date", b.Printer("es").Date(at), "5 de diciembre de 2026"},
		{"en", "LongDate", b.Printer("en").LongDate(at), "Saturday, December 5, 2026"},
		{"es", "LongDate", b.Printer("es").LongDate(at), "sábado 5 de diciembre de 2026"},
		{"en", "DayMonth", b.Printer("en").DayMonth(at), "Saturday, December 5"},
		{"es", "DayMonth", b.Printer("es").DayMonth(at), "sábado 5 de diciembre"},
		{"en", "MonthYear", b.Printer("en").MonthYear(at), "December 2026"},
		{"es", "MonthYear", b.Printer("es").MonthYear(at), "diciembre de 2026"},
		{"en", "Time", b.Printer("en").Time(at), "2:05 PM"},
		{"es", "Time", b.Printer("es").Time(at), "14:05"},
		{"en", "DateTime", b.Printer("en").DateTime(at), "December 5, 2026, 2:05 PM EST"},
		{"es", "DateTime", b.Printer("es").DateTime(at), "5 de diciembre de 2026, 14:05 EST"},
		{"en", "DateTime(zero)", b.Printer("en").DateTime(time.Time{}), ""},
		{"en", "Clock(0, 30)", b.Printer("en").Clock(0, 30), "12:30 AM"},
		{"en", "Clock(9, 0)", b.Printer("en").Clock(9, 0), "9:00 AM"},
		{"en", "Clock(12, 0)", b.Printer("en").Clock(12, 0), "12:00 PM"},
		{"en", "Clock(24, 0)", b.Printer("en").Clock(24, 0), "12:00 AM"},
		{"es", "Clock(9, 0)", b.Printer("es").Clock(9, 0), "09:00"},
		{"es", "Clock(24, 0)", b.Printer("es").Clock(24, 0), "24:00"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.lang, tt.what, tt.got, tt.want)
		}
	}
}
