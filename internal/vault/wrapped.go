package vault

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WrappedSuffix names the wrapped form of a key file: master.key becomes
// master.key.wrapped.
const WrappedSuffix = ".wrapped"

// KeyWrapper seals a key file's bytes with a key that never leaves a
// token (package hsm: an AES-256 key on the PKCS#11 token that holds the
// card signing keys). Declared here, where it is used; implemented there.
type KeyWrapper interface {
	// Wrap seals plain, bound to aad, and names the wrapper's key that did
	// (not secret: a token key's label), so Unwrap finds it again after
	// the wrapper has moved on to a new key.
	Wrap(plain, aad []byte) (wrapped []byte, keyID string, err error)
	// Unwrap opens what Wrap sealed with the key keyID.
	Unwrap(wrapped, aad []byte, keyID string) ([]byte, error)
	// String says what wraps, for messages; never a PIN or key material.
	String() string
}

// Wrapped key file format (version 1): a JSON object, mode 0600:
//
//	{
//	  "format": "cityid-wrapped-keys",
//	  "version": 1,
//	  "master_id": "<hex id of the master key inside, as KEK.ID>",
//	  "wrapped_by": "<KeyWrapper.String() when it was written, for people>",
//	  "key": "<the wrapper's key id, e.g. the token key's label>",
//	  "sealed": "<base64 std: the key file (see CreateKeyFile), sealed by the wrapper>"
//	}
//
// The sealed bytes are bound to the format and master_id (the additional
// data), so neither can be swapped without the unwrap failing. Without the
// wrapper's key the file reveals nothing but the master key's public id.
const wrappedFormat = "cityid-wrapped-keys"

type wrappedJSON struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	MasterID  string `json:"master_id"`
	WrappedBy string `json:"wrapped_by"`
	Key       string `json:"key"`
	Sealed    string `json:"sealed"`
}

func wrappedAAD(masterID string) []byte {
	return []byte(wrappedFormat + " v1\x00" + masterID)
}

// WrappedKeyFile is a key set stored only wrapped by Wrapper, at Path. It
// loads by unwrapping through the wrapper, so a copy of the file without
// the token opens nothing; a master-key rotation keeps its pending and
// retired sets wrapped too (Path+PendingSuffix, Path+RetiredSuffix).
type WrappedKeyFile struct {
	Path    string
	Wrapper KeyWrapper
}

var _ KeyRotator = WrappedKeyFile{}

// String says where the keys are and what wraps them.
func (w WrappedKeyFile) String() string {
	return fmt.Sprintf("%s (wrapped by %s)", w.Path, w.Wrapper)
}

// LoadKeys reads Path and unwraps it.
func (w WrappedKeyFile) LoadKeys() (*Keys, error) {
	k, _, err := w.load(w.Path)
	return k, err
}

// LoadPendingKeys reads and unwraps Path+PendingSuffix.
func (w WrappedKeyFile) LoadPendingKeys() (*Keys, error) {
	k, _, err := w.load(w.Path + PendingSuffix)
	return k, err
}

// PendingKeys reads Path+PendingSuffix, or writes it wrapped (whole or not
// at all) with a new master key drawn from rand and current's other keys.
func (w WrappedKeyFile) PendingKeys(current *Keys, rand io.Reader) (*Keys, error) {
	return pendingKeys(w.Path+PendingSuffix, w.LoadPendingKeys, w.seal, current, rand)
}

// CommitPending keeps Path as Path+RetiredSuffix and renames the pending
// file onto Path (see KeyFile.CommitPending).
func (w WrappedKeyFile) CommitPending() error { return commitPending(w.Path) }

// Retired reports Path+RetiredSuffix and whether it exists.
func (w WrappedKeyFile) Retired() (string, bool) { return retired(w.Path) }

// seal returns the wrapped key file of k.
func (w WrappedKeyFile) seal(k *Keys) ([]byte, error) {
	plain, err := k.marshal()
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	id := k.KEK().ID()
	sealed, keyID, err := w.Wrapper.Wrap(plain, wrappedAAD(id))
	if err != nil {
		return nil, fmt.Errorf("vault: wrap the master key with %s: %w", w.Wrapper, err)
	}
	data, err := json.MarshalIndent(wrappedJSON{Format: wrappedFormat, Version: keyFileVersion, MasterID: id,
		WrappedBy: w.Wrapper.String(), Key: keyID, Sealed: base64.StdEncoding.EncodeToString(sealed)}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vault: wrapped key file: %w", err)
	}
	return append(data, '\n'), nil
}

// load reads the wrapped key file at path and unwraps it; it also returns
// the wrapper's key id recorded in it.
func (w WrappedKeyFile) load(path string) (*Keys, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, "", fmt.Errorf("vault: wrapped key file %s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, "", fmt.Errorf("vault: wrapped key file %s is larger than %d bytes; it is not a cityid key file", path, maxKeyFileSize)
	}
	var wj wrappedJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wj); err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: not a cityid wrapped key file: %w", path, err)
	}
	if wj.Format != wrappedFormat || wj.Version != keyFileVersion {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: format %q version %d, want %q version %d", path, wj.Format, wj.Version, wrappedFormat, keyFileVersion)
	}
	sealed, err := base64.StdEncoding.DecodeString(wj.Sealed)
	if err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: %w", path, err)
	}
	plain, err := w.Wrapper.Unwrap(sealed, wrappedAAD(wj.MasterID), wj.Key)
	if errors.Is(err, fs.ErrNotExist) {
		// Something the wrapper needs is missing (a PIN file), not this
		// file: callers take fs.ErrNotExist to mean "no key set yet".
		err = errors.New(err.Error())
	}
	if err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: unwrap with %s key %q: %w", path, w.Wrapper, wj.Key, err)
	}
	defer clear(plain)
	k, err := parseKeyFile(plain)
	if err != nil {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: %w", path, err)
	}
	if id := k.KEK().ID(); id != wj.MasterID {
		return nil, "", fmt.Errorf("vault: wrapped key file %s: holds master key %s, not %s", path, id, wj.MasterID)
	}
	return k, wj.Key, nil
}

// equal reports whether k and o are the same key set (constant time).
func (k *Keys) equal(o *Keys) bool {
	return subtle.ConstantTimeCompare(k.master[:], o.master[:])&
		subtle.ConstantTimeCompare(k.index[:], o.index[:])&
		subtle.ConstantTimeCompare(k.match[:], o.match[:]) == 1
}

// ErrPlainKeysBeside means a rotation's plain pending or retired key file
// sits beside the key file being wrapped: it would stay readable.
var ErrPlainKeysBeside = errors.New("plain key files of a rotation beside the key file")

// Adopt moves the key set of the plain key file into w and removes the
// plain file. It is crash-safe and can be run again after any
// interruption: the wrapped file is written whole (temporary file, fsync,
// link, fsync of the directory), read back through the wrapper and compared
// with the plain keys before the plain file is removed, so there is never
// a moment without a usable key. A wrapped file that already exists must
// hold the same keys (an earlier, interrupted run); anything else stops
// with nothing changed.
//
// The plain file's blocks may survive on the disk after its removal: the
// filesystem decides. Keep the operator's copy of the plain key offline.
func (w WrappedKeyFile) Adopt(plain KeyFile) error {
	for _, p := range []string{plain.Path + PendingSuffix, plain.Path + RetiredSuffix} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("vault: %s exists: finish the rotation (cityid keys rotate-master) and delete the previous key after backing it up, then wrap: %w", p, ErrPlainKeysBeside)
		}
	}
	pk, err := plain.LoadKeys()
	if err != nil {
		return err
	}
	wk, err := w.LoadKeys()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data, err := w.seal(pk)
		if err != nil {
			return err
		}
		if err := writeNewFile(w.Path, data); err != nil {
			return err
		}
		if wk, err = w.LoadKeys(); err != nil {
			os.Remove(w.Path)
			return fmt.Errorf("vault: the wrapped key file does not unwrap; removed it, %s is untouched: %w", plain.Path, err)
		}
	case err != nil:
		return fmt.Errorf("%w (%s is untouched)", err, plain.Path)
	}
	if !wk.equal(pk) {
		return fmt.Errorf("vault: %s and %s hold different keys; nothing changed: keep the one that opens the database and move the other away", w.Path, plain.Path)
	}
	if err := os.Remove(plain.Path); err != nil {
		return fmt.Errorf("vault: remove the plain key file: %w", err)
	}
	return syncDir(filepath.Dir(plain.Path))
}

// Rewrap seals w's key set again with the wrapper's current key (after the
// token key that wraps it changed) and replaces Path atomically (temporary
// file, fsync, rename, fsync of the directory): a crash leaves the old or
// the new file, both usable while the old token key exists. It returns the
// wrapper's key ids before and after.
func (w WrappedKeyFile) Rewrap() (from, to string, err error) {
	if _, err := os.Lstat(w.Path + PendingSuffix); err == nil {
		return "", "", fmt.Errorf("vault: %s exists: finish the rotation (cityid keys rotate-master) first", w.Path+PendingSuffix)
	}
	k, from, err := w.load(w.Path)
	if err != nil {
		return "", "", err
	}
	data, err := w.seal(k)
	if err != nil {
		return "", "", err
	}
	tmp := w.Path + ".rewrap"
	os.Remove(tmp) // left by an interrupted run; Path is still the usable one
	if err := writeNewFile(tmp, data); err != nil {
		return "", "", err
	}
	defer os.Remove(tmp)
	nk, to, err := w.load(tmp)
	if err != nil {
		return "", "", fmt.Errorf("vault: the rewrapped key file does not unwrap; %s is untouched: %w", w.Path, err)
	}
	if !nk.equal(k) {
		return "", "", fmt.Errorf("vault: the rewrapped key file holds other keys; %s is untouched", w.Path)
	}
	if err := os.Rename(tmp, w.Path); err != nil {
		return "", "", fmt.Errorf("vault: replace %s: %w", w.Path, err)
	}
	return from, to, syncDir(filepath.Dir(w.Path))
}
