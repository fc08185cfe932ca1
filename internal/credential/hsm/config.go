package hsm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables the command line reads the token configuration from.
const (
	EnvModule = "CITYID_PKCS11_MODULE" // path of the PKCS#11 module (.so)
	EnvToken  = "CITYID_PKCS11_TOKEN"  // token label
	EnvPIN    = "CITYID_PKCS11_PIN"    // user PIN (prefer EnvPINFile or the credential)
	// EnvPINFile names a file holding the user PIN (one line): a file only
	// the service reads, or /dev/fd/N for a descriptor a secrets tool opened.
	EnvPINFile = "CITYID_PKCS11_PIN_FILE"
	// EnvCredentials is the directory where systemd puts a service's
	// credentials; the PIN is read from PINCredential there when neither
	// EnvPIN nor EnvPINFile is set.
	EnvCredentials = "CREDENTIALS_DIRECTORY"
	PINCredential  = "cityid-pkcs11-pin"
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
	// ErrWrongPIN reports that the token refused the PIN.
	ErrWrongPIN = errors.New("hsm: the token refused the PIN")
)

// Config says which token to use. The PIN is a secret: it is never put in an
// error or a log line.
type Config struct {
	Path       string // PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
}

// ConfigFromEnv reads the configuration from the CITYID_PKCS11_* variables
// through getenv (os.Getenv in production). The PIN comes from the file
// $CITYID_PKCS11_PIN_FILE, else $CITYID_PKCS11_PIN, else the systemd
// credential cityid-pkcs11-pin; never from the command line, which every
// user of the machine can read. It returns ErrNotConfigured when
// CITYID_PKCS11_MODULE is unset, so callers can fall back to the file keyring.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Path: getenv(EnvModule), TokenLabel: getenv(EnvToken), PIN: getenv(EnvPIN)}
	if c.Path == "" {
		return Config{}, ErrNotConfigured
	}
	file := getenv(EnvPINFile)
	if file != "" && c.PIN != "" {
		return Config{}, fmt.Errorf("hsm: %s and %s are both set: give one", EnvPIN, EnvPINFile)
	}
	if file == "" && c.PIN == "" && getenv(EnvCredentials) != "" {
		if p := filepath.Join(getenv(EnvCredentials), PINCredential); fileExists(p) {
			file = p
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			// %v, not %w: a missing PIN file is not a missing key.
			return Config{}, fmt.Errorf("hsm: the token PIN: %v", err)
		}
		c.PIN = strings.TrimRight(string(b), "\r\n")
		clear(b)
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (c Config) validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: %s is empty", ErrNotConfigured, EnvModule)
	case c.TokenLabel == "":
		return fmt.Errorf("hsm: %s (token label) is required", EnvToken)
	case c.PIN == "":
		return fmt.Errorf("hsm: the user PIN is required: set %s (a file holding it), %s, or the credential %s", EnvPINFile, EnvPIN, PINCredential)
	}
	return nil
}
