package resident

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/config"
)

func fuzzSettings(t testing.TB) config.Settings {
	t.Helper()
	s, err := config.Parse("cityid.toml", []byte(""))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzParseApply: any form body parses without panicking, within bounds,
// and every document it keeps is in the catalogue.
func FuzzParseApply(f *testing.F) {
	f.Add("given_names=Ana&first_surname=Garc%C3%ADa&dob_day=7&dob_month=5&dob_year=1988&doc=passport&doc=lease&remind=sms&phone=203-555-0100")
	f.Add("dob_day=31&dob_month=2&dob_year=2001&doc=nope&remind=fax")
	f.Add("given_names=" + strings.Repeat("%F0%9F%98%80", 300))
	f.Add("doc=" + strings.Repeat("passport&doc=", 100))
	s := fuzzSettings(f)
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		out, _ := ParseApply(form, s, "es")
		if len(out.Documents) > maxDocs {
			t.Fatalf("kept %d documents, limit %d", len(out.Documents), maxDocs)
		}
		for _, d := range out.Documents {
			if _, ok := s.Document(d.Type); !ok {
				t.Fatalf("kept unknown document %q", d.Type)
			}
		}
		if out.RemindBy != "" && out.RemindBy != "sms" && out.RemindBy != "email" {
			t.Fatalf("RemindBy = %q", out.RemindBy)
		}
		if _, errs := ParseChecklist(form, s); len(errs) > 2 {
			t.Fatalf("checklist errors = %v", errs)
		}
	})
}
