package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func TestCreateStaffValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addSite(t, "site_hall", "City Hall")
		f.addStaff(t, "taken", auth.RoleAdmin)
		for _, tc := range []struct {
			name string
			in   auth.NewStaff
			want person.Errors
		}{
			{"ok clerk", auth.NewStaff{Username: " Maria.Lopez ", Role: auth.RoleClerk, SiteID: "site_hall", Password: goodPassword}, nil},
			{"missing everything", auth.NewStaff{}, person.Errors{
				{Field: "username", Key: "error.required"}, {Field: "role", Key: "error.invalid_choice"},
				{Field: "password", Key: "error.required"}}},
			{"bad username", auth.NewStaff{Username: "maría", Role: auth.RoleAdmin, Password: goodPassword},
				person.Errors{{Field: "username", Key: "auth.staff.username_chars"}}},
			{"short username", auth.NewStaff{Username: "ab", Role: auth.RoleAdmin, Password: goodPassword},
				person.Errors{{Field: "username", Key: "auth.staff.username_chars"}}},
			{"long username", auth.NewStaff{Username: strings.Repeat("a", 33), Role: auth.RoleAdmin, Password: goodPassword},
				person.Errors{{Field: "username", Key: "auth.staff.username_chars"}}},
			{"clerk without site", auth.NewStaff{Username: "clerk2", Role: auth.RoleClerk, Password: goodPassword},
				person.Errors{{Field: "site", Key: "auth.staff.site_required"}}},
			{"unknown site", auth.NewStaff{Username: "clerk3", Role: auth.RoleClerk, SiteID: "site_nope", Password: goodPassword},
				person.Errors{{Field: "site", Key: "auth.staff.site_unknown"}}},
			{"bad role", auth.NewStaff{Username: "boss", Role: "root", Password: goodPassword},
				person.Errors{{Field: "role", Key: "error.invalid_choice"}}},
			{"weak password", auth.NewStaff{Username: "weak", Role: auth.RoleAuditor, Password: "newhaven2026!"},
				person.Errors{{Field: "password", Key: auth.KeyPasswordCommon}}},
			{"password has username", auth.NewStaff{Username: "jdoe", Role: auth.RoleAuditor, Password: "jdoe likes long walks"},
				person.Errors{{Field: "password", Key: auth.KeyPasswordContainsUsername}}},
			{"taken", auth.NewStaff{Username: "TAKEN", Role: auth.RoleAdmin, Password: goodPassword},
				person.Errors{{Field: "username", Key: "auth.staff.username_taken"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st, err := f.svc.CreateStaff(ctx, auth.System(), tc.in)
				var got person.Errors
				if err != nil && !errors.As(err, &got) {
					t.Fatalf("CreateStaff() error = %v, want person.Errors", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("CreateStaff(%+v) errors (-want +got):\n%s", tc.in, diff)
				}
				if err == nil && (st.Username != "maria.lopez" || st.DisplayName != "maria.lopez" || st.SiteID != "site_hall" || st.TOTPEnrolled) {
					t.Errorf("CreateStaff() = %+v, want maria.lopez at site_hall without TOTP", st)
				}
			})
		}
	})
}

func TestStaffPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		admin := f.addStaff(t, "root.admin", auth.RoleAdmin)
		sup := f.addStaff(t, "sup", auth.RoleSupervisor)
		supActor := auth.Actor{StaffID: sup.ID, Username: sup.Username, Role: auth.RoleSupervisor}
		adminActor := auth.Actor{StaffID: admin.ID, Username: admin.Username, Role: auth.RoleAdmin}
		forbidden := map[string]error{}
		_, forbidden["CreateStaff"] = f.svc.CreateStaff(ctx, supActor, auth.NewStaff{Username: "x.y", Role: auth.RoleAdmin, Password: goodPassword})
		_, forbidden["ListStaff"] = f.svc.ListStaff(ctx, supActor)
		_, forbidden["StaffByID(other)"] = f.svc.StaffByID(ctx, supActor, admin.ID)
		forbidden["DisableStaff"] = f.svc.DisableStaff(ctx, supActor, admin.ID)
		forbidden["EnableStaff"] = f.svc.EnableStaff(ctx, supActor, admin.ID)
		_, forbidden["ResetStaff"] = f.svc.ResetStaff(ctx, supActor, admin.ID)
		forbidden["DisableStaff(self)"] = f.svc.DisableStaff(ctx, adminActor, admin.ID)
		for name, err := range forbidden {
			if !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s by a supervisor (or on oneself) error = %v, want ErrForbidden", name, err)
			}
		}
		if got, err := f.svc.StaffByID(ctx, supActor, sup.ID); err != nil || got.Username != "sup" {
			t.Errorf("StaffByID(self) = %+v, %v; want own account", got, err)
		}
		// The system actor (CLI) may disable the only administrator only if another one is enabled.
		if err := f.svc.DisableStaff(ctx, auth.System(), admin.ID); !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("DisableStaff(last admin) error = %v, want ErrLastAdmin", err)
		}
		list, err := f.svc.ListStaff(ctx, adminActor)
		if err != nil || len(list) != 2 {
			t.Errorf("ListStaff() = %d accounts, %v; want 2", len(list), err)
		}
	})
}

func TestDisableAndEnable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		admin := f.addStaff(t, "boss", auth.RoleAdmin)
		ana := f.addStaff(t, "ana", auth.RoleSupervisor)
		tok, secret := f.enroll(t, "ana")
		adminActor := auth.Actor{StaffID: admin.ID, Username: "boss", Role: auth.RoleAdmin}
		if err := f.svc.DisableStaff(ctx, adminActor, ana.ID); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, f.svc, tok, "of a disabled account")
		f.clock.Advance(30 * time.Second)
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(disabled) error = %v, want ErrInvalidCredentials", err)
		}
		// The only administrator cannot enable a supervisor alone (see
		// TestEnableNeedsSecondAdministrator); the operator's command line can.
		if err := f.svc.EnableStaff(ctx, adminActor, ana.ID); !errors.Is(err, auth.ErrAwaitingApproval) {
			t.Fatalf("EnableStaff(supervisor) by the only administrator = %v, want a request awaiting approval", err)
		}
		if err := f.svc.EnableStaff(ctx, auth.System(), ana.ID); err != nil {
			t.Fatal(err)
		}
		f.signIn(t, "ana", secret)
		want := []string{
			"system staff.create",
			ana.ID + " auth.login.password", ana.ID + " auth.totp.begin", ana.ID + " auth.totp.enroll", ana.ID + " auth.login",
			admin.ID + " staff.disable",
			"anonymous auth.login.disabled:denied",
			"system staff.enable",
			ana.ID + " auth.login.password", ana.ID + " auth.login.totp", ana.ID + " auth.login",
		}
		if diff := cmp.Diff(want, actions(t, db, ana.ID)); diff != "" {
			t.Errorf("audit trail (-want +got):\n%s", diff)
		}
	})
}

func TestResetStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		ana := f.addStaff(t, "ana", auth.RoleSupervisor)
		tok, _ := f.enroll(t, "ana")
		temp, err := f.svc.ResetStaff(ctx, auth.System(), ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, f.svc, tok, "after reset")
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(old password after reset) error = %v, want ErrInvalidCredentials", err)
		}
		tok, next, err := f.svc.Login(ctx, "ana", temp, "10.0.0.1")
		if err != nil || next != auth.StepChangePassword {
			t.Fatalf("Login(one-time password) = %q, %v; want change_password", next, err)
		}
		if next, err := f.svc.ChangePassword(ctx, tok, temp, "a brand new passphrase"); err != nil || next != auth.StepEnrollTOTP {
			t.Errorf("ChangePassword after reset = %q, %v; want enroll_totp (the authenticator was removed)", next, err)
		}

		// The CLI's reset with a chosen password: no change needed, TOTP again.
		if err := f.svc.SetPassword(ctx, "ANA", "the cli chose this passphrase"); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, f.svc, tok, "after SetPassword")
		if _, next, err := f.svc.Login(ctx, "ana", "the cli chose this passphrase", "10.0.0.1"); err != nil || next != auth.StepEnrollTOTP {
			t.Errorf("Login after SetPassword = %q, %v; want enroll_totp", next, err)
		}
		var fe person.Errors
		if err := f.svc.SetPassword(ctx, "ana", "short"); !errors.As(err, &fe) || fe.For("password") != auth.KeyPasswordTooShort {
			t.Errorf("SetPassword(short) error = %v, want password %s", err, auth.KeyPasswordTooShort)
		}
		if err := f.svc.SetPassword(ctx, "nobody", goodPassword); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetPassword(unknown user) error = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateStaffOneTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		st, pw, err := f.svc.CreateStaffOneTime(ctx, auth.System(), auth.NewStaff{Username: "aud", Role: auth.RoleAuditor})
		if err != nil {
			t.Fatal(err)
		}
		if !st.MustChangePassword || len(pw) != 23 {
			t.Errorf("CreateStaffOneTime() = %+v, %q; want must change and a 23-character password", st, pw)
		}
		if strings.ContainsAny(pw, "01ilo") {
			t.Errorf("one-time password %q has ambiguous characters", pw)
		}
		if _, next, err := f.svc.Login(ctx, "aud", pw, "10.0.0.1"); err != nil || next != auth.StepChangePassword {
			t.Errorf("Login(one-time) = %q, %v; want change_password", next, err)
		}
	})
}

func TestUpdateStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addSite(t, "site_lib", "Library")
		admin := f.addStaff(t, "boss", auth.RoleAdmin)
		ana := f.addStaff(t, "ana", auth.RoleSupervisor)
		tok, _ := f.enroll(t, "ana")
		adminActor := auth.Actor{StaffID: admin.ID, Username: "boss", Role: auth.RoleAdmin}

		var fe person.Errors
		if err := f.svc.UpdateStaff(ctx, adminActor, ana.ID, auth.Profile{Role: auth.RoleClerk}); !errors.As(err, &fe) || fe.For("site") != "auth.staff.site_required" {
			t.Errorf("UpdateStaff(clerk without site) error = %v, want site auth.staff.site_required", err)
		}
		if err := f.svc.UpdateStaff(ctx, adminActor, ana.ID, auth.Profile{DisplayName: " Ana Ruiz ", Role: auth.RoleClerk, SiteID: "site_lib"}); err != nil {
			t.Fatal(err)
		}
		s, err := f.svc.Session(ctx, tok)
		want := auth.Actor{StaffID: ana.ID, Username: "ana", Role: auth.RoleClerk, SiteID: "site_lib"}
		if err != nil || s.Actor != want {
			t.Errorf("Session().Actor after UpdateStaff = %+v, %v; want %+v (the change applies at once)", s.Actor, err, want)
		}
		if got, _ := f.svc.StaffByID(ctx, adminActor, ana.ID); got.DisplayName != "Ana Ruiz" {
			t.Errorf("DisplayName = %q, want %q", got.DisplayName, "Ana Ruiz")
		}
		if err := f.svc.UpdateStaff(ctx, adminActor, admin.ID, auth.Profile{Role: auth.RoleAuditor}); !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("UpdateStaff(demote the last admin) error = %v, want ErrLastAdmin", err)
		}
		if err := f.svc.UpdateStaff(ctx, want, admin.ID, auth.Profile{Role: auth.RoleAdmin}); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("UpdateStaff by a clerk error = %v, want ErrForbidden", err)
		}
		if err := f.svc.UpdateStaff(ctx, adminActor, "stf_nobody", auth.Profile{Role: auth.RoleAdmin}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateStaff(unknown id) error = %v, want ErrNotFound", err)
		}
		if a := actions(t, db, ana.ID); a[len(a)-1] != admin.ID+" staff.update" {
			t.Errorf("last audit action for ana = %q, want %q", a[len(a)-1], admin.ID+" staff.update")
		}
	})
}
