package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
)

// A utility bill asks when it was dated, not when it expires: the form
// states the rule, and submitting accepts the bill only when dated within
// the settings' 90 days, with an error naming the row's Dated field
// otherwise. The test clock's today is 2026-03-02 in New York.
func TestIntakeUtilityBillDatedWithin(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(t, "clerk1", testPassword)

	for _, tc := range []struct{ lang, option, column string }{
		{"en", "internet) — dated within 90 days", "Dated (issue date)"},
		{"es", "— con fecha de los últimos 90 días", "Fecha del documento"},
	} {
		c.lang = tc.lang
		page := text(c.get(t, "/staff/intake").Body)
		for _, want := range []string{tc.option, tc.column} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: intake form does not show %q", tc.lang, want)
			}
		}
	}
	c.lang = "en"

	for i, tc := range []struct {
		name, dated string
		status      int
		want        string // in the error summary
	}{
		{"no date", "", http.StatusUnprocessableEntity, "Dated (issue date) 2: Enter the date on the document: it must be dated within the last 90 days."},
		{"too old", "2025-12-01", http.StatusUnprocessableEntity, "Dated (issue date) 2: Too old: this document must be dated within the last 90 days."},
		{"future", "2026-03-03", http.StatusUnprocessableEntity, "Dated (issue date) 2: This date is in the future"},
		{"90 days ago", "2025-12-02", http.StatusSeeOther, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := validForm("dated-" + string(rune('a'+i)))
			form.Set("doc_type_1", "utility_bill")
			form.Set("doc_expires_1", "2031-01-01") // an expiry typed for a dated type is dropped
			if tc.dated != "" {
				form.Set("doc_dated_1", tc.dated)
			}
			form.Set("action", "submit")
			r := c.postMultipart(t, "/staff/intake", form, testPNG(t))
			if r.Status != tc.status {
				t.Fatalf("submit dated %q = %d, want %d\n%s", tc.dated, r.Status, tc.status, text(r.Body))
			}
			if tc.want == "" {
				return
			}
			summary := text(regexpFind(r.Body, `(?s)id="error-summary"(.*?)</div>`))
			if !strings.Contains(summary, tc.want) {
				t.Errorf("summary = %q, want it to contain %q", summary, tc.want)
			}
			if !strings.Contains(r.Body, `id="f-doc-dated-1" name="doc_dated_1" value="`+tc.dated+`" aria-invalid="true"`) {
				t.Errorf("the Dated field of row 2 is not marked invalid with the typed value kept")
			}
			if strings.Contains(r.Body, `name="doc_expires_1" value="2031-01-01"`) {
				t.Errorf("an expiry typed for a utility bill was echoed back; only its issue date is kept")
			}
		})
	}

	// Spanish: the same error, translated and naming the field.
	c.lang = "es"
	form := validForm("dated-es")
	form.Set("doc_type_1", "utility_bill")
	form.Set("doc_dated_1", "2025-10-01")
	form.Set("action", "submit")
	r := c.postMultipart(t, "/staff/intake", form, testPNG(t))
	if want := "Fecha del documento 2: Demasiado antiguo"; r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), want) {
		t.Errorf("es: submit = %d, want 422 with %q", r.Status, want)
	}
}
