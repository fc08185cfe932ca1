package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/vault"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc   *auth.Service
	db    *store.DB
	clock *clock
}

const goodPassword = "purple tractor sings quietly"

func newFixture(t *testing.T, db *store.DB, change func(*auth.Options)) *fixture {
	t.Helper()
	keys, err := vault.GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(keys.KEK(), keys.IndexKey(), rand.Reader)
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	opts.PerIPPerMinute = 0
	opts.ContextWords = []string{"New Haven"}
	if change != nil {
		change(&opts)
	}
	c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	return &fixture{svc: auth.NewService(db.Auth(), v, opts, c.Now, rand.Reader), db: db, clock: c}
}

// addStaff creates an account with goodPassword that need not be changed.
func (f *fixture) addStaff(t *testing.T, username string, role auth.Role) auth.Staff {
	t.Helper()
	st, err := f.svc.CreateStaff(context.Background(), auth.System(), auth.NewStaff{Username: username, Role: role, Password: goodPassword})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", username, err)
	}
	return st
}

func (f *fixture) addSite(t *testing.T, id, name string) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateSite(ctx, store.Site{ID: id, Name: name, Kind: "partner", Active: true, CreatedAt: f.clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
}

// enroll logs in with goodPassword, enrols TOTP and returns the signed-in token and the secret.
func (f *fixture) enroll(t *testing.T, username string) (token, secret string) {
	t.Helper()
	ctx := context.Background()
	tok, next, err := f.svc.Login(ctx, username, goodPassword, "10.0.0.1")
	if err != nil || next != auth.StepEnrollTOTP {
		t.Fatalf("Login(%s) = %q, %v; want enroll_totp", username, next, err)
	}
	secret, _, err = f.svc.BeginTOTP(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	tok, err = f.svc.ConfirmTOTP(ctx, tok, f.svc.CodeAt(secret, f.clock.Now()), "192.0.2.1")
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	return tok, secret
}

// signIn logs in an enrolled account with password and TOTP; the clock moves
// on one step first so the code is fresh.
func (f *fixture) signIn(t *testing.T, username, secret string) string {
	t.Helper()
	ctx := context.Background()
	f.clock.Advance(30 * time.Second)
	tok, next, err := f.svc.Login(ctx, username, goodPassword, "10.0.0.1")
	if err != nil || next != auth.StepTOTP {
		t.Fatalf("Login(%s) = %q, %v; want totp", username, next, err)
	}
	tok, err = f.svc.VerifyTOTP(ctx, tok, f.svc.CodeAt(secret, f.clock.Now()), "192.0.2.1")
	if err != nil {
		t.Fatalf("VerifyTOTP: %v", err)
	}
	return tok
}

// actions returns the audit actions (with ":denied" marked) about a record, oldest first.
func actions(t *testing.T, db *store.DB, recordID string) []string {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), audit.Filter{RecordID: recordID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range slices.Backward(evs) {
		a := e.Actor + " " + e.Action
		if e.Outcome != "ok" {
			a += ":" + e.Outcome
		}
		out = append(out, a)
	}
	return out
}

func wantNoSession(t *testing.T, svc *auth.Service, token, why string) {
	t.Helper()
	if _, err := svc.Session(context.Background(), token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Session(%s) error = %v, want ErrNoSession", why, err)
	}
}

func TestFullLoginFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		user, pw, created, err := f.svc.Bootstrap(ctx)
		if err != nil || !created || user != "admin" || len(pw) < 20 {
			t.Fatalf("Bootstrap() = %q, %q, %v, %v; want admin, a 20+ character password, true", user, pw, created, err)
		}
		if _, _, again, err := f.svc.Bootstrap(ctx); again || err != nil {
			t.Errorf("second Bootstrap() created = %v, %v; want false, nil", again, err)
		}

		tok, next, err := f.svc.Login(ctx, "Admin ", pw, "10.0.0.1")
		if err != nil || next != auth.StepChangePassword {
			t.Fatalf("Login(admin, one-time) = %q, %v; want change_password", next, err)
		}
		s, err := f.svc.Session(ctx, tok)
		if err != nil || s.MFADone || s.Next != auth.StepChangePassword || s.Actor.Role != auth.RoleAdmin {
			t.Fatalf("Session(after password) = %+v, %v; want admin, not MFA done, change_password", s, err)
		}
		if _, _, err := f.svc.BeginTOTP(ctx, tok); !errors.Is(err, auth.ErrWrongStep) {
			t.Errorf("BeginTOTP before the password change: error = %v, want ErrWrongStep", err)
		}
		_, err = f.svc.ChangePassword(ctx, tok, pw, "password123456")
		var fe person.Errors
		if !errors.As(err, &fe) || fe.For("new_password") != auth.KeyPasswordCommon {
			t.Errorf("ChangePassword(common) error = %v, want new_password %s", err, auth.KeyPasswordCommon)
		}
		next, err = f.svc.ChangePassword(ctx, tok, pw, goodPassword)
		if err != nil || next != auth.StepEnrollTOTP {
			t.Fatalf("ChangePassword() = %q, %v; want enroll_totp", next, err)
		}

		secret, uri, err := f.svc.BeginTOTP(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := url.Parse(uri); err != nil || u.Query().Get("secret") != secret {
			t.Errorf("BeginTOTP URL %q does not carry the secret %q", uri, secret)
		}
		if again, _, _ := f.svc.BeginTOTP(ctx, tok); again != secret {
			t.Errorf("second BeginTOTP() secret = %q, want the pending %q", again, secret)
		}
		row, _ := db.StaffByUsername(ctx, "admin")
		if len(row.TOTPSecret) == 0 || strings.Contains(string(row.TOTPSecret), secret) {
			t.Errorf("stored TOTP secret %q is missing or in clear", row.TOTPSecret)
		}
		if _, err := f.svc.ConfirmTOTP(ctx, tok, "000000", "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("ConfirmTOTP(wrong code) error = %v, want ErrBadCode", err)
		}
		full, err := f.svc.ConfirmTOTP(ctx, tok, f.svc.CodeAt(secret, f.clock.Now()), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if full == tok {
			t.Errorf("ConfirmTOTP kept the session token; want a new one")
		}
		wantNoSession(t, f.svc, tok, "pre-MFA token after renewal")
		s, err = f.svc.Session(ctx, full)
		if err != nil || !s.MFADone || s.Next != auth.StepDone || s.Actor.Username != "admin" {
			t.Errorf("Session(after TOTP) = %+v, %v; want admin, MFA done", s, err)
		}
		if err := f.svc.Logout(ctx, full); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, f.svc, full, "after logout")

		full = f.signIn(t, "admin", secret)
		if s, err := f.svc.Session(ctx, full); err != nil || !s.MFADone {
			t.Errorf("Session(second login) = %+v, %v; want MFA done", s, err)
		}

		id := row.ID
		want := []string{
			"system staff.bootstrap",
			id + " auth.login.password",
			id + " auth.password.change",
			id + " auth.totp.begin",
			id + " auth.totp.enroll:denied",
			id + " auth.totp.enroll",
			id + " auth.login",
			id + " auth.logout",
			id + " auth.login.password",
			id + " auth.login.totp",
			id + " auth.login",
		}
		if diff := cmp.Diff(want, actions(t, db, id)); diff != "" {
			t.Errorf("audit trail (-want +got):\n%s", diff)
		}
	})
}

func TestWrongPasswordLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		st := f.addStaff(t, "ana", auth.RoleSupervisor)
		for i := 1; i <= 5; i++ {
			if _, _, err := f.svc.Login(ctx, "ana", "wrong password "+string(rune('a'+i)), "10.0.0.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("Login(wrong #%d) error = %v, want ErrInvalidCredentials", i, err)
			}
		}
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); !errors.Is(err, auth.ErrLocked) {
			t.Errorf("Login(right password while locked) error = %v, want ErrLocked", err)
		}
		if got, _ := f.svc.StaffByID(ctx, auth.System(), st.ID); !got.Locked {
			t.Errorf("StaffByID().Locked = false after 5 failures, want true")
		}
		f.clock.Advance(14 * time.Minute)
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); !errors.Is(err, auth.ErrLocked) {
			t.Errorf("Login after 14 minutes: error = %v, want ErrLocked", err)
		}
		f.clock.Advance(time.Minute)
		if _, next, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0.1"); err != nil || next != auth.StepEnrollTOTP {
			t.Errorf("Login after 15 minutes = %q, %v; want enroll_totp", next, err)
		}
		id := st.ID
		want := []string{"system staff.create"}
		for range 5 {
			want = append(want, "anonymous auth.login.password:denied")
		}
		want = append(want, "system auth.lockout", "anonymous auth.login.locked:denied",
			"anonymous auth.login.locked:denied", id+" auth.login.password")
		if diff := cmp.Diff(want, actions(t, db, id)); diff != "" {
			t.Errorf("audit trail (-want +got):\n%s", diff)
		}
	})
}

func TestUnknownUserIsGeneric(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		f.addStaff(t, "ana", auth.RoleSupervisor)
		_, _, errUnknown := f.svc.Login(ctx, "ghost.user", goodPassword, "10.0.0.1")
		_, _, errWrong := f.svc.Login(ctx, "ana", "not the password at all", "10.0.0.1")
		if !errors.Is(errUnknown, auth.ErrInvalidCredentials) || errUnknown != errWrong {
			t.Errorf("Login(unknown) error = %v, Login(wrong password) error = %v; want the same ErrInvalidCredentials", errUnknown, errWrong)
		}
		// A password no account can have (over 1 KiB) fails without hashing it all.
		if _, _, err := f.svc.Login(ctx, "ana", goodPassword+strings.Repeat("x", 1<<20), "10.0.0.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(1 MiB password) error = %v, want ErrInvalidCredentials", err)
		}
		evs, err := db.AuditEvents(ctx, audit.Filter{RecordID: "unknown"})
		if err != nil || len(evs) != 1 || evs[0].Actor != "anonymous" || evs[0].Outcome != "denied" {
			t.Fatalf("audit events for unknown user = %+v, %v; want one anonymous denied event", evs, err)
		}
		all, _ := db.AuditEvents(ctx, audit.Filter{Limit: 1000})
		for _, e := range all {
			if strings.Contains(e.Actor+e.RecordID+e.Purpose, "ghost") {
				t.Errorf("audit event %+v holds the typed username", e)
			}
		}
	})
}
