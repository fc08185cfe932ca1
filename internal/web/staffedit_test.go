package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
)

// An administrator changes a person's role or site after creation: a
// narrowing change (a supervisor made auditor) applies at once; moving a
// clerk to another site widens what they read and waits for a second
// administrator, who approves it; a clerk without a site is a field error.
func TestStaffRoleAndSiteChange(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	e.addStaff(t, "admin-two", auth.RoleAdmin, "")
	clerk := e.addStaff(t, "clara", auth.RoleClerk, e.siteA.ID)
	sup := e.addStaff(t, "sam", auth.RoleSupervisor, "")
	one := e.signIn(t, "admin-one", testPassword)
	ctx := context.Background()

	if page := one.get(t, "/staff/admin/staff"); !strings.Contains(page.Body, `href="/staff/admin/staff/`+clerk.ID+`"`) {
		t.Error("the staff list offers no way to change a person's role or site")
	}
	if form := one.get(t, "/staff/admin/staff/"+clerk.ID); form.Status != http.StatusOK || !strings.Contains(form.Body, `<option value="`+e.siteA.ID+`" selected>`) {
		t.Errorf("edit form = %d, want the clerk's site selected", form.Status)
	}
	r := one.post(t, "/staff/admin/staff/"+sup.ID, url.Values{"display_name": {"Sam"}, "role": {"auditor"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("supervisor → auditor = %d: %s", r.Status, text(r.Body))
	}
	if got, _ := e.app.Auth.StaffByID(ctx, auth.System(), sup.ID); got.Role != auth.RoleAuditor {
		t.Errorf("role after the change = %s, want auditor", got.Role)
	}
	r = one.post(t, "/staff/admin/staff/"+clerk.ID, url.Values{"role": {"clerk"}, "site": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "Site: ") {
		t.Errorf("clerk without a site = %d, want 422 naming the site field: %s", r.Status, text(r.Body))
	}
	r = one.post(t, "/staff/admin/staff/"+clerk.ID, url.Values{"role": {"clerk"}, "site": {e.siteB.ID}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("move clerk to site B = %d, want 202 (waits for a second administrator)", r.Status)
	}
	if got, _ := e.app.Auth.StaffByID(ctx, auth.System(), clerk.ID); got.SiteID != e.siteA.ID {
		t.Errorf("site changed before approval: %s", got.SiteID)
	}
	two := e.signIn(t, "admin-two", testPassword)
	reqs, err := e.app.Auth.StaffRequests(ctx, auth.System())
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests = %v, %v", reqs, err)
	}
	if r := two.post(t, "/staff/admin/staff/requests/"+reqs[0].ID+"/approve", nil); r.Status >= 400 {
		t.Fatalf("approve = %d: %s", r.Status, text(r.Body))
	}
	if got, _ := e.app.Auth.StaffByID(ctx, auth.System(), clerk.ID); got.SiteID != e.siteB.ID {
		t.Errorf("site after approval = %s, want site B", got.SiteID)
	}
}
