package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
)

// userDataDir makes a data directory with one site, "City Hall".
func userDataDir(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateSite(ctx, store.Site{ID: "site_hall", Name: "City Hall", Kind: "city_hall", Active: true, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runUser runs "cityid user args…" with stdin and returns stdout, stderr and the error.
func runUser(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdUserImpl(context.Background(), IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, args)
	return out.String(), errOut.String(), err
}

var oneTimeRE = regexp.MustCompile(`one-time password: ([a-z2-9]{5}(-[a-z2-9]{5}){3})`)

func TestUserCommand(t *testing.T) {
	dir := userDataDir(t)
	out, _, err := runUser(t, "our admin passphrase is long\n", "add", "--data", dir, "--username", "Boss", "--role", "admin", "--password-stdin")
	if err != nil || !strings.Contains(out, "created admin boss") || strings.Contains(out, "one-time") {
		t.Fatalf("user add --password-stdin = %q, %v; want created admin boss without a one-time password", out, err)
	}
	out, _, err = runUser(t, "", "add", "--data", dir, "--username", "maria", "--role", "clerk", "--site", "city hall", "--name", "María López")
	if err != nil || !oneTimeRE.MatchString(out) {
		t.Fatalf("user add (one-time) = %q, %v; want a printed one-time password", out, err)
	}
	oneTime := oneTimeRE.FindStringSubmatch(out)[1]

	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string // in the error
	}{
		{"clerk without site", "", []string{"add", "--username", "pedro", "--role", "clerk"}, "--site: Clerks must belong to a site."},
		{"unknown site", "", []string{"add", "--username", "pedro", "--role", "clerk", "--site", "Mars"}, `no such site; sites are: City Hall`},
		{"taken", "", []string{"add", "--username", "MARIA", "--role", "auditor"}, "--username: This username is taken."},
		{"weak stdin password", "password2026!\n", []string{"add", "--username", "pedro", "--role", "auditor", "--password-stdin"}, "--password: This password is too common"},
		{"unknown user", "", []string{"disable", "nobody"}, `no staff account "nobody"`},
		{"last admin", "", []string{"disable", "boss"}, "At least one administrator must stay enabled."},
		{"empty stdin", "", []string{"reset", "maria", "--password-stdin"}, "standard input is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runUser(t, tc.stdin, append(tc.args, "--data", dir)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("user %v error = %v, want it to contain %q", tc.args, err, tc.want)
			}
		})
	}

	out, _, err = runUser(t, "", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^USERNAME\s+NAME\s+ROLE\s+SITE\s+STATUS\s+TOTP$`,
		`(?m)^boss\s+boss\s+admin\s+-\s+active\s+no$`,
		`(?m)^maria\s+María López\s+clerk\s+City Hall\s+new password pending\s+no$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("user list =\n%s\nwant a line matching %s", out, want)
		}
	}

	// Flags may follow the username.
	if out, _, err := runUser(t, "", "disable", "maria", "--data", dir); err != nil || !strings.Contains(out, "disabled maria") {
		t.Errorf("user disable maria = %q, %v", out, err)
	}
	if out, _, _ := runUser(t, "", "list", "--data", dir); !regexp.MustCompile(`(?m)^maria\s.*\sdisabled\s+no$`).MatchString(out) {
		t.Errorf("user list after disable =\n%s\nwant maria disabled", out)
	}
	if out, _, err := runUser(t, "", "enable", "--data", dir, "maria"); err != nil || !strings.Contains(out, "enabled maria") {
		t.Errorf("user enable maria = %q, %v", out, err)
	}
	out, _, err = runUser(t, "", "reset", "--data", dir, "maria")
	if err != nil || !oneTimeRE.MatchString(out) || oneTimeRE.FindStringSubmatch(out)[1] == oneTime {
		t.Errorf("user reset = %q, %v; want a new one-time password", out, err)
	}
	out, _, err = runUser(t, "a passphrase from a script\r\n", "reset", "--data", dir, "maria", "--password-stdin")
	if err != nil || !strings.Contains(out, "password set") {
		t.Errorf("user reset --password-stdin = %q, %v", out, err)
	}

	// The account really has that password (the trailing CR LF was dropped), and needs no change.
	a, err := app.Open(context.Background(), app.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, next, err := a.Auth.Login(context.Background(), "maria", "a passphrase from a script", "127.0.0.1"); err != nil || next != "enroll_totp" {
		t.Errorf("Login after reset --password-stdin = %q, %v; want enroll_totp", next, err)
	}
	evs, err := a.DB.AuditEvents(context.Background(), audit.Filter{Actor: "system", RecordType: "staff"})
	if err != nil || len(evs) < 6 {
		t.Errorf("system audit events about staff = %d, %v; want every CLI change (at least 6)", len(evs), err)
	}
}

func TestUserUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"disable"}, {"list", "extra"}} {
		_, errOut, err := runUser(t, "", args...)
		if err != errUsage || errOut == "" {
			t.Errorf("user %v = %v, stderr %q; want errUsage and an explanation", args, err, errOut)
		}
	}
}

// TestUserApproveRequest: a request an administrator filed in the portal is
// listed and approved (or refused) from the command line, which prints the
// one-time password.
func TestUserApproveRequest(t *testing.T) {
	dir := userDataDir(t)
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	boss, err := a.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: "boss", Role: auth.RoleAdmin, Password: "our admin passphrase is long"})
	if err != nil {
		t.Fatal(err)
	}
	by := auth.Actor{StaffID: boss.ID, Username: boss.Username, Role: boss.Role}
	var ids []string
	for _, u := range []string{"mallory", "mallet"} {
		_, err := a.Auth.CreateStaff(ctx, by, auth.NewStaff{Username: u, Role: auth.RoleSupervisor, Password: "our admin passphrase is long"})
		req, ok := auth.Pending(err)
		if !ok {
			t.Fatalf("CreateStaff(supervisor) by an administrator = %v, want a pending request", err)
		}
		ids = append(ids, req.ID)
	}
	a.Close()

	out, _, err := runUser(t, "", "requests", "--data", dir)
	if err != nil || !strings.Contains(out, ids[0]) || !strings.Contains(out, "mallory") || !strings.Contains(out, "boss") {
		t.Fatalf("user requests = %q, %v; want the request by boss for mallory", out, err)
	}
	out, _, err = runUser(t, "", "approve", ids[0], "--data", dir)
	if err != nil || !strings.Contains(out, "supervisor mallory") || !oneTimeRE.MatchString(out) {
		t.Fatalf("user approve = %q, %v; want mallory approved with a one-time password", out, err)
	}
	if out, _, err = runUser(t, "", "refuse", ids[1], "--data", dir); err != nil {
		t.Fatalf("user refuse = %q, %v", out, err)
	}
	if _, _, err := runUser(t, "", "approve", ids[1], "--data", dir); err == nil || !strings.Contains(err.Error(), "no staff request") {
		t.Errorf("approve a refused request: %v, want no staff request", err)
	}
	out, _, _ = runUser(t, "", "list", "--data", dir)
	if !strings.Contains(out, "mallory") || strings.Contains(out, "mallet") {
		t.Errorf("user list = %q, want mallory and not mallet", out)
	}
}
