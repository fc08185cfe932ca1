package web

import (
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
