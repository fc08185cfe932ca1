package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestToolchainWarning: serve warns when built with a Go that has known
// standard-library vulnerabilities, and patchedGo is the toolchain go.mod asks for.
func TestToolchainWarning(t *testing.T) {
	for _, tc := range []struct {
		v    string
		warn bool
	}{
		{"go1.26.8", true}, {"go1.26.9", true}, {"go1.26.10", false}, {"go1.27.3", false},
		{"devel go1.27-abcdef", false},
	} {
		if got := toolchainWarning(tc.v); (got != "") != tc.warn || tc.warn && !strings.Contains(got, "GOTOOLCHAIN="+patchedGo) {
			t.Errorf("toolchainWarning(%q) = %q, want a warning %v", tc.v, got, tc.warn)
		}
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain (\S+)$`).FindSubmatch(mod)
	if m == nil || string(m[1]) != patchedGo {
		t.Errorf("go.mod toolchain line = %q, want toolchain %s (patchedGo)", m, patchedGo)
	}
}
