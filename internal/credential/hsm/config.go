package hsm

import (
	"errors"
	"fmt"
)

// Environment variables the command line reads the token configuration from.
const (
	EnvModule = "CITYID_PKCS11_MODULE" // path of the PKCS#11 module (.so)
	EnvToken  = "CITYID_PKCS11_TOKEN"  // token label
	EnvPIN    = "CITYID_PKCS11_PIN"    // user PIN
)

// Errors reported by this package, checked with errors.Is.
var (
	// ErrNotConfigured reports that no PKCS#11 module is configured.
	ErrNotConfigured = errors.New("hsm: no PKCS#11 module configured")
	// ErrNotBuilt reports a binary built without the pkcs11 build tag.
	ErrNotBuilt = errors.New("hsm: built without PKCS#11 support (rebuild with -tags pkcs11)")
	// ErrNotFound reports that the token holds no key pair with the label.
	ErrNotFound = errors.New("hsm: key not found")
	// ErrExists reports that the token already holds a key pair with the label.
	ErrExists = errors.New("hsm: key already exists")
	// ErrAmbiguous reports several key pairs with the same label.
	ErrAmbiguous = errors.New("hsm: several keys have this label")
)

// Config says which token to use. The PIN is a secret: it is never put in an
// error or a log line.
type Config struct {
	Path       string // PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
}

// ConfigFromEnv reads the configuration from the CITYID_PKCS11_* variables
// through getenv (os.Getenv in production). It returns ErrNotConfigured when
// CITYID_PKCS11_MODULE is unset, so callers can fall back to the file keyring.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Path: getenv(EnvModule), TokenLabel: getenv(EnvToken), PIN: getenv(EnvPIN)}
	if c.Path == "" {
		return Config{}, ErrNotConfigured
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c Config) validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: %s is empty", ErrNotConfigured, EnvModule)
	case c.TokenLabel == "":
		return fmt.Errorf("hsm: %s (token label) is required", EnvToken)
	case c.PIN == "":
		return fmt.Errorf("hsm: %s (user PIN) is required", EnvPIN)
	}
	return nil
}
