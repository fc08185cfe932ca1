package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
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
		if err != nil || got != anaActor {
			t.Errorf("APIToken() = %+v, %v; want %+v", got, err, anaActor)
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
		if _, _, err := f.svc.CreateAPIToken(ctx, auth.System(), "cron"); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("CreateAPIToken(system) error = %v, want ErrForbidden", err)
		}
		if err := f.svc.RevokeAPIToken(ctx, beaActor, id); !errors.Is(err, auth.ErrForbidden) {
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
