// Package hsmtest makes throw-away SoftHSM2 tokens for tests of code that
// signs through PKCS#11. It imports nothing of cityid, so any package's
// tests can use it.
package hsmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Modules are where Debian and Ubuntu install the SoftHSM2 module.
var Modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Token label and user PIN of the tokens NewToken makes.
const (
	Label = "cityid-test"
	PIN   = "1234"
)

// NewToken initialises a fresh SoftHSM2 token in a temporary directory
// (pointing SOFTHSM2_CONF at it for the test) and returns the module path.
// It skips the test when SoftHSM2 is not installed (apt-get install softhsm2).
func NewToken(tb testing.TB) (module string) {
	tb.Helper()
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		tb.Skip("softhsm2-util not found; install softhsm2 to run the PKCS#11 tests")
	}
	for _, m := range Modules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		tb.Skipf("SoftHSM2 module not found in %v; install softhsm2 to run the PKCS#11 tests", Modules)
	}
	dir := tb.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", Label, "--pin", PIN, "--so-pin", "5678").CombinedOutput()
	if err != nil {
		tb.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}
