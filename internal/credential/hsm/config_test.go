package hsm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		EnvModule: "/usr/lib/softhsm/libsofthsm2.so",
		EnvToken:  "cityid",
		EnvPIN:    "1234",
	}
	without := func(key string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			if k != key {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr error // errNone: any error; nil: success
	}{
		{"all set", full, Config{Path: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "cityid", PIN: "1234"}, nil},
		{"nothing set", map[string]string{}, Config{}, ErrNotConfigured},
		{"no module", without(EnvModule), Config{}, ErrNotConfigured},
		{"no token", without(EnvToken), Config{}, errAny},
		{"no PIN", without(EnvPIN), Config{}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("ConfigFromEnv() = %v, want no error", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("ConfigFromEnv() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ConfigFromEnv() (-want +got):\n%s", diff)
			}
		})
	}
}

// errAny marks a test case that wants some error, whichever.
var errAny = errors.New("any error")

// The PIN comes from a file (or the systemd credential), never argv; the
// file's trailing newline is not part of it, and an unreadable file never
// reads as "no key".
func TestConfigPINFromFile(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("4321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, PINCredential), []byte("5555"), 0o400); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{EnvModule: "/m.so", EnvToken: "cityid"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantPIN string
		wantErr bool
	}{
		{"file", with(EnvPINFile, pinFile), "4321", false},
		{"credential", with(EnvCredentials, creds), "5555", false},
		{"file wins over credential", with(EnvPINFile, pinFile, EnvCredentials, creds), "4321", false},
		{"variable wins over credential", with(EnvPIN, "1111", EnvCredentials, creds), "1111", false},
		{"file and variable", with(EnvPINFile, pinFile, EnvPIN, "1111"), "", true},
		{"missing file", with(EnvPINFile, filepath.Join(dir, "nope")), "", true},
		{"credential directory without the PIN", with(EnvCredentials, dir), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr || c.PIN != tt.wantPIN {
				t.Errorf("ConfigFromEnv() = PIN %q, %v; want %q, error %v", c.PIN, err, tt.wantPIN, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "4321") || errors.Is(err, fs.ErrNotExist)) {
				t.Errorf("ConfigFromEnv() error %q holds the PIN or reads as fs.ErrNotExist", err)
			}
		})
	}
}
