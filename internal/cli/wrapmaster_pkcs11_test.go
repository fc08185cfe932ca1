//go:build pkcs11

package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/hsm"
	"github.com/cityid/cityid/internal/credential/hsm/hsmtest"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/vault"
)

// keySecrets returns the three keys of a key file, raw and base64, as they
// could appear in a file.
func keySecrets(t *testing.T, keyFile []byte) [][]byte {
	t.Helper()
	var kf map[string]any
	if err := json.Unmarshal(keyFile, &kf); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, name := range []string{"master", "index", "match"} {
		b64, _ := kf[name].(string)
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			t.Fatalf("key file %s: %v", name, err)
		}
		out = append(out, raw, []byte(b64), []byte(base64.RawURLEncoding.EncodeToString(raw)))
	}
	return out
}

// filesHolding returns the files under dir that contain any of secrets.
func filesHolding(t *testing.T, dir string, secrets [][]byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, s) {
				found = append(found, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// readApplication opens the data directory (its master key from wherever
// the environment says) and reads the application id as a supervisor:
// the sealed name comes back only if the master key unwrapped.
func readApplication(t *testing.T, dir, id string) (string, error) {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err != nil {
		return "", err
	}
	defer a.Close()
	sup, err := a.Auth.StaffByUsername(ctx, auth.System(), "super")
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Enroll.Get(ctx, auth.Actor{StaffID: sup.ID, Username: sup.Username, Role: sup.Role, SiteID: sup.SiteID}, id, enroll.PurposeReview)
	if err != nil {
		t.Fatal(err)
	}
	return got.Person.GivenNames, nil
}

// TestWrapMasterKeyOnToken: `cityid keys wrap-master` moves the master key
// onto the PKCS#11 token that holds the card signing keys (SoftHSM2 here).
// Afterwards every start unwraps it through the token and reads the sealed
// data; a copy of the data directory holds no key byte and opens nothing
// without the token; a wrong PIN or a missing token is a clear error that
// overwrites nothing; the master key still rotates, and moves to a new
// token key.
func TestWrapMasterKeyOnToken(t *testing.T) {
	module := hsmtest.NewToken(t)
	pinFile := filepath.Join(t.TempDir(), "pin")
	setPIN := func(pin string) {
		if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setPIN(hsmtest.PIN)
	for k, v := range map[string]string{hsm.EnvModule: module, hsm.EnvToken: hsmtest.Label, hsm.EnvPINFile: pinFile,
		hsm.EnvPIN: "", hsm.EnvWrapKey: "", envMasterKeyFile: "", envCredentials: ""} {
		t.Setenv(k, v)
	}
	// A city whose cards are signed on the token, with one resident.
	dir, ids := residentsDir(t, time.Now(), 0, 1)
	plainPath := filepath.Join(dir, app.KeyFile)
	wrappedPath := plainPath + vault.WrappedSuffix
	plain, err := os.ReadFile(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	secrets := keySecrets(t, plain)
	if len(filesHolding(t, dir, secrets)) == 0 {
		t.Fatal("the byte scan finds no key in the data directory before wrapping: it cannot fail")
	}

	t.Run("wrong PIN: nothing changes", func(t *testing.T) {
		setPIN("9999")
		defer setPIN(hsmtest.PIN)
		out, err := runCmd(t, cmdKeys, "wrap-master", "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "PIN") {
			t.Errorf("wrap-master with a wrong PIN = %v (%s), want an error naming the PIN", err, out)
		}
		if got, _ := os.ReadFile(plainPath); !bytes.Equal(got, plain) {
			t.Error("wrap-master with a wrong PIN changed the plain key file")
		}
		if _, err := os.Stat(wrappedPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("wrap-master with a wrong PIN left %s: %v", wrappedPath, err)
		}
	})

	out, err := runCmd(t, cmdKeys, "wrap-master", "--data", dir)
	if err != nil {
		t.Fatalf("keys wrap-master: %v\n%s", err, out)
	}
	if !strings.Contains(out, "removed") || !strings.Contains(out, hsm.DefaultWrapKey) {
		t.Errorf("keys wrap-master printed %q, want the token key and the removed plain file", out)
	}
	if _, err := os.Stat(plainPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("plain key file after wrap-master: %v, want removed", err)
	}
	if l := filesHolding(t, dir, secrets); len(l) != 0 {
		t.Errorf("files in the data directory holding a key after wrap-master: %v", l)
	}
	wrapped, err := os.ReadFile(wrappedPath)
	if err != nil {
		t.Fatal(err)
	}

	if name, err := readApplication(t, dir, ids[0]); err != nil || name != "Amaru" {
		t.Fatalf("reading the sealed record with the wrapped key = %q, %v; want Amaru", name, err)
	}
	if out, _, err := runUser(t, "", "list", "--data", dir); err != nil || !strings.Contains(out, "super") {
		t.Errorf("user list with the wrapped key = %q, %v", out, err)
	}

	// Starting the way serve does (Create set) must never make a new key.
	startFails := func(t *testing.T, dir, want string) {
		t.Helper()
		_, err := readApplication(t, dir, ids[0])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("start = %v, want an error containing %q", err, want)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, app.KeyFile+vault.WrappedSuffix)); !bytes.Equal(got, wrapped) {
			t.Error("the wrapped key file changed")
		}
		if _, err := os.Stat(filepath.Join(dir, app.KeyFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed start left a plain key file: %v", err)
		}
	}
	t.Run("copy without the token", func(t *testing.T) {
		cp := t.TempDir()
		if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		t.Setenv(hsm.EnvModule, "")
		startFails(t, cp, "PKCS#11")
		t.Setenv(hsm.EnvModule, module)
		t.Setenv(hsm.EnvToken, "another-token")
		startFails(t, cp, "another-token")
	})
	t.Run("wrong PIN at start", func(t *testing.T) {
		setPIN("0000")
		defer setPIN(hsmtest.PIN)
		startFails(t, dir, "PIN")
	})
	t.Run("missing PIN file", func(t *testing.T) {
		t.Setenv(hsm.EnvPINFile, filepath.Join(t.TempDir(), "nope"))
		startFails(t, dir, "PIN")
	})

	// A backup restores onto a new host that has the wrapped key (and the
	// token), not the plain one.
	t.Run("backup and restore", func(t *testing.T) {
		bk := filepath.Join(t.TempDir(), "city.cbk")
		if out, err := runCmd(t, cmdBackup, "--data", dir, "--out", bk); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		host := filepath.Join(t.TempDir(), "data")
		if err := os.MkdirAll(host, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{app.KeyFile + vault.WrappedSuffix, "backup-keys.json"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(host, f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := runCmd(t, cmdRestore, "--data", host, "--in", bk); err != nil {
			t.Fatalf("restore with the wrapped key: %v\n%s", err, out)
		}
		if name, err := readApplication(t, host, ids[0]); err != nil || name != "Amaru" {
			t.Errorf("reading the restored record = %q, %v; want Amaru", name, err)
		}
		if l := filesHolding(t, host, secrets); len(l) != 0 {
			t.Errorf("files of the restored data directory holding a key: %v", l)
		}
	})

	// The master key rotates while wrapped: the new and the retired sets are
	// wrapped too, and the data still reads.
	if out, err := runCmd(t, cmdKeys, "rotate-master", "--data", dir); err != nil {
		t.Fatalf("keys rotate-master with the wrapped key: %v\n%s", err, out)
	}
	if _, err := os.Stat(wrappedPath + vault.RetiredSuffix); err != nil {
		t.Errorf("after the rotation: %v, want the previous set kept wrapped", err)
	}
	if name, err := readApplication(t, dir, ids[0]); err != nil || name != "Amaru" {
		t.Fatalf("reading after the rotation = %q, %v", name, err)
	}
	if l := filesHolding(t, dir, secrets); len(l) != 0 {
		t.Errorf("files holding the old key after the rotation: %v", l)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "master.key*")); len(m) != 2 {
		t.Errorf("key files after the rotation: %v, want master.key.wrapped and its .old only", m)
	}

	// Moving to a new token key; the data still reads.
	t.Setenv(hsm.EnvWrapKey, "cityid-master-key-wrap-2027")
	out, err = runCmd(t, cmdKeys, "wrap-master", "--data", dir)
	if err != nil || !strings.Contains(out, "cityid-master-key-wrap-2027") {
		t.Fatalf("wrap-master with a new token key = %v\n%s", err, out)
	}
	var st app.WrapStatus
	lastJSON(t, out, &st)
	if st.From != hsm.DefaultWrapKey || st.To != "cityid-master-key-wrap-2027" {
		t.Errorf("rewrap status %+v, want %s → cityid-master-key-wrap-2027", st, hsm.DefaultWrapKey)
	}
	if name, err := readApplication(t, dir, ids[0]); err != nil || name != "Amaru" {
		t.Fatalf("reading after moving to a new token key = %q, %v", name, err)
	}
}
