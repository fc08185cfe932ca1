package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Key file format (version 1): a JSON object, written once and never
// rewritten, mode 0600:
//
//	{
//	  "format": "cityid-keys",
//	  "version": 1,
//	  "master_id": "<hex id of the master key, as KEK.ID>",
//	  "master": "<base64 std, 32 bytes: AES-256 master key (KEK)>",
//	  "index": "<base64 std, 32 bytes: HMAC-SHA256 blind-index key>",
//	  "match": "<base64 std, 32 bytes: key of the linkage Bloom-filter encodings>"
//	}
//
// master_id lets an operator tell key files apart without opening them, and
// catches a damaged master key on load. The three keys are independent
// random values created together: losing the file loses every sealed field,
// so back it up apart from the database.
const (
	keyFileFormat  = "cityid-keys"
	keyFileVersion = 1
	maxKeyFileSize = 64 << 10
)

type keyFileJSON struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	MasterID string `json:"master_id"`
	Master   string `json:"master"`
	Index    string `json:"index"`
	Match    string `json:"match"`
}

// Keys is the content of a key file.
type Keys struct {
	master, index, match [keyBytes]byte
}

// GenerateKeys draws a fresh set of keys from rand.
func GenerateKeys(rand io.Reader) (*Keys, error) {
	k := new(Keys)
	for _, b := range [][]byte{k.master[:], k.index[:], k.match[:]} {
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, fmt.Errorf("vault: generate keys: %w", err)
		}
	}
	return k, nil
}

// KEK returns the master key as a KEK.
func (k *Keys) KEK() KEK {
	kek, err := NewAESKEK(k.master[:])
	if err != nil {
		panic(err) // unreachable: the length is fixed
	}
	return kek
}

// IndexKey returns the blind-index key.
func (k *Keys) IndexKey() IndexKey {
	ik, _ := NewIndexKey(k.index[:])
	return ik
}

// MatchKey returns a copy of the key for privacy-preserving linkage encodings.
func (k *Keys) MatchKey() []byte { return bytes.Clone(k.match[:]) }

// CreateKeyFile generates keys from rand and writes them to path, mode 0600.
// It refuses to replace an existing file (fs.ErrExist): overwriting a key
// file would make every sealed field unreadable. The file appears whole or
// not at all (temporary file, fsync, link into place, fsync of the directory).
func CreateKeyFile(path string, rand io.Reader) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("vault: key file %s already exists; refusing to overwrite it: %w", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vault: key file: %w", err)
	}
	k, err := GenerateKeys(rand)
	if err != nil {
		return err
	}
	data, err := k.marshal()
	if err != nil {
		return err
	}
	defer clear(data)
	return writeNewFile(path, data)
}

// writeNewFile writes data to path, mode 0600, whole or not at all
// (temporary file, fsync, link into place, fsync of the directory). It
// refuses (fs.ErrExist) to replace an existing file: a hard link fails if
// path exists, unlike rename, so a concurrent creator cannot be overwritten.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keys-*.tmp")
	if err != nil {
		return fmt.Errorf("vault: key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after the link, this removes only the temporary name
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("vault: key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("vault: key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("vault: key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vault: key file: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("vault: key file %s already exists; refusing to overwrite it: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("vault: key file: %w", err)
	}
	return syncDir(dir)
}

// syncDir persists directory entries; not all systems support it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

func (k *Keys) marshal() ([]byte, error) {
	enc := base64.StdEncoding.EncodeToString
	data, err := json.MarshalIndent(keyFileJSON{
		Format:   keyFileFormat,
		Version:  keyFileVersion,
		MasterID: k.KEK().ID(),
		Master:   enc(k.master[:]),
		Index:    enc(k.index[:]),
		Match:    enc(k.match[:]),
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vault: key file: %w", err)
	}
	return append(data, '\n'), nil
}

// LoadKeyFile reads a key file written by CreateKeyFile. A file readable by
// group or others gives ErrKeyFilePermissions (on systems with Unix
// permissions): a master key others can read protects nothing.
func LoadKeyFile(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("vault: key file %s has mode %04o, readable by other users; fix with: chmod 600 %s: %w",
			path, st.Mode().Perm(), path, ErrKeyFilePermissions)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: key file %s: %w", path, err)
	}
	defer clear(data)
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("vault: key file %s is larger than %d bytes; it is not a cityid key file", path, maxKeyFileSize)
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("vault: key file %s: %w", path, err)
	}
	return k, nil
}

func parseKeyFile(data []byte) (*Keys, error) {
	var kf keyFileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		return nil, fmt.Errorf("not a cityid key file: %w", err)
	}
	if kf.Format != keyFileFormat {
		return nil, fmt.Errorf("format is %q, want %q", kf.Format, keyFileFormat)
	}
	if kf.Version != keyFileVersion {
		return nil, fmt.Errorf("version %d is not supported (this program reads version %d)", kf.Version, keyFileVersion)
	}
	k := new(Keys)
	for _, f := range []struct {
		name, b64 string
		dst       []byte
	}{{"master", kf.Master, k.master[:]}, {"index", kf.Index, k.index[:]}, {"match", kf.Match, k.match[:]}} {
		b, err := base64.StdEncoding.DecodeString(f.b64)
		if err != nil {
			return nil, fmt.Errorf("%s key: %w", f.name, err)
		}
		if len(b) != keyBytes {
			clear(b)
			return nil, fmt.Errorf("%s key is %d bytes, want %d", f.name, len(b), keyBytes)
		}
		copy(f.dst, b)
		clear(b)
	}
	if id := k.KEK().ID(); id != kf.MasterID {
		return nil, fmt.Errorf("master key does not match master_id %q (computed %s): the file is damaged", kf.MasterID, id)
	}
	return k, nil
}
