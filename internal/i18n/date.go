package i18n

import (
	"fmt"
	"time"
)

// Dates and times as a reader of each language writes them, from the
// catalog's date.* patterns: "Saturday, December 5, 2026" and 2:05 PM in
// English, "sábado 5 de diciembre de 2026" and 14:05 in Spanish. A date is
// spelled out, never 2026-12-05 or 12/05: a Spanish reader takes 05/12 for
// the fifth of December and an American the twelfth of May. The caller
// puts t in the program's time zone first.

var (
	monthKeys = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayKeys   = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// Weekday is the name of d ("Monday", "lunes").
func (p Printer) Weekday(d time.Weekday) string { return p.T("date.day." + dayKeys[d]) }

// Month is the name of m ("March", "marzo").
func (p Printer) Month(m time.Month) string { return p.T("date.month." + monthKeys[m-1]) }

// Date is "December 5, 2026" / "5 de diciembre de 2026".
func (p Printer) Date(t time.Time) string {
	return p.T("date.full", "day", t.Day(), "month", p.Month(t.Month()), "year", t.Year())
}

// MonthYear is "March 2026" / "marzo de 2026".
func (p Printer) MonthYear(t time.Time) string {
	return p.T("date.month_year", "month", p.Month(t.Month()), "year", t.Year())
}

// LongDate is "Saturday, December 5, 2026" / "sábado 5 de diciembre de 2026".
func (p Printer) LongDate(t time.Time) string {
	return p.T("date.long", "weekday", p.Weekday(t.Weekday()), "day", t.Day(), "month", p.Month(t.Month()), "year", t.Year())
}

// DayMonth is "Saturday, December 5" / "sábado 5 de diciembre".
func (p Printer) DayMonth(t time.Time) string {
	return p.T("date.day_month", "weekday", p.Weekday(t.Weekday()), "day", t.Day(), "month", p.Month(t.Month()))
}

// Clock is the time of day hour:minute (0–24, 0–59) on the language's
// clock, 12-hour or 24-hour as its date.hours says: "2:05 PM" / "14:05";
// 24:00, an office's closing at midnight, is "12:00 AM" / "24:00".
func (p Printer) Clock(hour, minute int) string {
	if p.T("date.hours") != "12" {
		return fmt.Sprintf("%02d:%02d", hour, minute)
	}
	h12, ampm := hour%12, p.T("date.am")
	if h12 == 0 {
		h12 = 12
	}
	if hour%24 >= 12 {
		ampm = p.T("date.pm")
	}
	return fmt.Sprintf("%d:%02d %s", h12, minute, ampm)
}

// Time is t's time of day on the language's clock ("2:05 PM" / "14:05").
func (p Printer) Time(t time.Time) string { return p.Clock(t.Hour(), t.Minute()) }

// DateTime is a moment with its time zone's abbreviation, so no one takes
// it for UTC: "December 5, 2026, 2:05 PM EST" / "5 de diciembre de 2026,
// 14:05 EST". The zero time is "".
func (p Printer) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return p.T("date.at", "date", p.Date(t), "time", p.Time(t)) + " " + t.Format("MST")
}
