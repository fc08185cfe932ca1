package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
)

var (
	oneTimeRE = regexp.MustCompile(`id="one-time-password">([a-z0-9-]+)<`)
	approveRE = regexp.MustCompile(`id="approve-[^"]+" action="(/staff/admin/staff/requests/req_[0-9a-f]+)/approve"`)
	refuseRE  = regexp.MustCompile(`action="(/staff/admin/staff/requests/req_[0-9a-f]+)/refuse"`)
)

// auditActions returns "actor action purpose" of every event with action
// prefix, oldest first.
func (e *env) auditActions(t *testing.T, prefix string) []string {
	t.Helper()
	events, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		if ev := events[i]; strings.HasPrefix(ev.Action, prefix) {
			out = append(out, strings.TrimSpace(ev.Actor+" "+ev.Action+" "+ev.Purpose))
		}
	}
	return out
}

// An administrator alone cannot make an account that reads personal data
// (nor take one over with a reset): the form files a request, no account
// or password appears, the requester cannot approve it, and a second
// administrator who approves it receives the one-time password.
func TestSecondAdministratorApprovesReaders(t *testing.T) {
	e := newEnv(t)
	a1 := e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	a2 := e.addStaff(t, "admin-two", auth.RoleAdmin, "")
	clerk := e.addStaff(t, "clara", auth.RoleClerk, e.siteA.ID)
	one := e.signIn(t, "admin-one", testPassword)
	two := e.signIn(t, "admin-two", testPassword)
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"supervisor", url.Values{"username": {"mallory"}, "role": {"supervisor"}}},
		{"clerk", url.Values{"username": {"mallet"}, "role": {"clerk"}, "site": {e.siteA.ID}}},
		// A second administrator of her own would approve her requests.
		{"admin", url.Values{"username": {"admin-three"}, "role": {"admin"}}},
	} {
		r := one.post(t, "/staff/admin/staff", tc.form)
		if r.Status != http.StatusAccepted || oneTimeRE.MatchString(r.Body) {
			t.Errorf("POST /staff/admin/staff (%s) = %d, one-time password shown %v; want 202 and none", tc.name, r.Status, oneTimeRE.MatchString(r.Body))
		}
		if _, err := e.app.Auth.StaffByUsername(ctx, auth.System(), tc.form.Get("username")); err == nil {
			t.Errorf("account %s exists before a second administrator approved it", tc.form.Get("username"))
		}
	}
	// An auditor or a verifier reads no personal data: no approval needed.
	if r := one.post(t, "/staff/admin/staff", url.Values{"username": {"audra"}, "role": {"auditor"}}); r.Status != http.StatusOK || !oneTimeRE.MatchString(r.Body) {
		t.Errorf("POST /staff/admin/staff (auditor) = %d, password shown %v; want 200 with the password", r.Status, oneTimeRE.MatchString(r.Body))
	}
	// Resetting a clerk hands the account to whoever holds the password.
	if r := one.post(t, "/staff/admin/staff/"+clerk.ID+"/reset", nil); r.Status != http.StatusAccepted || oneTimeRE.MatchString(r.Body) {
		t.Errorf("POST reset of a clerk = %d, password shown %v; want 202 and none", r.Status, oneTimeRE.MatchString(r.Body))
	}
	if _, _, err := e.app.Auth.Login(ctx, "clara", testPassword, "192.0.2.9"); err != nil {
		t.Errorf("clerk's password after a reset awaiting approval: %v; want it unchanged", err)
	}

	// The requester sees withdraw buttons only, and approving her own request is refused.
	page := one.get(t, "/staff/admin/staff")
	if approveRE.MatchString(page.Body) {
		t.Errorf("the requesting administrator is offered an approve button")
	}
	reqs := refuseRE.FindAllStringSubmatch(page.Body, -1)
	if len(reqs) != 4 {
		t.Fatalf("staff page of the requester lists %d requests, want 4", len(reqs))
	}
	if r := one.post(t, reqs[0][1]+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("requester approves her own request = %d, want 403", r.Status)
	}

	// The second administrator approves each and receives the passwords.
	page = two.get(t, "/staff/admin/staff")
	approvals := approveRE.FindAllStringSubmatch(page.Body, -1)
	if len(approvals) != 4 {
		t.Fatalf("staff page of the second administrator offers %d approvals, want 4", len(approvals))
	}
	for _, m := range approvals {
		r := two.post(t, m[1]+"/approve", nil)
		if r.Status != http.StatusOK || !oneTimeRE.MatchString(r.Body) {
			t.Errorf("POST %s/approve = %d, password shown %v; want 200 with the password", m[1], r.Status, oneTimeRE.MatchString(r.Body))
		}
	}
	st, err := e.app.Auth.StaffByUsername(ctx, auth.System(), "mallory")
	if err != nil || st.Role != auth.RoleSupervisor || !st.MustChangePassword {
		t.Errorf("after approval: mallory = %+v, %v; want a supervisor with a one-time password", st, err)
	}
	if _, _, err := e.app.Auth.Login(ctx, "clara", testPassword, "192.0.2.9"); err == nil {
		t.Errorf("clerk's old password works after the approved reset")
	}
	got := e.auditActions(t, "staff.request")
	want := []string{
		a1.ID + " staff.request create", a1.ID + " staff.request create", a1.ID + " staff.request create", a1.ID + " staff.request reset",
		a2.ID + " staff.request.approve create", a2.ID + " staff.request.approve create", a2.ID + " staff.request.approve create",
		a2.ID + " staff.request.approve reset",
	}
	slices.Sort(got) // requests made in the same microsecond list in any order
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit of requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := two.get(t, "/staff/admin/staff"); approveRE.MatchString(r.Body) || refuseRE.MatchString(r.Body) {
		t.Errorf("decided requests still listed")
	}
}

// A refused or withdrawn request changes nothing.
func TestStaffRequestRefused(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	e.addStaff(t, "admin-two", auth.RoleAdmin, "")
	one := e.signIn(t, "admin-one", testPassword)
	two := e.signIn(t, "admin-two", testPassword)
	one.post(t, "/staff/admin/staff", url.Values{"username": {"mallory"}, "role": {"supervisor"}})
	m := refuseRE.FindStringSubmatch(two.get(t, "/staff/admin/staff").Body)
	if m == nil {
		t.Fatal("no request listed")
	}
	if r := two.post(t, m[1]+"/refuse", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("POST refuse = %d, want 303", r.Status)
	}
	if r := two.post(t, m[1]+"/approve", nil); r.Status != http.StatusNotFound {
		t.Errorf("approving a refused request = %d, want 404", r.Status)
	}
	if _, err := e.app.Auth.StaffByUsername(context.Background(), auth.System(), "mallory"); err == nil {
		t.Errorf("a refused request created the account")
	}
}

// The only administrator may make a second one, with an alert; from then
// on each needs the other.
func TestSoleAdministratorMakesASecond(t *testing.T) {
	e := newBareEnv(t)
	a1 := e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	one := e.signIn(t, "admin-one", testPassword)
	if r := one.post(t, "/staff/admin/staff", url.Values{"username": {"admin-two"}, "role": {"admin"}}); r.Status != http.StatusOK || !oneTimeRE.MatchString(r.Body) {
		t.Fatalf("the only administrator makes a second = %d; want 200 with the password", r.Status)
	}
	if got := e.auditActions(t, "staff.alert"); len(got) != 1 || got[0] != a1.ID+" staff.alert.sole_administrator create" {
		t.Errorf("alert events = %q, want one sole_administrator alert", got)
	}
	if r := one.post(t, "/staff/admin/staff", url.Values{"username": {"admin-three"}, "role": {"admin"}}); r.Status != http.StatusAccepted {
		t.Errorf("a third administrator = %d, want 202 (awaiting the second)", r.Status)
	}
}

// A city with one administrator says so in its settings: the account is
// made at once, and an alert event tells the auditors.
func TestSingleAdministratorAlert(t *testing.T) {
	e := newBareEnv(t, func(o *auth.Options) { o.SingleAdministrator = true })
	a1 := e.addStaff(t, "admin-one", auth.RoleAdmin, "")
	one := e.signIn(t, "admin-one", testPassword)
	r := one.post(t, "/staff/admin/staff", url.Values{"username": {"mallory"}, "role": {"supervisor"}})
	if r.Status != http.StatusOK || !oneTimeRE.MatchString(r.Body) {
		t.Fatalf("POST /staff/admin/staff = %d; want 200 with the password", r.Status)
	}
	if _, err := e.app.Auth.StaffByUsername(context.Background(), auth.System(), "mallory"); err != nil {
		t.Fatal(err)
	}
	if got := e.auditActions(t, "staff.alert"); len(got) != 1 || got[0] != a1.ID+" staff.alert.single_administrator create" {
		t.Errorf("alert events = %q, want one single_administrator alert by %s", got, a1.ID)
	}
	if r := one.post(t, "/staff/admin/staff", url.Values{"username": {"audra"}, "role": {"auditor"}}); r.Status != http.StatusOK {
		t.Fatalf("POST auditor = %d", r.Status)
	}
	if got := e.auditActions(t, "staff.alert"); len(got) != 1 {
		t.Errorf("an auditor account raised an alert: %q", got)
	}
}

// A one-time password left unused for a day no longer signs in, and says
// so no differently from a wrong password.
func TestStaleOneTimePasswordRefused(t *testing.T) {
	e := newBareEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user string
		wait time.Duration
		want int
	}{{"fresh", 23 * time.Hour, http.StatusSeeOther}, {"stale", 24 * time.Hour, http.StatusUnauthorized}} {
		_, pw, err := e.app.Auth.CreateStaffOneTime(ctx, auth.System(), auth.NewStaff{Username: tc.user, Role: auth.RoleAuditor})
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Add(tc.wait)
		r := e.client().post(t, "/login", url.Values{"username": {tc.user}, "password": {pw}})
		wrong := e.client().post(t, "/login", url.Values{"username": {tc.user}, "password": {pw + "x"}})
		if r.Status != tc.want {
			t.Errorf("POST /login with a one-time password %v old = %d, want %d", tc.wait, r.Status, tc.want)
		}
		if tc.want == http.StatusUnauthorized && text(r.Body) != text(wrong.Body) {
			t.Errorf("a stale one-time password answers differently from a wrong one:\n%s\nvs\n%s", text(r.Body), text(wrong.Body))
		}
	}
}
