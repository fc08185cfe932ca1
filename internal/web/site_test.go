package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// An administrator gives a site its phone, hours, languages and
// accessibility notes; a clerk of the site reads them on the site page.
func TestSiteDetailsEditAndShow(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "boss1", auth.RoleAdmin, "")
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	admin := e.signIn(t, "boss1", testPassword)
	form := url.Values{"name": {"City Hall"}, "kind": {"city_hall"}, "address": {"165 Church St, New Haven"}, "active": {"1"},
		"phone": {"203-946-8000 ext. 12"}, "languages": {"English, Español, español, Tiếng Việt"},
		"accessibility": {"Step-free entrance on Elm St; hearing loop at desk 2."},
		"hours_mon":     {"9:00-12:00, 13:00–17:00"}, "hours_tue": {"09:00-17:00"}, "hours_sat": {"10-13"}}

	tests := []struct {
		name, field, value, want string
	}{
		{"hours out of order", "hours_wed", "13:00-17:00, 9:00-12:00", "Write the hours as 9:00-12:00"},
		{"hours closing before opening", "hours_thu", "17:00-09:00", "Write the hours as 9:00-12:00"},
		{"hours not a time", "hours_fri", "mornings", "Write the hours as 9:00-12:00"},
		{"phone with letters", "phone", "call us", "Enter a phone number with 7 to 15 digits"},
		{"phone too short", "phone", "12-34", "Enter a phone number with 7 to 15 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set(tc.field, tc.value)
			r := admin.post(t, "/staff/admin/sites/"+e.siteA.ID, bad)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), tc.want) {
				t.Fatalf("POST with %s=%q = %d, want 422 saying %q; %s", tc.field, tc.value, r.Status, tc.want, text(r.Body))
			}
			if !strings.Contains(r.Body, `id="f-`+strings.ReplaceAll(tc.field, "_", "-")+`"`) || !strings.Contains(r.Body, `aria-invalid="true"`) {
				t.Errorf("the form does not mark %s invalid", tc.field)
			}
			st, err := e.app.Sites.Get(context.Background(), e.siteA.ID)
			if err != nil || st.Phone != "" || st.Hours.Known() {
				t.Errorf("a refused form changed the site: %+v (%v)", st, err)
			}
		})
	}

	r := admin.post(t, "/staff/admin/sites/"+e.siteA.ID, form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save site = %d: %s", r.Status, text(r.Body))
	}
	st, err := e.app.Sites.Get(context.Background(), e.siteA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Hours[time.Monday]; len(got) != 2 || got[0].From != "09:00" || got[1].To != "17:00" {
		t.Errorf("Monday hours = %+v", got)
	}
	if got := st.Hours[time.Saturday]; len(got) != 1 || got[0].From != "10:00" || got[0].To != "13:00" {
		t.Errorf("Saturday hours = %+v", got)
	}
	if len(st.Hours[time.Sunday]) != 0 || strings.Join(st.Languages, "|") != "English|Español|Tiếng Việt" {
		t.Errorf("Sunday %+v, languages %q", st.Hours[time.Sunday], st.Languages)
	}
	// The edit form shows what was saved, in the form it reads.
	if ed := admin.get(t, "/staff/admin/sites/"+e.siteA.ID); !strings.Contains(ed.Body, `value="09:00–12:00, 13:00–17:00"`) {
		t.Errorf("edit form does not show Monday's hours")
	}

	clerk := e.signIn(t, "clerk1", testPassword)
	clerk.lang = "es"
	page := clerk.get(t, "/staff/sites/"+e.siteA.ID)
	if page.Status != http.StatusOK {
		t.Fatalf("clerk GET site page = %d", page.Status)
	}
	body := text(page.Body)
	for _, want := range []string{"Horario de atención", "lunes", "09:00–12:00, 13:00–17:00", "sábado", "10:00–13:00", "domingo", "Cerrado",
		"203-946-8000 ext. 12", "English, Español, Tiếng Việt", "Step-free entrance", "165 Church St"} {
		if !strings.Contains(body, want) {
			t.Errorf("site page (es) lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "/staff/admin/sites/") {
		t.Error("a clerk is offered the edit link")
	}
	// In English the same hours are on a 12-hour clock.
	clerk.lang = "en"
	if en := text(clerk.get(t, "/staff/sites/"+e.siteA.ID).Body); !strings.Contains(en, "9:00 AM–12:00 PM, 1:00 PM–5:00 PM") {
		t.Errorf("site page (en) lacks Monday's hours on a 12-hour clock:\n%s", en)
	}
	// The dashboard links a clerk to their site's page.
	if d := clerk.get(t, "/staff"); !strings.Contains(d.Body, `href="/staff/sites/`+e.siteA.ID+`"`) {
		t.Error("dashboard does not link the clerk's site")
	}
}
