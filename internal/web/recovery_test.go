package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// signInWithCode signs in as username with the password and, at the
// second-factor step, code; it returns the last answer.
func signInWithCode(t *testing.T, e *env, username, code string) (*client, resp) {
	t.Helper()
	c := e.client()
	r := c.post(t, "/login", url.Values{"username": {username}, "password": {testPassword}})
	if r.Location != "/login/totp" {
		return c, r
	}
	return c, c.post(t, "/login/totp", url.Values{"code": {code}})
}

// Recovery codes (issue 11): ten single-use codes shown once at TOTP
// enrolment, usable in place of a TOTP code; each works once, its use is
// audited and the next page says how many are left; a new set voids the
// old one.
func TestRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.signIn(t, "clerk1", testPassword) // checks the enrolment page shows ten codes
	codes := e.recovery["clerk1"]
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Fatalf("recovery code %s shown twice", c)
		}
		seen[c] = true
	}
	// Stored hashed: no code's secret part is anywhere in the database files.
	files, _ := filepath.Glob(filepath.Join(e.app.DataDir, "*.db*"))
	if len(files) == 0 {
		t.Fatalf("no database files in %s", e.app.DataDir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range codes {
			secret := strings.ReplaceAll(code, "-", "")[4:]
			if strings.Contains(string(b), secret) || strings.Contains(string(b), code) {
				t.Errorf("recovery code %s is stored in clear in %s", code, filepath.Base(f))
			}
		}
	}

	// A code works in place of the app's code, once.
	e.clk.Add(time.Minute)
	c, r := signInWithCode(t, e, "clerk1", strings.ToUpper(codes[0])) // typed in capitals: still the code
	if r.Status != http.StatusSeeOther || r.Location != "/staff/recovery-codes?used=1" {
		t.Fatalf("sign-in with a recovery code = %d %q, want 303 to the recovery page", r.Status, r.Location)
	}
	page := c.get(t, r.Location)
	if want := "You signed in with a recovery code. You have 9 codes left."; !strings.Contains(text(page.Body), want) {
		t.Errorf("after a recovery code the page does not say %q: %s", want, text(page.Body))
	}
	if c.get(t, "/staff").Status != http.StatusOK {
		t.Errorf("the recovery code did not complete the sign-in")
	}
	if n := auditActions(t, e, "auth.login.recovery_code"); n != 1 {
		t.Errorf("auth.login.recovery_code events = %d, want 1", n)
	}

	e.clk.Add(time.Minute)
	again, r := signInWithCode(t, e, "clerk1", codes[0])
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "That code is wrong or was already used") {
		t.Errorf("second use of a recovery code = %d, want 422 'already used'", r.Status)
	}
	if again.get(t, "/staff").Status == http.StatusOK {
		t.Fatalf("a used recovery code signed in")
	}

	// A new set voids the old one: an unused old code stops working.
	c.lang = "es"
	r = c.post(t, "/staff/recovery-codes", url.Values{})
	fresh := recoveryCodes(r.Body)
	if r.Status != http.StatusOK || len(fresh) != auth.RecoveryCodeCount || !strings.Contains(text(r.Body), "Solo se muestran esta vez") {
		t.Fatalf("new set = %d with %d codes, want 200 with %d, in Spanish", r.Status, len(fresh), auth.RecoveryCodeCount)
	}
	e.clk.Add(time.Minute)
	if _, r := signInWithCode(t, e, "clerk1", codes[1]); r.Status == http.StatusSeeOther {
		t.Errorf("an unused code of the old set still signs in after a new set (%q)", r.Location)
	}
	e.clk.Add(time.Minute)
	if c2, r := signInWithCode(t, e, "clerk1", fresh[3]); r.Status != http.StatusSeeOther || c2.get(t, "/staff").Status != http.StatusOK {
		t.Errorf("a code of the new set = %d %q, want a sign-in", r.Status, r.Location)
	}
	if left := strings.Contains(text(c.get(t, "/staff/recovery-codes").Body), "Tiene 9 códigos"); !left {
		t.Errorf("the recovery page does not say 9 codes are left after one of the new set was used")
	}
}

// Guessing recovery codes is limited like guessing TOTP codes: the fifth
// wrong code locks the account, and then even a right code is refused.
func TestRecoveryCodesGuessingLocks(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	e.signIn(t, "sup1", testPassword)
	good := e.recovery["sup1"][0]
	attacker := e.client()
	e.clk.Add(time.Minute)
	attacker.post(t, "/login", url.Values{"username": {"sup1"}, "password": {testPassword}})
	for i := range 5 {
		r := attacker.post(t, "/login/totp", url.Values{"code": {"aaaa-bbbb-cccc-" + []string{"dddd", "eeee", "ffff", "gggg", "hhhh"}[i]}})
		if r.Status == http.StatusSeeOther && r.Location != "/login" {
			t.Fatalf("guess %d signed in (%q)", i, r.Location)
		}
	}
	e.clk.Add(time.Minute)
	c, r := signInWithCode(t, e, "sup1", good)
	if r.Status == http.StatusSeeOther && strings.HasPrefix(r.Location, "/staff") {
		t.Fatalf("a right recovery code after five wrong ones signed in; want the account locked")
	}
	if c.get(t, "/staff").Status == http.StatusOK {
		t.Errorf("signed in after guessing")
	}
	if auditActions(t, e, "auth.totp.lockout") == 0 {
		t.Errorf("no auth.totp.lockout alert after five wrong recovery codes")
	}
	if n := auditActions(t, e, "auth.login.recovery_code"); n < 5 {
		t.Errorf("auth.login.recovery_code events = %d, want the five refusals audited", n)
	}
}
