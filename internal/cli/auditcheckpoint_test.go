package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
)

// auditDataDir makes a data directory whose log holds n events.
func auditDataDir(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for range n {
		err := a.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.AppendAudit(ctx, audit.Event{Actor: "system", Action: "auth.login"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runAudit(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, append([]string{"audit"}, args...))
	return out.String() + errOut.String(), code
}

func TestAuditCheckpointCommands(t *testing.T) {
	dir := auditDataDir(t, 12)
	out, code := runAudit(t, "export-checkpoints", "--data", dir)
	if code == 0 || !strings.Contains(out, "run 'cityid audit checkpoint' first") {
		t.Errorf("export before any checkpoint = %d %q, want a hint to sign one", code, out)
	}
	out, code = runAudit(t, "checkpoint", "--data", dir)
	if code != 0 || !strings.Contains(out, "signed checkpoint of 12 events") || !strings.Contains(out, "/audit+") {
		t.Fatalf("audit checkpoint = %d %q", code, out)
	}
	file := filepath.Join(t.TempDir(), "checkpoints.txt")
	if out, code = runAudit(t, "export-checkpoints", "--data", dir, "--out", file); code != 0 || !strings.Contains(out, "wrote 1 checkpoints") {
		t.Fatalf("export-checkpoints = %d %q", code, out)
	}
	out, code = runAudit(t, "verify", "--data", dir, "--checkpoints", file)
	if code != 0 || !strings.Contains(out, `"intact":true`) || !strings.Contains(out, "checked against 2 signed checkpoints") {
		t.Fatalf("verify = %d %q, want intact against 2 checkpoints (stored + file)", code, out)
	}

	// Cut the last events and the stored checkpoint: only the file knows.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, app.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"DELETE FROM audit_events WHERE seq > 9", "DELETE FROM audit_checkpoints"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if out, code = runAudit(t, "verify", "--data", dir); code != 0 {
		t.Errorf("verify without the file = %d %q, want 0 (the database alone cannot tell)", code, out)
	}
	out, code = runAudit(t, "verify", "--data", dir, "--checkpoints", file)
	if code != 1 || !strings.Contains(out, "BROKEN at event 10") || !strings.Contains(out, "log truncated") || !strings.Contains(out, `"first_bad_seq":10`) {
		t.Errorf("verify with the file = %d %q, want exit 1, truncated at event 10", code, out)
	}
}
