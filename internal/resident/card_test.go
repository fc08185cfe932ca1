package resident

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
)

// TestLostCardWithCardService runs the lost-card report against the real
// card service: an issued, printed card shows "ready at the site", the
// report suspends it (its status-list entry too), and status says so.
func TestLostCardWithCardService(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	// The data directory's own card service (its clock is the test clock).
	cards := e.app.Cards
	e.site.opts.Cards = cards

	newActor := func(name string, role auth.Role) auth.Actor {
		st, err := e.app.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: name, Role: role, SiteID: e.siteID, Password: "lanterns drift over quiet harbor 42"})
		if err != nil {
			t.Fatal(err)
		}
		return auth.Actor{StaffID: st.ID, Username: name, Role: role, SiteID: e.siteID}
	}
	clerk, sup := newActor("clerk1", auth.RoleClerk), newActor("sup1", auth.RoleSupervisor)
	a, err := e.app.Enroll.Submit(ctx, clerk, "", enroll.Intake{
		Person:    person.Person{GivenNames: "Juan", FirstSurname: "Ortiz", DateOfBirth: person.Date{Year: 1990, Month: 12, Day: 25}, Language: "es", Address: person.Address{Line1: "1 Elm St", City: "New Haven", PostalCode: "06510"}},
		Documents: []evidence.Shown{{Type: "passport"}, {Type: "lease"}},
		Photo:     testPhoto(t),
		Payment:   fee.Payment{Method: e.app.Settings.Fees.PaymentMethods[0], AmountCents: e.app.Settings.Fees.Adult},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Enroll.Approve(ctx, sup, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	c, err := cards.Issue(ctx, newActor("issuer1", auth.RoleSupervisor), a.ID) // four eyes: not the approver
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cards.Print(ctx, sup, []string{c.ID}, card.CardPages); err != nil {
		t.Fatal(err)
	}
	look := url.Values{"code": {a.Reference}, "dob_day": {"25"}, "dob_month": {"12"}, "dob_year": {"1990"}}
	if r := e.do(t, "POST", "/en/status", look); !strings.Contains(r.body, "Your card is ready.") || !strings.Contains(r.body, "City Hall") {
		t.Errorf("status of a printed card:\n%s", r.body)
	}
	confirmed := url.Values{"confirm": {"yes"}}
	for k, v := range look {
		confirmed[k] = v
	}
	if r := e.do(t, "POST", "/es/lost", confirmed); r.status != http.StatusOK || !strings.Contains(r.body, "Su tarjeta está bloqueada.") {
		t.Fatalf("lost = %d\n%s", r.status, r.body)
	}
	got, err := cards.Get(ctx, c.ID)
	if err != nil || got.Status != card.StatusSuspended || got.Reason != "reported_lost" {
		t.Errorf("card after the report = %s %q, %v; want suspended, reported_lost", got.Status, got.Reason, err)
	}
	if r := e.do(t, "POST", "/en/status", look); !strings.Contains(r.body, "Your card is not active.") {
		t.Errorf("status after the report:\n%s", r.body)
	}
}
