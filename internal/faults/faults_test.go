// Package faults holds tests that crash, starve and cut off real cityid
// processes and check what is left: no committed record lost, no record
// half written, a clear error.
package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/checkpoint"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

var ctx = context.Background()

// binary builds cmd/cityid once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cityid")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cityid/cityid/cmd/cityid").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// countApplications counts application rows (0 while the schema is not
// there yet).
func countApplications(dir, dbURL string) int {
	dsn := dbURL
	if dsn == "" {
		dsn = filepath.Join(dir, app.DBFile)
		if _, err := os.Stat(dsn); err != nil {
			return 0
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return 0
	}
	defer db.Close()
	n, _ := db.CountRows(ctx, "applications")
	return n
}

// TestKill9DuringIntakeLoad: `cityid demo` loads residents (batched
// transactions: validation, screening, sealing and audit events as at
// intake) and is killed with SIGKILL mid-load. Afterwards the audit chain
// verifies, every application row has its submit event (and its decision
// event when decided) and decrypts, and every submit event has its
// application: what committed is whole, what did not left nothing.
func TestKill9DuringIntakeLoad(t *testing.T) {
	bin := binary(t)
	apptest.Each(t, func(t *testing.T, dbURL string) {
		dir := filepath.Join(t.TempDir(), "data")
		args := []string{"demo", "--data", dir, "--residents", "200000", "--batch", "40"}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Minute)
		for countApplications(dir, dbURL) < 300 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the load did not reach 300 applications in 3 minutes")
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the load ended by itself (%v), not by SIGKILL", err)
		}

		a, err := app.Open(ctx, app.Options{DataDir: dir, DBURL: dbURL})
		if err != nil {
			t.Fatalf("open after kill -9: %v", err)
		}
		defer a.Close()
		rep, err := checkpoint.VerifyLog(ctx, a.DB, nil, nil)
		if err != nil || rep.Problem != nil {
			t.Fatalf("audit chain after kill -9: %+v, %v", rep, err)
		}
		events := map[string]map[string]bool{} // application id → actions
		before := int64(0)
		for {
			page, err := a.DB.AuditEvents(ctx, audit.Filter{RecordType: "application", BeforeSeq: before, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				if events[e.RecordID] == nil {
					events[e.RecordID] = map[string]bool{}
				}
				events[e.RecordID][e.Action] = true
				before = e.Seq
			}
			if len(page) < 1000 {
				break
			}
		}
		rows := 0
		err = a.DB.EachApplication(ctx, []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview, enroll.StatusApproved, enroll.StatusRejected}, func(row enroll.Record, wrapped []byte) error {
			rows++
			ev := events[row.ID]
			if !ev["application.submit"] {
				return fmt.Errorf("application %s (%s) has no submit event", row.ID, row.Status)
			}
			if verb := map[enroll.Status]string{enroll.StatusApproved: "application.approve", enroll.StatusRejected: "application.reject"}[row.Status]; verb != "" && !ev[verb] {
				return fmt.Errorf("application %s is %s without its decision event", row.ID, row.Status)
			}
			if wrapped == nil || row.Sealed.GivenNames == nil {
				return fmt.Errorf("application %s has no data key or sealed data", row.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		opened := 0
		if err := a.Enroll.EachPerson(ctx, enroll.ScreenedStatuses(), func(string, person.Person) error { opened++; return nil }); err != nil {
			t.Fatalf("an application does not decrypt after kill -9: %v", err)
		}
		submits := 0
		for _, ev := range events {
			if ev["application.submit"] {
				submits++
			}
		}
		if submits != rows || rows < 300 {
			t.Fatalf("%d submit events for %d application rows (want equal, at least 300)", submits, rows)
		}
		t.Logf("killed at %d committed applications; all whole, %d open", rows, opened)
	})
}

// TestFullDiskOnSQLite: a data directory on a 3 MiB file system fills up
// during a load. The load fails with a clear error (the disk is full), and
// the database is intact: SQLite's integrity check passes, the audit chain
// verifies and every application decrypts. Needs root to mount a tmpfs;
// skips (saying why) otherwise.
func TestFullDiskOnSQLite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root; not run")
	}
	bin := binary(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); not run", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "data")
	out, err := exec.Command(bin, "demo", "--data", dir, "--residents", "5000", "--batch", "20").CombinedOutput()
	if err == nil {
		t.Fatalf("a 5000-resident load fit in 3 MiB:\n%s", out)
	}
	if !strings.Contains(strings.ToLower(string(out)), "full") {
		t.Errorf("the error does not say the disk is full:\n%s", out)
	}
	// Make room (as an operator would), then open and check everything.
	moved := filepath.Join(t.TempDir(), "data")
	if err := exec.Command("cp", "-a", dir, moved).Run(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(moved, app.DBFile))
	if err != nil {
		t.Fatalf("open the database after the disk filled: %v", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("database damaged by the full disk: %v", err)
	}
	db.Close()
	a, err := app.Open(ctx, app.Options{DataDir: moved})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rep, err := checkpoint.VerifyLog(ctx, a.DB, nil, nil)
	if err != nil || rep.Problem != nil {
		t.Fatalf("audit chain after a full disk: %+v, %v", rep, err)
	}
	n := 0
	if err := a.Enroll.EachPerson(ctx, enroll.ScreenedStatuses(), func(string, person.Person) error { n++; return nil }); err != nil {
		t.Fatalf("an application does not decrypt after a full disk: %v", err)
	}
	t.Logf("the disk filled after %d applications; all intact:\n%s", n, lastLine(string(out)))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
