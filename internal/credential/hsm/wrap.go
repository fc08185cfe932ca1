package hsm

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// EnvWrapKey names the token's AES key that wraps the master key set
// (default DefaultWrapKey).
const (
	EnvWrapKey     = "CITYID_PKCS11_WRAP_KEY"
	DefaultWrapKey = "cityid-master-key-wrap"
)

// KeyWrapper wraps the master key set with an AES-256 key that lives on the
// token, private, sensitive and not extractable: AES-GCM runs on the token,
// so the wrapping key never reaches this process and a copy of the wrapped
// file is useless without the token and its PIN. It implements
// vault.KeyWrapper.
//
// Each call opens the token, does one operation and closes it: the master
// key is unwrapped once at start (and wrapped once per rotation), so
// nothing holds a session in between.
type KeyWrapper struct {
	Config Config
	// ConfigErr, when set, is why there is no usable Config (the
	// environment names no token); every call reports it.
	ConfigErr error
	Label     string // the token key new wraps use (Unwrap uses the one recorded)
	// Create generates the key labelled Label on the token when it has
	// none (the command that wraps a key file); otherwise a missing key is
	// an error wrapping ErrNotFound.
	Create bool
	Rand   io.Reader // nonces; nil means crypto/rand
}

// String names the token (never the PIN).
func (w KeyWrapper) String() string {
	if w.ConfigErr != nil {
		return "a PKCS#11 token"
	}
	return fmt.Sprintf("PKCS#11 token %q", w.Config.TokenLabel)
}

// open opens the token and returns the AEAD of the key labelled label.
func (w KeyWrapper) open(label string, create bool) (*Context, cipher.AEAD, error) {
	if w.ConfigErr != nil {
		return nil, nil, fmt.Errorf("the master key is wrapped by a PKCS#11 token, and %w", w.ConfigErr)
	}
	c, err := Open(w.Config)
	if err != nil {
		return nil, nil, err
	}
	aead, err := c.aead(label, create)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, aead, nil
}

// Wrap seals plain with the key Label (nonce || AES-GCM ciphertext).
func (w KeyWrapper) Wrap(plain, aad []byte) (wrapped []byte, keyID string, err error) {
	label := w.Label
	if label == "" {
		label = DefaultWrapKey
	}
	c, aead, err := w.open(label, w.Create)
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	r := w.Rand
	if r == nil {
		r = rand.Reader
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, "", fmt.Errorf("hsm: nonce: %w", err)
	}
	// crypto11's Seal panics when the token fails (cipher.AEAD has no error).
	defer func() {
		if p := recover(); p != nil {
			wrapped, keyID, err = nil, "", fmt.Errorf("hsm: encrypt with key %q: %v", label, p)
		}
	}()
	return aead.Seal(nonce, nonce, plain, aad), label, nil
}

// Unwrap opens what Wrap sealed with the token key label.
func (w KeyWrapper) Unwrap(wrapped, aad []byte, label string) ([]byte, error) {
	c, aead, err := w.open(label, false)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	n := aead.NonceSize()
	if len(wrapped) < n+aead.Overhead() {
		return nil, errors.New("hsm: wrapped key too short")
	}
	plain, err := aead.Open(nil, wrapped[:n], wrapped[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("hsm: decrypt with key %q (damaged file, or another key with this label): %w", label, err)
	}
	return plain, nil
}
