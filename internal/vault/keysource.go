package vault

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySource is where the key set (master key, blind-index key, match key)
// comes from. KeyFile, the default, is a file in the data directory; other
// sources — a file on another disk, a file descriptor or environment
// variable set by the service manager (systemd credentials), a key set
// wrapped by the PKCS#11 token that holds the signing keys — implement the
// same interface, and the optional KeyCreator and KeyRotator when they can
// create or rotate keys in place (the pattern of step-ca's signers: a small
// core interface, more by type assertion).
type KeySource interface {
	// LoadKeys returns the key set; an error wrapping fs.ErrNotExist when
	// the source holds none yet.
	LoadKeys() (*Keys, error)
	// String says where the keys are, for messages; never key material.
	String() string
}

// KeyCreator is a KeySource that can store a fresh key set (first start).
type KeyCreator interface {
	KeySource
	// CreateKeys generates a key set from rand and stores it; it refuses
	// (fs.ErrExist) to replace one: that would make every sealed field
	// unreadable.
	CreateKeys(rand io.Reader) error
}

// KeyRotator is a KeySource that can hold the key set a master-key
// rotation moves to (the pending set) next to the current one, and switch
// to it when the rotation ends. Every step survives a crash: a rotation
// interrupted anywhere can be run again.
type KeyRotator interface {
	KeySource
	// PendingKeys returns the pending key set, creating it on first use:
	// a new master key with current's blind-index and match keys (those
	// are not rotated, so indexes and match encodings stay valid).
	PendingKeys(current *Keys, rand io.Reader) (*Keys, error)
	// LoadPendingKeys returns the pending key set without creating one;
	// an error wrapping fs.ErrNotExist when there is none.
	LoadPendingKeys() (*Keys, error)
	// CommitPending makes the pending set current and keeps the previous
	// one as the retired set, until the operator deletes it.
	CommitPending() error
	// Retired says where the previous key set of a finished rotation is
	// kept, and whether it is still there (a new rotation waits until the
	// operator has backed up the new set and deleted the retired one).
	Retired() (where string, present bool)
}

// Suffixes of the files a KeyFile rotation keeps beside the key file.
const (
	PendingSuffix = ".new" // the key set being rotated to, until the rotation ends
	RetiredSuffix = ".old" // the previous key set, kept until the operator deletes it
)

// KeyFile is a key file at Path (see CreateKeyFile for the format). It
// creates keys and rotates them with Path+PendingSuffix and
// Path+RetiredSuffix beside it.
type KeyFile struct{ Path string }

var _ KeyRotator = KeyFile{}
var _ KeyCreator = KeyFile{}

// String returns the file's path.
func (f KeyFile) String() string { return f.Path }

// LoadKeys reads the key file (see LoadKeyFile).
func (f KeyFile) LoadKeys() (*Keys, error) { return LoadKeyFile(f.Path) }

// CreateKeys writes a fresh key file (see CreateKeyFile).
func (f KeyFile) CreateKeys(rand io.Reader) error { return CreateKeyFile(f.Path, rand) }

func (f KeyFile) pending() string { return f.Path + PendingSuffix }

// LoadPendingKeys reads Path+PendingSuffix.
func (f KeyFile) LoadPendingKeys() (*Keys, error) { return LoadKeyFile(f.pending()) }

// PendingKeys reads Path+PendingSuffix, or writes it (whole or not at all)
// with a new master key drawn from rand and current's other keys.
func (f KeyFile) PendingKeys(current *Keys, rand io.Reader) (*Keys, error) {
	return pendingKeys(f.pending(), f.LoadPendingKeys, (*Keys).marshal, current, rand)
}

// pendingKeys loads the pending key set at path, or makes one from
// current and rand, stores it as encode says (whole or not at all) and
// reads it back with load: what the rotation uses is what a restart will
// load.
func pendingKeys(path string, load func() (*Keys, error), encode func(*Keys) ([]byte, error), current *Keys, rand io.Reader) (*Keys, error) {
	if k, err := load(); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	next := &Keys{index: current.index, match: current.match}
	if _, err := io.ReadFull(rand, next.master[:]); err != nil {
		return nil, fmt.Errorf("vault: new master key: %w", err)
	}
	data, err := encode(next)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	if err := writeNewFile(path, data); err != nil {
		return nil, err
	}
	k, err := load()
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("vault: new master key file: %w", err)
	}
	return k, nil
}

// CommitPending keeps Path as Path+RetiredSuffix (a hard link, so Path
// never disappears) and renames the pending file onto Path.
func (f KeyFile) CommitPending() error { return commitPending(f.Path) }

// commitPending keeps path as path+RetiredSuffix (a hard link, so path
// never disappears) and renames path+PendingSuffix onto it.
func commitPending(path string) error {
	old := path + RetiredSuffix
	if err := os.Link(path, old); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("vault: keep the previous master key as %s: %w", old, err)
	}
	if err := os.Rename(path+PendingSuffix, path); err != nil {
		return fmt.Errorf("vault: move the new master key into place: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// Retired reports Path+RetiredSuffix and whether it exists.
func (f KeyFile) Retired() (string, bool) { return retired(f.Path) }

func retired(path string) (string, bool) {
	old := path + RetiredSuffix
	_, err := os.Lstat(old)
	return old, err == nil
}
