package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/vault"
)

// residentsDir makes a data directory whose clock stood at `at`, with
// `rejected` rejected and `pending` submitted applications, and returns the
// directory and the application ids (rejected first).
func residentsDir(t *testing.T, at time.Time, rejected, pending int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, Create: true, Now: func() time.Time { return at }, Auth: &opts})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	return dir, apptest.Residents(t, a, rejected, pending)
}

// runCmd runs one of this package's command functions in-process.
func runCmd(t *testing.T, cmd func(context.Context, IO, []string) error, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmd(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	return out.String(), err
}

// lastJSON decodes the last line of out into v.
func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("last line of output is not JSON: %v\n%s", err, out)
	}
}

func TestPurgeAndPrivacyReport(t *testing.T) {
	dir, ids := residentsDir(t, time.Now().AddDate(0, 0, -200), 2, 1)

	out, err := runCmd(t, cmdPurge, "--data", dir, "--dry-run")
	if err != nil {
		t.Fatalf("purge --dry-run: %v\n%s", err, out)
	}
	var dry purgeSummary
	lastJSON(t, out, &dry)
	if !dry.DryRun || dry.Due["rejected"] != 2 || dry.Done != nil {
		t.Errorf("purge --dry-run = %+v, want 2 rejected due and nothing done", dry)
	}

	future := time.Now().AddDate(2, 0, 0).Format(time.RFC3339)
	if out, err := runCmd(t, cmdPurge, "--data", dir, "--now", future); err == nil || !strings.Contains(err.Error(), "--dry-run") {
		t.Errorf("purge --now <2 years ahead> = %v (%s), want a refusal pointing at --dry-run", err, out)
	}

	out, err = runCmd(t, cmdPurge, "--data", dir)
	if err != nil {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	var done purgeSummary
	lastJSON(t, out, &done)
	if done.DryRun || done.Done["rejected"] != 2 || !done.Finished || done.Run == "" || done.Rows["applications"] != 2 {
		t.Errorf("purge = %+v, want 2 rejected erased in a finished run", done)
	}

	out, err = runCmd(t, cmdPrivacy, "report", "--data", dir)
	if err != nil {
		t.Fatalf("privacy report: %v\n%s", err, out)
	}
	var rep privacySummary
	lastJSON(t, out, &rep)
	want := map[string]int{"drafts": 0, "pending": 1, "rejected": 0, "cardholders_with_data": 0, "cardholders_without_data": 0,
		"data_keys": 1, "erased_persons": 2}
	for k, v := range want {
		if got, ok := rep.Counts[k]; !ok || got != v {
			t.Errorf("privacy report counts[%s] = %d (present %v), want %d", k, got, ok, v)
		}
	}
	if rep.LastPurge == nil || rep.NextPurge == nil || !rep.NextPurge.After(*rep.LastPurge) {
		t.Errorf("privacy report last/next purge = %v/%v, want both, next after last", rep.LastPurge, rep.NextPurge)
	}
	for _, id := range ids {
		if strings.Contains(out, id) {
			t.Errorf("privacy report shows application id %s", id)
		}
	}
	if _, err := runCmd(t, cmdPrivacy, "list"); err == nil {
		t.Error("privacy list: want a usage error")
	}
}

// TestPurgeRefusesWithoutTheKey: a missing or wrong master key stops the
// purge before it erases anything.
func TestPurgeRefusesWithoutTheKey(t *testing.T) {
	dir, _ := residentsDir(t, time.Now().AddDate(0, 0, -200), 1, 0)
	key := filepath.Join(dir, app.KeyFile)
	if err := os.Rename(key, key+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, cmdPurge, "--data", dir); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("purge without master.key: %v, want a master key error", err)
	}
	if err := vault.CreateKeyFile(key, rand.Reader); err != nil { // a different key
		t.Fatal(err)
	}
	if _, err := runCmd(t, cmdPurge, "--data", dir); !errors.Is(err, vault.ErrWrongKey) {
		t.Errorf("purge with another master key: %v, want ErrWrongKey", err)
	}
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(key+".away", key); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, cmdPurge, "--data", dir, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	var dry purgeSummary
	lastJSON(t, out, &dry)
	if dry.Due["rejected"] != 1 {
		t.Errorf("after the refused purges, due = %v; want the rejected application still there", dry.Due)
	}
}
