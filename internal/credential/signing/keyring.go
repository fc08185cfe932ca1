package signing

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/cityid/cityid/internal/credential/cose"
)

// Keyring errors.
var (
	ErrNoActiveKey = errors.New("signing: keyring has no active key; run 'cityid keys rotate'")
	ErrWrongSecret = errors.New("signing: wrong master key or passphrase for this keyring")
)

// KeyringFile is the keyring's file name inside the data directory.
const KeyringFile = "signing-keys.json"

// Argon2id parameters for passphrase-derived key-encryption keys (RFC 9106's
// second recommended option: 64 MiB, 3 passes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 4
)

const (
	kdfMaster     = "hkdf-sha256"
	kdfPassphrase = "argon2id"
	checkText     = "cityid signing keyring"
)

// Unlock says how to derive the keyring's key-encryption key.
type Unlock struct {
	kdf    string
	secret []byte
}

// MasterKey unlocks with the data directory's master key (from the vault or
// an HSM-wrapped key file), stretched per keyring with HKDF-SHA256.
func MasterKey(master []byte) Unlock { return Unlock{kdf: kdfMaster, secret: master} }

// Passphrase unlocks with a passphrase through Argon2id, for standalone use.
func Passphrase(p []byte) Unlock { return Unlock{kdf: kdfPassphrase, secret: p} }

func (u Unlock) kek(salt []byte) ([]byte, error) {
	switch u.kdf {
	case kdfMaster:
		if len(u.secret) < 32 {
			return nil, fmt.Errorf("signing: master key is %d bytes, want at least 32", len(u.secret))
		}
		return hkdf.Key(sha256.New, u.secret, salt, "cityid signing keyring v1", 32)
	case kdfPassphrase:
		if len(u.secret) < 12 {
			return nil, errors.New("signing: passphrase must be at least 12 characters")
		}
		return argon2.IDKey(u.secret, salt, argonTime, argonMemory, argonThreads, 32), nil
	}
	return nil, errors.New("signing: no master key or passphrase given")
}

// KeyInfo describes one key of the keyring. The private key is stored sealed.
type KeyInfo struct {
	ID      string    `json:"kid"`
	Alg     string    `json:"alg"`
	Created time.Time `json:"created"`
	// RetiredAt is when a newer key took over signing; zero for the active key.
	RetiredAt time.Time `json:"retiredAt,omitzero"`
	// VerifyUntil is when the last card this key signed expires; the key stays
	// published until then. Zero while the key is active.
	VerifyUntil time.Time `json:"verifyUntil,omitzero"`
	Public      []byte    `json:"public"` // PKIX DER
	Sealed      []byte    `json:"sealed"` // AES-256-GCM of the PKCS #8 private key
}

type keyringDoc struct {
	Version int       `json:"version"`
	KDF     string    `json:"kdf"`
	Salt    []byte    `json:"salt"`
	Check   []byte    `json:"check"`
	Keys    []KeyInfo `json:"keys"`
}

// Keyring is the set of signing keys in a data directory: at most one active
// key signs new cards; retired keys keep verifying until their cards expire.
// One process at a time should rotate.
type Keyring struct {
	path string
	aead cipher.AEAD
	now  func() time.Time

	mu  sync.Mutex
	doc keyringDoc
}

// OpenKeyring opens the keyring file at path, creating an empty one (0600)
// when it does not exist.
func OpenKeyring(path string, u Unlock, rand io.Reader, now func() time.Time) (*Keyring, error) {
	k := &Keyring{path: path, now: now}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		salt := make([]byte, 16)
		if _, err := io.ReadFull(rand, salt); err != nil {
			return nil, fmt.Errorf("signing: salt: %w", err)
		}
		k.doc = keyringDoc{Version: 1, KDF: u.kdf, Salt: salt, Keys: []KeyInfo{}}
		if err := k.initAEAD(u); err != nil {
			return nil, err
		}
		if k.doc.Check, err = k.seal(rand, []byte(checkText), "check"); err != nil {
			return nil, err
		}
		return k, k.save()
	case err != nil:
		return nil, fmt.Errorf("signing: %w", err)
	}
	if err := json.Unmarshal(b, &k.doc); err != nil {
		return nil, fmt.Errorf("signing: keyring %s: %w", path, err)
	}
	if k.doc.Version != 1 {
		return nil, fmt.Errorf("signing: keyring version %d is not supported", k.doc.Version)
	}
	if k.doc.KDF != u.kdf {
		return nil, fmt.Errorf("%w: the keyring is locked with %s", ErrWrongSecret, k.doc.KDF)
	}
	if err := k.initAEAD(u); err != nil {
		return nil, err
	}
	if pt, err := k.open(k.doc.Check, "check"); err != nil || string(pt) != checkText {
		return nil, ErrWrongSecret
	}
	return k, nil
}

func (k *Keyring) initAEAD(u Unlock) error {
	kek, err := u.kek(k.doc.Salt)
	if err != nil {
		return err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	k.aead, err = cipher.NewGCM(block)
	return err
}

// seal encrypts pt with a random nonce, bound by the AAD to what it is.
func (k *Keyring) seal(rand io.Reader, pt []byte, label string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("signing: nonce: %w", err)
	}
	return k.aead.Seal(nonce, nonce, pt, []byte("cityid/keyring/v1/"+label)), nil
}

func (k *Keyring) open(sealed []byte, label string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrWrongSecret
	}
	pt, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte("cityid/keyring/v1/"+label))
	if err != nil {
		return nil, ErrWrongSecret
	}
	return pt, nil
}

// save writes the keyring atomically with mode 0600.
func (k *Keyring) save() error {
	b, err := json.MarshalIndent(k.doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(k.path), ".keyring-*")
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("signing: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("signing: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("signing: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return os.Rename(tmp.Name(), k.path)
}

// Keys lists the keys, oldest first, without their private parts.
func (k *Keyring) Keys() []KeyInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]KeyInfo, len(k.doc.Keys))
	for i, ki := range k.doc.Keys {
		ki.Sealed = nil
		out[i] = ki
	}
	return out
}

// Rotate creates a new key (ES256 unless alg is EdDSA) and makes it the
// active signer. The previous active key is retired and stays published for
// cardLifetime, the longest validity of a card it may have signed.
func (k *Keyring) Rotate(rand io.Reader, alg string, cardLifetime time.Duration) (KeyInfo, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "", ES256:
		alg = ES256
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand)
	default:
		return KeyInfo{}, fmt.Errorf("%w: algorithm %q (want ES256 or EdDSA)", ErrKey, alg)
	}
	if err != nil {
		return KeyInfo{}, fmt.Errorf("signing: generate: %w", err)
	}
	kid, err := KeyID(priv.Public())
	if err != nil {
		return KeyInfo{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyInfo{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return KeyInfo{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sealed, err := k.seal(rand, der, kid)
	if err != nil {
		return KeyInfo{}, err
	}
	now := k.now().UTC()
	for i := range k.doc.Keys {
		if k.doc.Keys[i].RetiredAt.IsZero() {
			k.doc.Keys[i].RetiredAt = now
			k.doc.Keys[i].VerifyUntil = now.Add(cardLifetime)
		}
	}
	info := KeyInfo{ID: kid, Alg: alg, Created: now, Public: pub, Sealed: sealed}
	k.doc.Keys = append(k.doc.Keys, info)
	if err := k.save(); err != nil {
		return KeyInfo{}, err
	}
	info.Sealed = nil
	return info, nil
}

// Active returns the signer of the active key.
func (k *Keyring) Active() (Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := len(k.doc.Keys) - 1; i >= 0; i-- {
		ki := k.doc.Keys[i]
		if !ki.RetiredAt.IsZero() {
			continue
		}
		der, err := k.open(ki.Sealed, ki.ID)
		if err != nil {
			return nil, fmt.Errorf("signing: key %s: %w", ki.ID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("signing: key %s: %w", ki.ID, err)
		}
		cs, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: key %s is a %T", ErrKey, ki.ID, priv)
		}
		s, err := NewSigner(cs)
		if err != nil {
			return nil, err
		}
		if s.KeyID() != ki.ID {
			return nil, fmt.Errorf("%w: key %s does not match its id", ErrKey, ki.ID)
		}
		return s, nil
	}
	return nil, ErrNoActiveKey
}

// Published returns the public keys verifiers need now: the active key and
// every retired key whose cards may still be valid.
func (k *Keyring) Published() (*KeySet, error) {
	now := k.now()
	var keys []cose.Key
	for _, ki := range k.Keys() {
		if !ki.VerifyUntil.IsZero() && !now.Before(ki.VerifyUntil) {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(ki.Public)
		if err != nil {
			return nil, fmt.Errorf("signing: key %s: %w", ki.ID, err)
		}
		keys = append(keys, cose.Key{ID: ki.ID, Alg: ki.Alg, Public: pub})
	}
	return NewKeySet(keys...)
}

// LoadKeyInfo reads the key list from a keyring file without unlocking it.
func LoadKeyInfo(path string) ([]KeyInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	var doc keyringDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("signing: keyring %s: %w", path, err)
	}
	for i := range doc.Keys {
		doc.Keys[i].Sealed = nil
	}
	return doc.Keys, nil
}

// LoadPublished reads the public keys to publish at time now from a keyring
// file without unlocking it (public keys are stored in the clear), so a web
// server can serve the key set without holding the key-encryption key.
func LoadPublished(path string, now time.Time) (*KeySet, error) {
	keys, err := LoadKeyInfo(path)
	if err != nil {
		return nil, err
	}
	k := &Keyring{doc: keyringDoc{Keys: keys}, now: func() time.Time { return now }}
	return k.Published()
}
