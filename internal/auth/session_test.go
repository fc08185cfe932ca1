package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/vault"
)

func TestReplayedTOTPRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		st := f.addStaff(t, "ana", auth.RoleSupervisor)
		_, secret := f.enroll(t, "ana")
		// The enrollment code's step is used up: the same code, or any
		// earlier one still inside the skew window, must fail.
		tok, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{f.clock.Now(), f.clock.Now().Add(-30 * time.Second)} {
			if _, err := f.svc.VerifyTOTP(ctx, tok, f.svc.CodeAt(secret, at), "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Errorf("VerifyTOTP(used or older code) error = %v, want ErrBadCode", err)
			}
		}
		// The next step's code is accepted within the skew window, once.
		next := f.svc.CodeAt(secret, f.clock.Now().Add(30*time.Second))
		full, err := f.svc.VerifyTOTP(ctx, tok, next, "192.0.2.1")
		if err != nil {
			t.Fatalf("VerifyTOTP(next step's code) error = %v, want accepted", err)
		}
		tok2, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.VerifyTOTP(ctx, tok2, next, "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("VerifyTOTP(code replayed in another session) error = %v, want ErrBadCode", err)
		}
		if _, err := f.svc.VerifyTOTP(ctx, full, next, "192.0.2.1"); !errors.Is(err, auth.ErrWrongStep) {
			t.Errorf("VerifyTOTP on a signed-in session error = %v, want ErrWrongStep", err)
		}
		evs, _ := db.AuditEvents(ctx, audit.Filter{RecordID: st.ID, Action: "auth.totp.replayed"})
		if len(evs) != 3 {
			t.Errorf("auth.totp.replayed events = %d, want 3 (two in the first session, one in the second)", len(evs))
		}
	})
}

func TestTOTPFailuresLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addStaff(t, "ana", auth.RoleSupervisor)
		signedIn, secret := f.enroll(t, "ana")
		f.clock.Advance(time.Minute)
		tok, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := f.svc.VerifyTOTP(ctx, tok, "000000", "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("VerifyTOTP(wrong #%d) error = %v, want ErrBadCode", i+1, err)
			}
		}
		// The lock ends the half-open session too.
		if _, err := f.svc.VerifyTOTP(ctx, tok, f.svc.CodeAt(secret, f.clock.Now()), "192.0.2.1"); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("VerifyTOTP after 5 wrong codes: error = %v, want ErrNoSession", err)
		}
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); !errors.Is(err, auth.ErrLocked) {
			t.Errorf("Login after 5 wrong codes: error = %v, want ErrLocked", err)
		}
		// Someone guessing must not be able to throw the owner out of a signed-in session.
		if s, err := f.svc.Session(ctx, signedIn); err != nil || !s.MFADone {
			t.Errorf("Session(owner's signed-in session) after the lock = %+v, %v; want alive", s, err)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addStaff(t, "ana", auth.RoleSupervisor)
		tok, secret := f.enroll(t, "ana")

		t.Run("idle", func(t *testing.T) {
			f.clock.Advance(29 * time.Minute)
			if _, err := f.svc.Session(ctx, tok); err != nil {
				t.Fatalf("Session after 29 idle minutes: %v", err)
			}
			f.clock.Advance(30 * time.Minute)
			wantNoSession(t, f.svc, tok, "30 minutes after the last request")
		})
		t.Run("absolute", func(t *testing.T) {
			tok := f.signIn(t, "ana", secret)
			start := f.clock.Now()
			for f.clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
				f.clock.Advance(20 * time.Minute)
				if _, err := f.svc.Session(ctx, tok); err != nil {
					t.Fatalf("Session after %v of activity: %v", f.clock.Now().Sub(start), err)
				}
			}
			f.clock.Advance(20 * time.Minute)
			wantNoSession(t, f.svc, tok, "12 hours after login, though active")
		})
	})
}

func TestLogoutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addStaff(t, "ana", auth.RoleSupervisor)
		f.addStaff(t, "bea", auth.RoleSupervisor)
		a1, secret := f.enroll(t, "ana")
		a2 := f.signIn(t, "ana", secret)
		b, _ := f.enroll(t, "bea")
		if err := f.svc.LogoutEverywhere(ctx, a2); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, f.svc, a1, "ana's first device")
		wantNoSession(t, f.svc, a2, "ana's second device")
		if _, err := f.svc.Session(ctx, b); err != nil {
			t.Errorf("Session(bea) after ana logged out everywhere: %v, want alive", err)
		}
		if err := f.svc.Logout(ctx, a1); err != nil {
			t.Errorf("Logout(already ended) error = %v, want nil", err)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addStaff(t, "ana", auth.RoleSupervisor)
		a1, secret := f.enroll(t, "ana")
		a2 := f.signIn(t, "ana", secret)
		if _, err := f.svc.ChangePassword(ctx, a2, "not my password at all", "another good passphrase"); err == nil {
			t.Errorf("ChangePassword(wrong current) succeeded, want an error")
		}
		next, err := f.svc.ChangePassword(ctx, a2, goodPassword, "another good passphrase")
		if err != nil || next != auth.StepDone {
			t.Fatalf("ChangePassword() = %q, %v; want done", next, err)
		}
		wantNoSession(t, f.svc, a1, "other device after a password change")
		if _, err := f.svc.Session(ctx, a2); err != nil {
			t.Errorf("Session(the changing device) = %v, want alive", err)
		}
		if _, _, err := f.svc.Login(ctx, "ana", "another good passphrase", "10.0.0.1"); err != nil {
			t.Errorf("Login(new password) error = %v", err)
		}
	})
}

func TestRateLimitPerIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, func(o *auth.Options) { o.PerIPPerMinute = 3 })
		f.addStaff(t, "ana", auth.RoleSupervisor)
		for i := range 3 {
			if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.9"); err != nil {
				t.Fatalf("Login #%d: %v", i+1, err)
			}
		}
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.9"); !errors.Is(err, auth.ErrRateLimited) {
			t.Errorf("Login #4 from one address: error = %v, want ErrRateLimited", err)
		}
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.10"); err != nil {
			t.Errorf("Login from another address: %v, want allowed", err)
		}
		f.clock.Advance(20 * time.Second) // a minute refills 3, so 20 s refills one
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.9"); err != nil {
			t.Errorf("Login after 20 s: %v, want allowed", err)
		}
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.9"); !errors.Is(err, auth.ErrRateLimited) {
			t.Errorf("second Login after 20 s: error = %v, want ErrRateLimited", err)
		}
	})
}

// TestRateLimitPerIPAcrossServers: with several app servers on one
// PostgreSQL database, an address's login attempts are counted once for all
// of them: three on server A leave none on server B.
func TestRateLimitPerIPAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("shared limits are for several servers on PostgreSQL; SQLite has one server")
		}
		ctx := context.Background()
		keys, err := vault.GenerateKeys(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		// Both servers open the same data directory's keys.
		v := vault.New(keys.KEK(), keys.IndexKey(), rand.Reader)
		c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
		server := func() *auth.Service {
			o := auth.DefaultOptions()
			o.Argon = auth.TestParams()
			o.PerIPPerMinute = 3
			o.ContextWords = []string{"New Haven"}
			o.Shared = db
			return auth.NewService(db.Auth(), v, o, c.Now, rand.Reader)
		}
		a, b := server(), server()
		if _, err := a.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: "ana", Role: auth.RoleSupervisor, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, _, err := a.Login(ctx, "ana", goodPassword, "10.0.0.9"); err != nil {
				t.Fatalf("Login #%d on server A: %v", i+1, err)
			}
		}
		if _, _, err := b.Login(ctx, "ana", goodPassword, "10.0.0.9"); !errors.Is(err, auth.ErrRateLimited) {
			t.Errorf("Login #4 from the same address on server B: error = %v, want ErrRateLimited", err)
		}
		if _, _, err := b.Login(ctx, "ana", goodPassword, "10.0.0.10"); err != nil {
			t.Errorf("Login from another address on server B: %v, want allowed", err)
		}
	})
}
