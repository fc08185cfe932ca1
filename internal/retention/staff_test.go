package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"errors"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
)

// TestDisabledStaffLoseTheirNames: a staff account disabled longer than
// staff_disabled_days loses its username and display name (and password
// and authenticator) at the next purge, with an audit event naming the
// account id; audit events it wrote still name the same id. An account
// disabled more recently, and an active one, keep theirs.
func TestDisabledStaffLoseTheirNames(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := apptest.Staff(t, e.app, "boss", auth.RoleAdmin, "")
		pol := fullPolicy
		pol.StaffDisabledDays = 100
		old := apptest.Staff(t, e.app, "marta.old", auth.RoleClerk, e.clerk.SiteID)
		if err := e.app.Auth.DisableStaff(ctx, admin, old.StaffID); err != nil {
			t.Fatal(err)
		}
		e.clock.AddDays(60)
		recent := apptest.Staff(t, e.app, "jose.recent", auth.RoleClerk, e.clerk.SiteID)
		if err := e.app.Auth.DisableStaff(ctx, admin, recent.StaffID); err != nil {
			t.Fatal(err)
		}
		e.clock.AddDays(45) // old: disabled 105 days ago; recent: 45
		res, err := e.engine(t, pol, Options{}).Purge(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Staff != 1 {
			t.Errorf("Purge anonymized %d staff accounts, want 1", res.Staff)
		}
		got, err := e.app.Auth.StaffByID(ctx, admin, old.StaffID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != store.FormerStaffPrefix+old.StaffID || got.DisplayName != "" || got.TOTPEnrolled || !got.Disabled {
			t.Errorf("old account after the purge = %+v, want username %s%s, no name, no authenticator, disabled", got, store.FormerStaffPrefix, old.StaffID)
		}
		if _, err := e.app.Auth.StaffByUsername(ctx, admin, "marta.old"); err == nil {
			t.Error("the old username still finds the account")
		}
		for _, a := range []auth.Actor{recent, e.clerk} {
			s, err := e.app.Auth.StaffByID(ctx, admin, a.StaffID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(s.Username, store.FormerStaffPrefix) {
				t.Errorf("account %s (disabled recently or active) was anonymized", a.Username)
			}
		}
		// A retired account is never enabled again, not even by the
		// operator's command line, and cannot sign in with its old password.
		if !got.Retired {
			t.Errorf("old account after the purge: Retired = false, want true")
		}
		for _, by := range []auth.Actor{admin, auth.System()} {
			if err := e.app.Auth.EnableStaff(ctx, by, old.StaffID); !errors.Is(err, auth.ErrRetired) {
				t.Errorf("EnableStaff(retired) by %s = %v, want ErrRetired", by.Username, err)
			}
		}
		if got, _ := e.app.Auth.StaffByID(ctx, admin, old.StaffID); !got.Disabled {
			t.Error("the retired account was enabled")
		}
		if _, _, err := e.app.Auth.Login(ctx, store.FormerStaffPrefix+old.StaffID, apptest.Password, "10.0.0.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("login to the anonymized account = %v, want ErrInvalidCredentials", err)
		}
		evs, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordType: "staff", RecordID: old.StaffID, Action: "retention.staff_anonymize"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Actor != "system" {
			t.Errorf("audit events for the anonymization = %+v, want one by system", evs)
		}
		// A second purge changes nothing more.
		if res, err := e.engine(t, pol, Options{}).Purge(ctx, e.clock.Now()); err != nil || res.Staff != 0 {
			t.Errorf("second Purge anonymized %d (%v), want 0", res.Staff, err)
		}
	})
}
