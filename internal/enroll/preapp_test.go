package enroll_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
)

func preappPerson() person.Person {
	return person.Person{GivenNames: "Lucía", FirstSurname: "Ramírez", SecondSurname: "Núñez",
		DateOfBirth: person.Date{Year: 1979, Month: 11, Day: 3}, Sex: person.SexFemale, Language: "es",
		Address: person.Address{Line1: "200 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"}}
}

// TestAdmit: turning a code into a draft, marking it used and recording
// the visit are one call, one transaction and one audit event; a second
// call returns the same application and writes nothing.
func TestAdmit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pres := e.app.Enroll.Preapps()
		p := preappPerson()
		pre, code, err := pres.Create(ctx, p, []evidence.Shown{{Type: "passport"}}, "", "req-1")
		if err != nil {
			t.Fatal(err)
		}
		bk := booking.New(e.app.DB, e.app.Location, e.app.Now, e.app.Rand)
		if err := bk.SetRules(ctx, e.clerkA.SiteID, booking.DefaultRules()); err != nil {
			t.Fatal(err)
		}
		today := person.DateOf(fixedNow.In(e.app.Location))
		if _, err := bk.Publish(ctx, e.clerkA.SiteID, today, person.DateOf(today.Time().AddDate(0, 0, 14))); err != nil {
			t.Fatal(err)
		}
		open, err := bk.Open(ctx, e.clerkA.SiteID, 1)
		if err != nil || len(open) == 0 {
			t.Fatalf("open slots = %v, %v", open, err)
		}
		if _, err := bk.Book(ctx, booking.Request{SlotID: open[0].ID, PreappID: pre.ID, PersonKey: pres.BookingKey(p)}); err != nil {
			t.Fatal(err)
		}

		if _, err := pres.Admit(ctx, e.clerkA, "2222-3333-4444"); !errors.Is(err, enroll.ErrUnknownCode) {
			t.Errorf("Admit(unknown) = %v, want ErrUnknownCode", err)
		}
		// Two clerks' clicks at once: one draft.
		ids := make([]string, 3)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				ids[i], err = pres.Admit(ctx, e.clerkA, code)
				if err != nil {
					t.Errorf("Admit #%d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
			t.Fatalf("concurrent Admit = %v, want one application", ids)
		}
		id := ids[0]
		a, err := e.app.Enroll.Get(ctx, e.clerkA, id, enroll.PurposeReview)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != enroll.StatusDraft || a.Person.FirstSurname != "Ramírez" || a.SiteID != e.clerkA.SiteID || len(a.Documents) != 1 {
			t.Errorf("admitted draft = %s %q at %s with %v", a.Status, a.Person.FirstSurname, a.SiteID, a.Documents)
		}
		again, err := pres.Load(ctx, code)
		if err != nil || again.ApplicationID != id {
			t.Errorf("pre-application after Admit: %+v, %v; want it to point at %s", again, err, id)
		}
		if _, _, err := bk.Appointment(ctx, pre.ID); err == nil {
			t.Error("the booking is still live after the resident came")
		}
		evs, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordType: "application", RecordID: id})
		if err != nil {
			t.Fatal(err)
		}
		var made []string
		for _, ev := range evs {
			if ev.Action != "application.read" {
				made = append(made, ev.Action)
			}
		}
		if len(made) != 1 || made[0] != "application.from_preapp" {
			t.Errorf("audit events of the admitted draft = %v, want one application.from_preapp", made)
		}
		if last := evs[len(evs)-1]; last.Actor != e.clerkA.StaffID || last.Outcome == audit.OutcomeDenied {
			t.Errorf("admission event = %+v", last)
		}
		h, err := e.app.Enroll.Handlers(ctx, id)
		if err != nil || !h[e.clerkA.StaffID] {
			t.Errorf("Handlers = %v, %v; want the admitting clerk", h, err)
		}
	})
}
