//go:build linux

package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/vault"
	"golang.org/x/sys/unix"
)

// TestMasterKeyElsewhere: the master key need not sit beside the database
// (a copy of the data directory then exposes no one). It comes from
// --master-key-file or $CITYID_MASTER_KEY_FILE, a systemd credential in
// $CREDENTIALS_DIRECTORY, or an open file descriptor; without it the data
// directory does not open.
func TestMasterKeyElsewhere(t *testing.T) {
	t.Setenv(envMasterKeyFile, "")
	t.Setenv(envCredentials, "")
	dir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(t.TempDir(), "keys", "cityid.key")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	// serve creates the key where it is told to.
	base := serveFor(t, "--data", dir, "--master-key-file", keyFile)
	if base == "" {
		t.Fatal("serve printed no URL")
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("serve --master-key-file: no key at %s: %v", keyFile, err)
	}
	if _, err := os.Stat(filepath.Join(dir, app.KeyFile)); err == nil {
		t.Fatalf("serve --master-key-file also wrote %s into the data directory", app.KeyFile)
	}
	keyBytes, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := runUser(t, "", "list", "--data", dir); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("user list without the key = %v, want a missing master key", err)
	}
	if out, _, err := runUser(t, "", "list", "--data", dir, "--master-key-file", keyFile); err != nil || !strings.Contains(out, "admin") {
		t.Errorf("user list --master-key-file = %q, %v", out, err)
	}

	t.Run("environment", func(t *testing.T) {
		t.Setenv(envMasterKeyFile, keyFile)
		if out, _, err := runUser(t, "", "list", "--data", dir); err != nil || !strings.Contains(out, "admin") {
			t.Errorf("user list with $%s = %q, %v", envMasterKeyFile, out, err)
		}
	})
	t.Run("systemd credential", func(t *testing.T) {
		creds := t.TempDir()
		if err := os.WriteFile(filepath.Join(creds, credentialName), keyBytes, 0o400); err != nil {
			t.Fatal(err)
		}
		t.Setenv(envCredentials, creds)
		if out, _, err := runUser(t, "", "list", "--data", dir); err != nil || !strings.Contains(out, "admin") {
			t.Errorf("user list with $%s = %q, %v", envCredentials, out, err)
		}
	})
	t.Run("file descriptor", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		// The command reads and closes the descriptor: give it a copy.
		fd, err := unix.Dup(int(r.Fd()))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(keyBytes); w.Close() }()
		if out, _, err := runUser(t, "", "list", "--data", dir, "--master-key-fd", strconv.Itoa(fd)); err != nil || !strings.Contains(out, "admin") {
			t.Errorf("user list --master-key-fd = %q, %v", out, err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		if err := vault.CreateKeyFile(other, strings.NewReader(strings.Repeat("x", 96))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runUser(t, "", "list", "--data", dir, "--master-key-file", other); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Errorf("user list with another key = %v, want does not match", err)
		}
	})
}
