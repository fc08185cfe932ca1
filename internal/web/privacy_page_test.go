package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// TestPrivacyPage: administrators and auditors see counts per data class,
// the retention settings and the next purges; nobody's data; other roles
// are refused.
func TestPrivacyPage(t *testing.T) {
	e := newEnv(t)
	clerk := e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "admin1", auth.RoleAdmin, "")
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	actor := auth.Actor{StaffID: clerk.ID, Username: clerk.Username, Role: clerk.Role, SiteID: clerk.SiteID}
	for i, given := range []string{"Xiomara", "Yolotl"} {
		in := enroll.Intake{Person: person.Person{GivenNames: given, FirstSurname: "Tlacuilo", Language: "es",
			DateOfBirth: person.Date{Year: 1990 + i, Month: 5, Day: 6}}, IdempotencyKey: "draft-" + given}
		if _, err := e.app.Enroll.SaveDraft(context.Background(), actor, "", in); err != nil {
			t.Fatalf("SaveDraft: %v", err)
		}
	}
	for _, user := range []string{"admin1", "aud1"} {
		r := e.signIn(t, user, testPassword).get(t, "/staff/privacy")
		if r.Status != http.StatusOK {
			t.Fatalf("%s GET /staff/privacy = %d: %s", user, r.Status, text(r.Body))
		}
		row := regexpFind(r.Body, `(?s)<tr id="class-drafts">(.*?)</tr>`)
		if !strings.Contains(row, "Drafts") || !strings.Contains(row, "<strong>2</strong>") {
			t.Errorf("%s: drafts row = %q, want 2 drafts", user, row)
		}
		for _, want := range []string{"Data keys", "30 days after their last change", "No purge has run yet", "A purge now would erase 0 people"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: privacy page lacks %q", user, want)
			}
		}
		for _, pii := range []string{"Xiomara", "Yolotl", "Tlacuilo", "1990-05-06"} {
			if strings.Contains(r.Body, pii) {
				t.Errorf("%s: privacy page shows %q", user, pii)
			}
		}
	}
	if r := e.signIn(t, "clerk1", testPassword).get(t, "/staff/privacy"); r.Status != http.StatusForbidden {
		t.Errorf("clerk GET /staff/privacy = %d, want 403", r.Status)
	}
}
