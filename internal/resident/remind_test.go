package resident

import (
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
)

// TestReminderClock: the text message names the appointment as its reader
// writes a time — 2:15 PM in English, 14:15 in Spanish.
func TestReminderClock(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	est := time.FixedZone("EST", -5*3600)
	when := time.Date(2026, 3, 2, 14, 15, 0, 0, est)
	pre := &enroll.Preapplication{RemindBy: "sms", Person: person.Person{Phone: "203-555-0100"}}
	for lang, want := range map[string]string{
		"en": "Reminder: your ID card appointment is on Monday, March 2, 2026 at 2:15 PM, at City Hall, 165 Church St.",
		"es": "Recordatorio: su cita para la tarjeta de identificación es el lunes 2 de marzo de 2026 a las 14:15, en City Hall, 165 Church St.",
	} {
		m := Reminder(b.Printer(lang), pre, when, "City Hall, 165 Church St")
		if !strings.HasPrefix(m.Body, want) {
			t.Errorf("%s reminder = %q, want it to start %q", lang, m.Body, want)
		}
	}
}
