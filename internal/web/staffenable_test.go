package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
)

// enableFormRE matches the enable button of the account id on the staff page.
func enableForm(id string) string { return `action="/staff/admin/staff/` + id + `/enable"` }

// Enabling a disabled account that reads personal data (or administers)
// waits for a second administrator, as creating one does: the requester
// cannot approve it, and until the other administrator does, the account
// stays disabled. Enabling an auditor needs nobody.
func TestEnableNeedsSecondAdministrator(t *testing.T) {
	e := newEnv(t)
	a1 := e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	a2 := e.addStaff(t, "admin-two", auth.RoleAdmin, "")
	clerk := e.addStaff(t, "clara", auth.RoleClerk, e.siteA.ID)
	auditor := e.addStaff(t, "audra", auth.RoleAuditor, "")
	one := e.signIn(t, "admin-one", testPassword)
	two := e.signIn(t, "admin-two", testPassword)
	ctx := context.Background()

	for _, st := range []auth.Staff{clerk, auditor} {
		if r := one.post(t, "/staff/admin/staff/"+st.ID+"/disable", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("POST disable %s = %d, want 303", st.Username, r.Status)
		}
	}
	if r := one.post(t, "/staff/admin/staff/"+auditor.ID+"/enable", nil); r.Status != http.StatusSeeOther {
		t.Errorf("POST enable of an auditor = %d, want 303 (no approval needed)", r.Status)
	}
	r := one.post(t, "/staff/admin/staff/"+clerk.ID+"/enable", nil)
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "waits for a second administrator") {
		t.Errorf("POST enable of a clerk = %d, want 202 saying it waits for a second administrator", r.Status)
	}
	if st, _ := e.app.Auth.StaffByID(ctx, auth.System(), clerk.ID); !st.Disabled {
		t.Fatal("the clerk was enabled before a second administrator approved")
	}
	if _, _, err := e.app.Auth.Login(ctx, "clara", testPassword, "192.0.2.9"); err == nil {
		t.Error("the disabled clerk signs in while the request waits")
	}
	page := one.get(t, "/staff/admin/staff")
	reqs := refuseRE.FindAllStringSubmatch(page.Body, -1)
	if len(reqs) != 1 || !strings.Contains(page.Body, "Enable again") {
		t.Fatalf("the requester's staff page lists %d requests (want 1, of kind \"Enable again\")", len(reqs))
	}
	if r := one.post(t, reqs[0][1]+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("the requester approves her own enable request = %d, want 403", r.Status)
	}
	m := approveRE.FindStringSubmatch(two.get(t, "/staff/admin/staff").Body)
	if m == nil {
		t.Fatal("the second administrator is offered no approval")
	}
	if r := two.post(t, m[1]+"/approve", nil); r.Status != http.StatusSeeOther || oneTimeRE.MatchString(r.Body) {
		t.Errorf("POST approve = %d, want 303 and no password", r.Status)
	}
	if st, _ := e.app.Auth.StaffByID(ctx, auth.System(), clerk.ID); st.Disabled {
		t.Error("the clerk is still disabled after the approval")
	}
	if _, _, err := e.app.Auth.Login(ctx, "clara", testPassword, "192.0.2.9"); err != nil {
		t.Errorf("the clerk's login after the approval: %v", err)
	}
	got := e.auditActions(t, "staff.request")
	want := []string{a1.ID + " staff.request enable", a2.ID + " staff.request.approve enable"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit of requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An account whose names retention erased (retired) stays disabled for
// good: the staff page shows it retired with no enable button, a forged
// enable is refused with a translated message and audited as denied, and
// an enable request approved after the account retired does nothing.
func TestRetiredStaffCannotBeEnabled(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	e.addStaff(t, "admin-two", auth.RoleAdmin, "")
	clerk := e.addStaff(t, "clara", auth.RoleClerk, e.siteA.ID)
	sup := e.addStaff(t, "sven", auth.RoleSupervisor, "")
	one := e.signIn(t, "admin-one", testPassword)
	two := e.signIn(t, "admin-two", testPassword)
	ctx := context.Background()
	for _, st := range []auth.Staff{clerk, sup} {
		if r := one.post(t, "/staff/admin/staff/"+st.ID+"/disable", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("POST disable %s = %d", st.Username, r.Status)
		}
	}
	// A request to enable sven, filed before retention runs.
	if r := one.post(t, "/staff/admin/staff/"+sup.ID+"/enable", nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST enable sven = %d, want 202", r.Status)
	}
	if page := one.get(t, "/staff/admin/staff"); !strings.Contains(page.Body, enableForm(clerk.ID)) {
		t.Fatal("a disabled (not yet retired) account has no enable button: the check below could not fail")
	}
	// The retention run: both were disabled before now.
	err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AnonymizeDisabledStaff(ctx, e.clk.Now().Add(time.Second), e.clk.Now(), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	page := one.get(t, "/staff/admin/staff")
	if strings.Contains(page.Body, enableForm(clerk.ID)) || !strings.Contains(page.Body, "Retired") {
		t.Errorf("staff page: enable button for the retired account %v, \"Retired\" shown %v; want no button, Retired shown",
			strings.Contains(page.Body, enableForm(clerk.ID)), strings.Contains(page.Body, "Retired"))
	}
	r := one.post(t, "/staff/admin/staff/"+clerk.ID+"/enable", nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "cannot be enabled again") {
		t.Errorf("POST enable of a retired account = %d, want 409 with the translated refusal", r.Status)
	}
	one.lang = "es"
	if r := one.post(t, "/staff/admin/staff/"+clerk.ID+"/enable", nil); !strings.Contains(r.Body, "no puede volver a activarse") {
		t.Errorf("POST enable of a retired account in Spanish = %d, want the Spanish refusal", r.Status)
	}
	m := approveRE.FindStringSubmatch(two.get(t, "/staff/admin/staff").Body)
	if m == nil {
		t.Fatal("the enable request for sven is no longer listed")
	}
	if r := two.post(t, m[1]+"/approve", nil); r.Status != http.StatusConflict {
		t.Errorf("approving an enable request of an account retired since = %d, want 409", r.Status)
	}
	for _, st := range []auth.Staff{clerk, sup} {
		if got, _ := e.app.Auth.StaffByID(ctx, auth.System(), st.ID); !got.Disabled || !got.Retired {
			t.Errorf("%s after the attempts: disabled %v, retired %v; want both", st.ID, got.Disabled, got.Retired)
		}
	}
	if approveRE.MatchString(two.get(t, "/staff/admin/staff").Body) {
		t.Error("the void enable request is still listed")
	}
	evs, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordType: "staff", RecordID: clerk.ID, Action: "staff.enable"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Outcome != audit.OutcomeDenied {
		t.Errorf("staff.enable events for the retired account = %+v, want two denied", evs)
	}
}
