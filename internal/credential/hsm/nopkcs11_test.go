//go:build !pkcs11

package hsm

import (
	"errors"
	"testing"
)

func TestOpenWithoutTag(t *testing.T) {
	cfg := Config{Path: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "cityid", PIN: "1234"}
	if _, err := Open(cfg); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Open() without the pkcs11 tag = %v, want %v", err, ErrNotBuilt)
	}
}
