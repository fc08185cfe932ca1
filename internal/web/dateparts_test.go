package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// withDOBParts is form with its date of birth typed as day, month and year.
func withDOBParts(form url.Values, d, m, y string) url.Values {
	form.Del("date_of_birth")
	form.Set("date_of_birth_day", d)
	form.Set("date_of_birth_month", m)
	form.Set("date_of_birth_year", y)
	return form
}

// dobParts are the values the page's three date-of-birth fields show.
func dobParts(body string) [3]string {
	return [3]string{
		regexpFind(body, `name="date_of_birth_day" value="([^"]*)"`),
		regexpFind(body, `name="date_of_birth_month" value="([^"]*)"`),
		regexpFind(body, `name="date_of_birth_year" value="([^"]*)"`),
	}
}

// A clerk types the date of birth as day, month and year, as residents do
// on the resident site: a date that does not exist comes back with the
// resident site's message in the page's language and everything as typed;
// a real one is stored, and a saved draft shows it again in three parts.
// Before, the field was a browser date picker (type="date").
func TestIntakeDateOfBirthInParts(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)
	c.lang = "es"
	page := c.get(t, "/staff/intake").Body
	if strings.Contains(page, `type="date" id="f-date-of-birth"`) {
		t.Fatalf("the intake form asks the date of birth with a browser date picker")
	}
	for _, name := range []string{"date_of_birth_day", "date_of_birth_month", "date_of_birth_year"} {
		if !strings.Contains(page, `name="`+name+`"`) {
			t.Errorf("the intake form has no %s field", name)
		}
	}
	for _, want := range []string{"Día", "Mes", "Año", "Por ejemplo: 25 12 1990"} {
		if !strings.Contains(page, want) {
			t.Errorf("the date of birth does not read %q in Spanish", want)
		}
	}

	form := withDOBParts(validForm("dob-parts"), "31", "2", "1990")
	form.Set("action", "submit")
	r := c.postMultipart(t, "/staff/intake", form, nil)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("31 2 1990 = %d, want 422", r.Status)
	}
	if !strings.Contains(r.Body, "Escriba una fecha real: día, mes y año") {
		t.Errorf("31 2 1990: no Spanish error for the date: %s", text(r.Body))
	}
	if got, want := dobParts(r.Body), [3]string{"31", "2", "1990"}; got != want {
		t.Errorf("31 2 1990 came back as %q, want %q", got, want)
	}
	if !strings.Contains(r.Body, `value="Zenobia"`) || !strings.Contains(r.Body, `value="123 Grand Ave"`) {
		t.Errorf("the rest of the form was not kept")
	}
	if !strings.Contains(r.Body, `href="#f-date-of-birth"`) || !strings.Contains(r.Body, `id="f-date-of-birth" name="date_of_birth_day"`) {
		t.Errorf("the error summary's link does not land on the day field")
	}

	// Saved as a draft, shown again in parts.
	form = withDOBParts(validForm("dob-draft"), "7", "03", "1990")
	form.Set("action", "draft")
	r = c.postMultipart(t, "/staff/intake", form, nil)
	draft := regexpFind(r.Location, `draft=([^&]+)`)
	if r.Status != http.StatusSeeOther || draft == "" {
		t.Fatalf("draft = %d %q: %s", r.Status, r.Location, text(r.Body))
	}
	page = c.get(t, "/staff/intake?draft="+draft).Body
	if got, want := dobParts(page), [3]string{"7", "3", "1990"}; got != want {
		t.Errorf("the draft shows the date of birth as %q, want %q", got, want)
	}

	form = withDOBParts(validForm("dob-ok"), "7", "3", "1990")
	form.Set("action", "submit")
	id := submittedForm(t, c, form)
	sup := auth.Actor{StaffID: "reader", Role: auth.RoleSupervisor}
	a, err := e.app.Enroll.Get(context.Background(), sup, id, enroll.PurposeReview)
	if err != nil {
		t.Fatal(err)
	}
	if want := (person.Date{Year: 1990, Month: 3, Day: 7}); a.Person.DateOfBirth != want {
		t.Errorf("stored date of birth = %v, want %v", a.Person.DateOfBirth, want)
	}
}

// The supervisor's search takes the date of birth in three parts too, with
// the same message for a date that does not exist.
func TestSearchDateOfBirthInParts(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	c := e.signIn(t, "clerk1", testPassword)
	form := validForm("search-parts")
	form.Set("action", "submit")
	id := submittedForm(t, c, form)
	s := e.signIn(t, "sup1", testPassword)
	s.lang = "es"
	if page := s.get(t, "/staff/search").Body; strings.Contains(page, `type="date"`) || !strings.Contains(page, `name="date_of_birth_day"`) {
		t.Fatalf("the search form asks the date of birth with a browser date picker")
	}
	search := withDOBParts(url.Values{"given_names": {"Zenobia"}, "surnames": {"Quetzalcóatl Ibarra"}, "purpose": {"review"}}, "17", "13", "1988")
	r := s.post(t, "/staff/search", search)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Escriba una fecha real") {
		t.Errorf("17 13 1988 = %d: %s", r.Status, text(r.Body))
	}
	if got, want := dobParts(r.Body), [3]string{"17", "13", "1988"}; got != want {
		t.Errorf("17 13 1988 came back as %q, want %q", got, want)
	}
	search = withDOBParts(search, "17", "4", "1988")
	if r := s.post(t, "/staff/search", search); r.Status != http.StatusOK || !strings.Contains(r.Body, "/staff/applications/"+id) {
		t.Errorf("search with 17 4 1988 = %d, want the application: %s", r.Status, text(r.Body))
	}
	search = withDOBParts(search, "", "", "")
	if r := s.post(t, "/staff/search", search); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Fecha de nacimiento: Este dato es obligatorio.") {
		t.Errorf("search without a date of birth = %d: %s", r.Status, text(r.Body))
	}
}
