//go:build !pkcs11

package hsm

import (
	"crypto/cipher"

	"github.com/cityid/cityid/internal/credential/signing"
)

// Context is an open PKCS#11 session; without the pkcs11 build tag it cannot
// be created, and Open reports ErrNotBuilt so callers need no build tags.
type Context struct{}

// Open reports ErrNotBuilt: this binary has no PKCS#11 support.
func Open(Config) (*Context, error) { return nil, ErrNotBuilt }

// Signer reports ErrNotBuilt.
func (*Context) Signer(string) (signing.Signer, error) { return nil, ErrNotBuilt }

// Generate reports ErrNotBuilt.
func (*Context) Generate(string) (signing.Signer, error) { return nil, ErrNotBuilt }

// Close does nothing.
func (*Context) Close() error { return nil }

// aead reports ErrNotBuilt.
func (*Context) aead(string, bool) (cipher.AEAD, error) { return nil, ErrNotBuilt }
