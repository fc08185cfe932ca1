package vault

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// Derive returns a 32-byte key for purpose, derived from the master key with
// HKDF-SHA256, so other key stores in the data directory (the credential
// signing keyring) are sealed under the master key without sharing it.
// Rotating the master key changes every derived key: whatever is sealed
// under one must be re-sealed during rotation.
func (k *Keys) Derive(purpose string) ([]byte, error) {
	return hkdf.Key(sha256.New, k.master[:], nil, "cityid derived key v1: "+purpose, keyBytes)
}
