package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		admin := f.addStaff(t, "boss", auth.RoleAdmin)
		ana := f.addStaff(t, "ana", auth.RoleSupervisor)
		bea := f.addStaff(t, "bea", auth.RoleSupervisor)
		anaActor := auth.Actor{StaffID: ana.ID, Username: "ana", Role: auth.RoleSupervisor}
		beaActor := auth.Actor{StaffID: bea.ID, Username: "bea", Role: auth.RoleSupervisor}

		token, id, err := f.svc.CreateAPIToken(ctx, anaActor, "nightly export")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(token, "cid_") || len(token) != 4+43 {
			t.Errorf("CreateAPIToken() token = %q, want cid_ and 43 base64url characters", token)
		}
		if row, _ := db.APITokenByID(ctx, id); strings.Contains(string(row.TokenHash), token[4:]) {
			t.Errorf("the token is stored in clear")
		}
		got, err := f.svc.APIToken(ctx, token)
		wantActor := anaActor
		wantActor.TokenID = id // the token a request came with, for budgets and audit
		if err != nil || got != wantActor {
			t.Errorf("APIToken() = %+v, %v; want %+v", got, err, wantActor)
		}
		row, _ := db.APITokenByID(ctx, id)
		if !row.LastUsedAt.Equal(f.clock.Now()) {
			t.Errorf("LastUsedAt = %v, want %v", row.LastUsedAt, f.clock.Now())
		}
		f.clock.Advance(30 * time.Second)
		f.svc.APIToken(ctx, token)
		if again, _ := db.APITokenByID(ctx, id); !again.LastUsedAt.Equal(row.LastUsedAt) {
			t.Errorf("LastUsedAt moved within a minute (%v), want at most one write a minute", again.LastUsedAt)
		}

		for _, bad := range []string{"", "cid_", "cid_AAAA", "xyz_" + token[4:], token + "x"} {
			if _, err := f.svc.APIToken(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("APIToken(%q) error = %v, want ErrInvalidToken", bad, err)
			}
		}
		var fe person.Errors
		if _, _, err := f.svc.CreateAPIToken(ctx, anaActor, "  "); !errors.As(err, &fe) || fe.For("name") != "error.required" {
			t.Errorf("CreateAPIToken(blank name) error = %v, want name error.required", err)
		}
		if _, _, err := f.svc.CreateAPIToken(ctx, auth.System(), "cron"); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("CreateAPIToken(system) error = %v, want ErrForbidden", err)
		}
		if err := f.svc.RevokeAPIToken(ctx, beaActor, id); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("RevokeAPIToken(by another supervisor) error = %v, want ErrForbidden", err)
		}
		if list, _ := f.svc.APITokens(ctx, beaActor); len(list) != 0 {
			t.Errorf("APITokens(bea) = %v, want none of ana's", list)
		}
		if list, _ := f.svc.APITokens(ctx, auth.Actor{StaffID: admin.ID, Role: auth.RoleAdmin}); len(list) != 1 || list[0].Name != "nightly export" {
			t.Errorf("APITokens(admin) = %v, want ana's token", list)
		}
		if err := f.svc.RevokeAPIToken(ctx, anaActor, id); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIToken(ctx, token); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("APIToken(revoked) error = %v, want ErrInvalidToken", err)
		}

		// A disabled owner's tokens stop working.
		token2, _, err := f.svc.CreateAPIToken(ctx, beaActor, "kiosk")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DisableStaff(ctx, auth.System(), bea.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIToken(ctx, token2); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("APIToken(disabled owner) error = %v, want ErrInvalidToken", err)
		}
		want := []string{ana.ID + " auth.token.create", ana.ID + " auth.token.revoke"}
		got2 := actions(t, db, id)
		if strings.Join(got2, ",") != strings.Join(want, ",") {
			t.Errorf("token audit trail = %v, want %v", got2, want)
		}
	})
}

// TestTokensDieWithPasswordChange: changing the password (the owner, or the
// CLI's reset with a chosen password) revokes the account's API tokens.
func TestTokensDieWithPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		st := f.addStaff(t, "ana", auth.RoleSupervisor)
		actor := auth.Actor{StaffID: st.ID, Username: "ana", Role: auth.RoleSupervisor}
		session, _ := f.enroll(t, "ana")
		tok1, _, err := f.svc.CreateAPIToken(ctx, actor, "first")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ChangePassword(ctx, session, goodPassword, goodPassword+" and more"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIToken(ctx, tok1); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("APIToken after a password change = %v, want ErrInvalidToken", err)
		}
		tok2, _, err := f.svc.CreateAPIToken(ctx, actor, "second")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetPassword(ctx, "ana", "a completely different passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIToken(ctx, tok2); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("APIToken after user reset --password-stdin = %v, want ErrInvalidToken", err)
		}
	})
}

// TestTokenLifetimeFromSettings: security.api_token_days sets the lifetime.
func TestTokenLifetimeFromSettings(t *testing.T) {
	s := config.Default()
	s.Security.APITokenDays = 7
	if got := auth.OptionsFrom(s).APITokenLifetime; got != 7*24*time.Hour {
		t.Errorf("OptionsFrom(api_token_days = 7).APITokenLifetime = %v, want 168h", got)
	}
	if got := auth.DefaultOptions().APITokenLifetime; got != 90*24*time.Hour {
		t.Errorf("default APITokenLifetime = %v, want 90 days", got)
	}
}
