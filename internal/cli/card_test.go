package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
)

func runCard(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdCard(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	return out.String() + errOut.String(), err
}

func TestCardCommands(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := seedDemo(ctx, IO{Out: &out, Err: &out}, a, demo.Options{Residents: 6, Seed: 1}, false); err != nil {
		t.Fatal(err)
	}
	approved, err := a.DB.ListApplications(ctx, storeFilter(enroll.StatusApproved))
	// Four eyes: demo-supervisor approved these, so another supervisor issues.
	if _, cerr := a.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: "card-desk", Role: auth.RoleSupervisor, Password: "tangerine lighthouse across seventeen rivers"}); cerr != nil {
		t.Fatal(cerr)
	}
	a.Close()
	if err != nil || len(approved) < 2 {
		t.Fatalf("demo left %d approved applications (%v), want at least 2", len(approved), err)
	}
	// A second signing key: cards are signed with the newest.
	if err := cmdKeys(ctx, IO{Out: &out, Err: &out}, []string{"rotate", "--data", dir}); err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out.String())
	}

	if got, err := runCard(t, "issue", "--data", dir, approved[0].ID); err == nil {
		t.Errorf("card issue without --as succeeded: %s", got)
	}
	got, err := runCard(t, "issue", "--data", dir, "--as", "card-desk", approved[0].ID, approved[1].ID)
	if err != nil {
		t.Fatalf("card issue: %v\n%s", err, got)
	}
	if n := len(regexp.MustCompile(`(?m)^crd_\w+\t\d{4} \d{4} \d{4} \d\t`).FindAllString(got, -1)); n != 2 {
		t.Errorf("card issue printed %q, want two lines of id and grouped number", got)
	}
	pdf := filepath.Join(t.TempDir(), "batch.pdf")
	if got, err := runCard(t, "print", "--data", dir, "--as", "demo-supervisor", "--queue", "10", "--out", pdf); err != nil {
		t.Fatalf("card print: %v\n%s", err, got)
	}
	b, err := os.ReadFile(pdf)
	if err != nil || len(regexp.MustCompile(`/Type /Page\b`).FindAll(b, -1)) != 4 {
		t.Errorf("batch.pdf: %v, want 4 pages (2 cards, front and back)", err)
	}
	got, err = runCard(t, "list", "--data", dir)
	if err != nil || strings.Count(got, "active") != 2 {
		t.Errorf("card list = %q, %v; want two active cards", got, err)
	}
	lists := filepath.Join(t.TempDir(), "status")
	if got, err := runCard(t, "status-lists", "--data", dir, "--out", lists); err != nil {
		t.Fatalf("card status-lists: %v\n%s", err, got)
	}
	for _, f := range []string{"1.jwt", "1.cwt"} {
		if fi, err := os.Stat(filepath.Join(lists, f)); err != nil || fi.Size() == 0 {
			t.Errorf("status list file %s: %v", f, err)
		}
	}
}

func storeFilter(st enroll.Status) enroll.ListFilter {
	return enroll.ListFilter{Statuses: []enroll.Status{st}, Limit: 10}
}
