package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// KEK (key-encryption key) wraps and unwraps data keys. The master key file
// provides one (see Keys.KEK); an HSM over PKCS#11 can provide another, so the
// vault never needs the master key bytes themselves.
type KEK interface {
	// ID is a stable, non-secret identifier of this master key, at most
	// 255 bytes (it is stored in the key check value; see Vault.Check).
	ID() string
	// Wrap encrypts a data key.
	Wrap(dek []byte) ([]byte, error)
	// Unwrap decrypts a wrapped data key; a key wrapped by another master key
	// yields an error wrapping ErrWrongKey.
	Unwrap(wrapped []byte) ([]byte, error)
}

// Wrapped-key format of the AES key-wrap KEK:
//
//	byte 0      version (wrapV1)
//	bytes 1–8   the first 8 bytes of the KEK id, so a wrong master key is told
//	            apart from a damaged wrapped key
//	bytes 9–    RFC 3394 AES key wrap of the data key (len(dek)+8 bytes)
//
// AES key wrap is deterministic and needs no nonce: the wrapped data is itself
// a uniformly random key, which is the case RFC 3394 was designed for, and it
// keeps the KEK free of a randomness source.
const (
	wrapV1     = 1
	kekIDBytes = 8
	keyBytes   = 32
)

// aesKEK is the master key from the key file: AES-256 key wrap (RFC 3394).
type aesKEK struct {
	block cipher.Block
	id    [kekIDBytes]byte
}

// NewAESKEK returns a KEK over a 32-byte master key held in memory.
func NewAESKEK(master []byte) (KEK, error) {
	if len(master) != keyBytes {
		return nil, fmt.Errorf("vault: master key is %d bytes, want %d", len(master), keyBytes)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("vault: master key: %w", err)
	}
	k := &aesKEK{block: block}
	copy(k.id[:], masterKeyID(master))
	return k, nil
}

// masterKeyID derives the public id of a master key: the first 8 bytes of
// SHA-256 of a key check value (an HMAC of a fixed label), so the id reveals
// nothing about the key yet changes with it.
func masterKeyID(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("cityid master key check v1"))
	sum := sha256.Sum256(m.Sum(nil))
	return sum[:kekIDBytes]
}

func (k *aesKEK) ID() string { return hex.EncodeToString(k.id[:]) }

func (k *aesKEK) Wrap(dek []byte) ([]byte, error) {
	if len(dek) < 16 || len(dek)%8 != 0 {
		return nil, fmt.Errorf("vault: wrap: data key is %d bytes, want a multiple of 8, at least 16", len(dek))
	}
	out := make([]byte, 1+kekIDBytes, 1+kekIDBytes+len(dek)+8)
	out[0] = wrapV1
	copy(out[1:], k.id[:])
	return append(out, keyWrap(k.block, dek)...), nil
}

func (k *aesKEK) Unwrap(wrapped []byte) ([]byte, error) {
	if len(wrapped) < 1+kekIDBytes+24 || (len(wrapped)-1-kekIDBytes)%8 != 0 {
		return nil, fmt.Errorf("vault: unwrap: wrapped key is %d bytes: %w", len(wrapped), ErrDecrypt)
	}
	if wrapped[0] != wrapV1 {
		return nil, fmt.Errorf("vault: unwrap: unknown format version %d: %w", wrapped[0], ErrDecrypt)
	}
	if !hmac.Equal(wrapped[1:1+kekIDBytes], k.id[:]) {
		return nil, fmt.Errorf("vault: unwrap: data key was wrapped by master key %x, this is %s: %w",
			wrapped[1:1+kekIDBytes], k.ID(), ErrWrongKey)
	}
	dek, ok := keyUnwrap(k.block, wrapped[1+kekIDBytes:])
	if !ok {
		return nil, fmt.Errorf("vault: unwrap: integrity check failed (wrapped key damaged): %w", ErrDecrypt)
	}
	return dek, nil
}

// defaultIV is the RFC 3394 section 2.2.3.1 initial value.
var defaultIV = [8]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}

// keyWrap is RFC 3394 section 2.2.1 (index-based form) over a 64-bit block
// split; plaintext must be n ≥ 2 blocks of 8 bytes.
func keyWrap(block cipher.Block, plain []byte) []byte {
	n := len(plain) / 8
	r := make([]byte, len(plain))
	copy(r, plain)
	var a [8]byte
	copy(a[:], defaultIV[:])
	var b [16]byte
	for j := 0; j < 6; j++ {
		for i := 0; i < n; i++ {
			copy(b[:8], a[:])
			copy(b[8:], r[i*8:i*8+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(b[:8])^t)
			copy(r[i*8:], b[8:])
		}
	}
	return append(a[:], r...)
}

// keyUnwrap is RFC 3394 section 2.2.2; ok is false when the integrity check
// value does not come out as the default IV.
func keyUnwrap(block cipher.Block, wrapped []byte) ([]byte, bool) {
	n := len(wrapped)/8 - 1
	var a [8]byte
	copy(a[:], wrapped[:8])
	r := make([]byte, n*8)
	copy(r, wrapped[8:])
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n - 1; i >= 0; i-- {
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(b[8:], r[i*8:i*8+8])
			block.Decrypt(b[:], b[:])
			copy(a[:], b[:8])
			copy(r[i*8:], b[8:])
		}
	}
	if subtle.ConstantTimeCompare(a[:], defaultIV[:]) != 1 {
		clear(r)
		return nil, false
	}
	return r, true
}

// Errors callers check with errors.Is.
var (
	// ErrWrongKey: the master key (or index key) is not the one the data was made with.
	ErrWrongKey = errors.New("wrong master key")
	// ErrDecrypt: sealed data was altered, truncated, or opened with the wrong binding.
	ErrDecrypt = errors.New("decryption failed")
	// ErrKeyDestroyed: the data key was destroyed (crypto-shredded).
	ErrKeyDestroyed = errors.New("data key destroyed")
	// ErrKeyFilePermissions: the key file is readable by users other than its owner.
	ErrKeyFilePermissions = errors.New("key file permissions too open")
)
