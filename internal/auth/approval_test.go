package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func actorOf(s auth.Staff) auth.Actor {
	return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
}

// TestPromotionNeedsSecondAdministrator: making an account a reader of
// personal data, or moving a clerk to another site, waits for a second
// administrator; narrowing does not.
func TestPromotionNeedsSecondAdministrator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addSite(t, "site_a", "A")
		f.addSite(t, "site_b", "B")
		one := actorOf(f.addStaff(t, "admin-one", auth.RoleAdmin))
		two := actorOf(f.addStaff(t, "admin-two", auth.RoleAdmin))
		aud := f.addStaff(t, "audra", auth.RoleAuditor)

		cases := []struct {
			name    string
			to      auth.Profile
			pending bool
		}{
			{"auditor to supervisor", auth.Profile{Role: auth.RoleSupervisor}, true},
			{"auditor to clerk", auth.Profile{Role: auth.RoleClerk, SiteID: "site_a"}, true},
		}
		for _, tc := range cases {
			err := f.svc.UpdateStaff(ctx, one, aud.ID, tc.to)
			req, ok := auth.Pending(err)
			if !ok || !errors.Is(err, auth.ErrAwaitingApproval) || req.Kind != auth.RequestRole || req.Role != tc.to.Role {
				t.Fatalf("UpdateStaff(%s) = %v, want a pending role request", tc.name, err)
			}
			if got, _ := f.svc.StaffByID(ctx, one, aud.ID); got.Role != auth.RoleAuditor {
				t.Errorf("%s: role before approval = %s, want auditor", tc.name, got.Role)
			}
		}
		reqs, err := f.svc.StaffRequests(ctx, two)
		if err != nil || len(reqs) != 2 {
			t.Fatalf("StaffRequests = %d, %v; want 2", len(reqs), err)
		}
		if reqs[0].Role == auth.RoleClerk { // same microsecond: any order
			reqs[0], reqs[1] = reqs[1], reqs[0]
		}
		if _, _, err := f.svc.ApproveStaffRequest(ctx, one, reqs[1].ID); !errors.Is(err, auth.ErrSameAdministrator) {
			t.Errorf("approve own request: %v, want ErrSameAdministrator", err)
		}
		st, pw, err := f.svc.ApproveStaffRequest(ctx, two, reqs[1].ID)
		if err != nil || st.Role != auth.RoleClerk || st.SiteID != "site_a" || pw != "" {
			t.Fatalf("approve = %+v, %q, %v; want a clerk at site_a and no password", st, pw, err)
		}
		if err := f.svc.RefuseStaffRequest(ctx, one, reqs[0].ID); err != nil {
			t.Fatalf("withdraw own request: %v", err)
		}
		// A clerk moved to another site reads other records: approval.
		if _, ok := auth.Pending(f.svc.UpdateStaff(ctx, one, aud.ID, auth.Profile{Role: auth.RoleClerk, SiteID: "site_b"})); !ok {
			t.Errorf("moving a clerk to another site did not wait for approval")
		}
		// Narrowing or renaming needs nobody.
		if err := f.svc.UpdateStaff(ctx, one, aud.ID, auth.Profile{DisplayName: "Audra", Role: auth.RoleClerk, SiteID: "site_a"}); err != nil {
			t.Errorf("renaming a clerk: %v", err)
		}
		if err := f.svc.UpdateStaff(ctx, one, aud.ID, auth.Profile{Role: auth.RoleAuditor}); err != nil {
			t.Errorf("clerk to auditor: %v", err)
		}
		want := []string{
			one.StaffID + " staff.request role", one.StaffID + " staff.request role",
			two.StaffID + " staff.request.approve role", one.StaffID + " staff.request.refuse role",
			one.StaffID + " staff.request role",
		}
		if got := requestEvents(t, db); !slices.Equal(got, want) {
			t.Errorf("request events = %q, want %q", got, want)
		}
	})
}

// TestSingleAdministratorSetting: the change takes effect at once, with an
// alert event for the auditors.
func TestSingleAdministratorSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, func(o *auth.Options) { o.SingleAdministrator = true })
		one := actorOf(f.addStaff(t, "admin-one", auth.RoleAdmin))
		aud := f.addStaff(t, "audra", auth.RoleAuditor)
		if err := f.svc.UpdateStaff(ctx, one, aud.ID, auth.Profile{Role: auth.RoleSupervisor}); err != nil {
			t.Fatalf("UpdateStaff: %v", err)
		}
		if pw, err := f.svc.ResetStaff(ctx, one, aud.ID); err != nil || pw == "" {
			t.Fatalf("ResetStaff = %q, %v", pw, err)
		}
		got := actions(t, db, aud.ID)
		for _, w := range []string{one.StaffID + " staff.alert.single_administrator"} {
			n := 0
			for _, g := range got {
				if g == w {
					n++
				}
			}
			if n != 2 {
				t.Errorf("audit of the account = %q, want %q twice (promotion and reset)", got, w)
			}
		}
	})
}

// TestOneTimePasswordExpires: a one-time password works for a day, then
// answers like a wrong password.
func TestOneTimePasswordExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		for _, tc := range []struct {
			wait time.Duration
			ok   bool
		}{{23 * time.Hour, true}, {24 * time.Hour, false}} {
			st, pw, err := f.svc.CreateStaffOneTime(ctx, auth.System(), auth.NewStaff{Username: "aud" + tc.wait.String()[:2], Role: auth.RoleAuditor})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(tc.wait)
			_, next, err := f.svc.Login(ctx, st.Username, pw, "10.0.0.1")
			if ok := err == nil && next == auth.StepChangePassword; ok != tc.ok {
				t.Errorf("Login with a one-time password after %v = %q, %v; want ok %v", tc.wait, next, err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("expired one-time password error = %v, want ErrInvalidCredentials (same answer as a wrong password)", err)
			}
			if !tc.ok {
				if a := actions(t, db, st.ID); a[len(a)-1] != "anonymous auth.login.one_time_expired:denied" {
					t.Errorf("last audit action = %q, want the expiry refusal", a[len(a)-1])
				}
				// A reset gives a fresh day.
				pw, err := f.svc.ResetStaff(ctx, auth.System(), st.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := f.svc.Login(ctx, st.Username, pw, "10.0.0.1"); err != nil {
					t.Errorf("Login after a reset: %v", err)
				}
			}
		}
	})
}

func requestEvents(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	evs, err := db.AuditEvents(context.Background(), audit.Filter{RecordType: "staff_request", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Actor+" "+evs[i].Action+" "+evs[i].Purpose)
	}
	return out
}
