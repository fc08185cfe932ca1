//go:build !pkcs11

package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/credential/hsm"
	"github.com/cityid/cityid/internal/vault"
)

// TestWrappedKeyNeedsPKCS11Build: a data directory whose master key is
// wrapped by a token, opened by a binary built without PKCS#11 support or
// with no token configured, stops with an error that says so and makes no
// new key (the wrapping itself is tested with -tags pkcs11 against SoftHSM2:
// TestWrapMasterKeyOnToken).
func TestWrappedKeyNeedsPKCS11Build(t *testing.T) {
	t.Setenv(envMasterKeyFile, "")
	t.Setenv(envCredentials, "")
	dir, _ := residentsDir(t, time.Now(), 0, 0)
	plain := filepath.Join(dir, app.KeyFile)
	wrapped := `{"format":"cityid-wrapped-keys","version":1,"master_id":"00","wrapped_by":"PKCS#11 token \"cityid\"","key":"cityid-master-key-wrap","sealed":"AAAA"}` + "\n"
	if err := os.WriteFile(plain+vault.WrappedSuffix, []byte(wrapped), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(plain); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, module, want string
	}{
		{"no token configured", "", "no PKCS#11 module configured"},
		{"built without PKCS#11", "/usr/lib/softhsm/libsofthsm2.so", "-tags pkcs11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(hsm.EnvModule, tc.module)
			t.Setenv(hsm.EnvToken, "cityid")
			t.Setenv(hsm.EnvPIN, "1234")
			if _, _, err := runUser(t, "", "list", "--data", dir); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "wrapped") {
				t.Errorf("user list = %v, want an error about the wrapped key containing %q", err, tc.want)
			}
			if _, err := os.Stat(plain); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused start made %s: %v", plain, err)
			}
		})
	}
}
