package web

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
)

// The error summary names each field: three missing fields are three
// different links ("Date of birth: this is required"), in the page's
// language; the address fields carry the required marker.
func TestIntakeErrorSummaryNamesFields(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)
	form := validForm("summary")
	for _, f := range []string{"given_names", "date_of_birth", "address_line1", "doc_type_1"} {
		form.Del(f)
	}
	form.Set("action", "submit")
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Given names: ", "Date of birth: ", "Street and number: "}},
		{"es", []string{"Nombres: ", "Fecha de nacimiento: "}},
	} {
		c.lang = tc.lang
		r := c.postMultipart(t, "/staff/intake", form, nil)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: submit = %d, want 422", tc.lang, r.Status)
		}
		summary := regexpFind(r.Body, `(?s)id="error-summary"(.*?)</div>`)
		links := regexp.MustCompile(`<a href="#[^"]+">([^<]+)</a>`).FindAllStringSubmatch(summary, -1)
		seen := map[string]bool{}
		for _, l := range links {
			if seen[l[1]] {
				t.Errorf("%s: two summary links read %q", tc.lang, l[1])
			}
			seen[l[1]] = true
		}
		for _, want := range tc.want {
			if !strings.Contains(text(summary), want) {
				t.Errorf("%s: summary does not name %q: %s", tc.lang, want, text(summary))
			}
		}
	}
	c.lang = "en"
	page := c.get(t, "/staff/intake").Body
	for _, id := range []string{"f-address-line1", "f-address-city", "f-address-state", "f-address-postal-code"} {
		if !regexp.MustCompile(`<label for="` + id + `">[^<]*<span aria-hidden="true">\*</span>`).MatchString(page) {
			t.Errorf("%s carries no required marker", id)
		}
	}
}

// TestIntakePhotoTooLargeKeepsForm: a clerk picks a phone photo over the
// upload limit (a 12 MB camera original). The form comes back with
// everything typed and an error on the photo that says the limit and what
// to do; before, the whole form was answered with an error page (413)
// whose message read "less than {max_mb} MB", and every field was lost.
func TestIntakePhotoTooLargeKeepsForm(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	clerk := e.signIn(t, "clerk1", testPassword)
	clerk.lang = "es"
	big := append(testPNG(t), bytes.Repeat([]byte{0}, 12<<20)...)
	for _, action := range []string{"submit", "check"} {
		form := validForm("too-big-" + action)
		form.Set("action", action)
		r := clerk.postMultipart(t, "/staff/intake", form, big)
		page := text(r.Body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="Quetzalcóatl"`) || !strings.Contains(r.Body, `value="123 Grand Ave"`) {
			t.Errorf("%s with a 12 MB photo = %d, want 422 with the typed fields kept: %.600s", action, r.Status, page)
		}
		if !strings.Contains(page, "10 MB") || strings.Contains(page, "{") || !strings.Contains(r.Body, `href="#f-photo"`) {
			t.Errorf("%s with a 12 MB photo: want an error on the photo naming the 10 MB limit: %.600s", action, page)
		}
	}
}

// The field station's desk reads intake the same way: a photo over the
// limit leaves the typed form in place with the photo's error.
func TestStationPhotoTooLargeKeepsForm(t *testing.T) {
	ts, _ := newStationServer(t)
	hc := stationClient(t, ts.URL)
	form := validForm("station-too-big")
	form.Set("action", "submit")
	status, _, body := stationPost(t, hc, ts.URL, form, append(testPNG(t), bytes.Repeat([]byte{0}, 12<<20)...))
	if page := text(body); status != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Quetzalcóatl"`) || !strings.Contains(page, "10 MB") || strings.Contains(page, "{") {
		t.Errorf("station intake with a 12 MB photo = %d, want 422 with the form kept and the 10 MB limit named: %.600s", status, page)
	}
}
