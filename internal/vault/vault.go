// Package vault protects personal data at rest: envelope encryption with a
// data key per person, keyed blind indexes for exact-match search, and
// crypto-shredding.
//
// Every personal field is sealed with its person's data key (AES-256-GCM)
// and bound to the table, column and row it is stored in, so a sealed value
// copied into another row or column does not open. Data keys are stored
// wrapped by the master key (a KEK: the key file, or an HSM). Destroying a
// person's wrapped data key makes every sealed field of theirs unreadable,
// in the database and in every backup, without finding each copy.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Vault seals and opens personal data under the master key.
type Vault struct {
	kek  KEK
	idx  IndexKey
	rand io.Reader
}

// New returns a vault that wraps data keys with kek, computes blind indexes
// with idx, and draws keys and nonces from rand (crypto/rand.Reader in
// production).
func New(kek KEK, idx IndexKey, rand io.Reader) *Vault {
	return &Vault{kek: kek, idx: idx, rand: rand}
}

// KEKID is the id of the master key in use.
func (v *Vault) KEKID() string { return v.kek.ID() }

// DataKey is one person's data key. Copies share the key bytes, so Destroy
// on any copy destroys them all.
type DataKey struct {
	key  *[keyBytes]byte
	rand io.Reader
}

// NewDataKey makes a fresh data key and returns it with its wrapped form,
// which is what the database stores.
func (v *Vault) NewDataKey() (DataKey, []byte, error) {
	k := new([keyBytes]byte)
	if _, err := io.ReadFull(v.rand, k[:]); err != nil {
		return DataKey{}, nil, fmt.Errorf("vault: new data key: %w", err)
	}
	wrapped, err := v.kek.Wrap(k[:])
	if err != nil {
		clear(k[:])
		return DataKey{}, nil, fmt.Errorf("vault: new data key: %w", err)
	}
	return DataKey{key: k, rand: v.rand}, wrapped, nil
}

// OpenDataKey unwraps a stored data key. A key wrapped by another master key
// gives an error wrapping ErrWrongKey; a damaged one ErrDecrypt.
func (v *Vault) OpenDataKey(wrapped []byte) (DataKey, error) {
	b, err := v.kek.Unwrap(wrapped)
	if err != nil {
		return DataKey{}, fmt.Errorf("vault: open data key: %w", err)
	}
	defer clear(b)
	if len(b) != keyBytes {
		return DataKey{}, fmt.Errorf("vault: open data key: key is %d bytes, want %d: %w", len(b), keyBytes, ErrDecrypt)
	}
	k := new([keyBytes]byte)
	copy(k[:], b)
	return DataKey{key: k, rand: v.rand}, nil
}

// Rewrap re-encrypts a wrapped data key under another master key, for
// master-key rotation: the sealed data itself is not touched.
func (v *Vault) Rewrap(wrapped []byte, to KEK) ([]byte, error) {
	b, err := v.kek.Unwrap(wrapped)
	if err != nil {
		return nil, fmt.Errorf("vault: rewrap: %w", err)
	}
	defer clear(b)
	out, err := to.Wrap(b)
	if err != nil {
		return nil, fmt.Errorf("vault: rewrap: %w", err)
	}
	return out, nil
}

// Binding names where a sealed value lives. It is authenticated with the
// value, so moving ciphertext to another table, column or row breaks it.
type Binding struct {
	Table, Column, Row string
}

// Sealed-field format:
//
//	byte 0       version (sealV1)
//	bytes 1–12   random GCM nonce
//	bytes 13–    AES-256-GCM ciphertext and 16-byte tag
//
// The additional data is the version byte and the length-prefixed binding.
const (
	sealV1   = 1
	nonceLen = 12
	tagLen   = 16
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = 1 + nonceLen + tagLen
)

func (b Binding) additionalData(version byte) []byte {
	ad := make([]byte, 0, 32+len(b.Table)+len(b.Column)+len(b.Row))
	ad = append(ad, "cityid field"...)
	ad = append(ad, version)
	for _, s := range []string{b.Table, b.Column, b.Row} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(s)))
		ad = append(ad, s...)
	}
	return ad
}

func (k DataKey) aead() (cipher.AEAD, error) {
	if k.key == nil || isZero(k.key[:]) {
		return nil, ErrKeyDestroyed
	}
	block, err := aes.NewCipher(k.key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext for the place b names.
func (k DataKey) Seal(b Binding, plaintext []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s.%s: %w", b.Table, b.Column, err)
	}
	out := make([]byte, 1+nonceLen, Overhead+len(plaintext))
	out[0] = sealV1
	if _, err := io.ReadFull(k.rand, out[1:1+nonceLen]); err != nil {
		return nil, fmt.Errorf("vault: seal %s.%s: nonce: %w", b.Table, b.Column, err)
	}
	return aead.Seal(out, out[1:1+nonceLen], plaintext, b.additionalData(sealV1)), nil
}

// Open decrypts a value sealed for b. Altered or truncated data, or a value
// sealed for another place, gives an error wrapping ErrDecrypt.
func (k DataKey) Open(b Binding, sealed []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, fmt.Errorf("vault: open %s.%s: %w", b.Table, b.Column, err)
	}
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("vault: open %s.%s: %d bytes is too short: %w", b.Table, b.Column, len(sealed), ErrDecrypt)
	}
	if sealed[0] != sealV1 {
		return nil, fmt.Errorf("vault: open %s.%s: unknown format version %d: %w", b.Table, b.Column, sealed[0], ErrDecrypt)
	}
	plain, err := aead.Open(nil, sealed[1:1+nonceLen], sealed[1+nonceLen:], b.additionalData(sealed[0]))
	if err != nil {
		return nil, fmt.Errorf("vault: open %s.%s: %w", b.Table, b.Column, ErrDecrypt)
	}
	return plain, nil
}

// Destroy zeroes the key bytes in memory (shared by every copy of k). It
// does not erase the wrapped key from storage: crypto-shredding is deleting
// the stored wrapped key.
func (k *DataKey) Destroy() {
	if k.key != nil {
		clear(k.key[:])
		k.key = nil
	}
}

func isZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// Key check value, stored in the database at first start:
//
//	byte 0      version (checkV1)
//	byte 1      n = length of the master key id
//	bytes 2–    master key id (n bytes), then HMAC-SHA256(index key, label)
//
// so a start with another master key or index key fails with a clear error
// instead of producing garbage or empty search results.
const checkV1 = 1

// Check returns the key check value to store at first start.
func (v *Vault) Check() []byte {
	id := v.kek.ID()
	if len(id) > 255 {
		panic("vault: KEK id longer than 255 bytes")
	}
	out := []byte{checkV1, byte(len(id))}
	out = append(out, id...)
	return append(out, v.indexCheck()...)
}

func (v *Vault) indexCheck() []byte {
	m := hmac.New(sha256.New, v.idx.bytes())
	m.Write([]byte("cityid index key check v1"))
	return m.Sum(nil)
}

// VerifyCheck compares the keys in use with a check value from Check. A
// mismatch gives an error wrapping ErrWrongKey that says which key differs.
func (v *Vault) VerifyCheck(stored []byte) error {
	if len(stored) < 2 || stored[0] != checkV1 || len(stored) != 2+int(stored[1])+sha256.Size {
		return fmt.Errorf("vault: the stored key check value is damaged (%d bytes)", len(stored))
	}
	id := string(stored[2 : 2+int(stored[1])])
	if id != v.kek.ID() {
		return fmt.Errorf("vault: the master key (id %s) does not match this database (made with master key id %s): %w",
			v.kek.ID(), id, ErrWrongKey)
	}
	if !hmac.Equal(stored[2+int(stored[1]):], v.indexCheck()) {
		return fmt.Errorf("vault: the blind-index key does not match this database (master key id %s matches): %w",
			id, ErrWrongKey)
	}
	return nil
}
