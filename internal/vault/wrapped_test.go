package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// memWrapper stands in for a token in these tests: AES-256-GCM keys by
// label, held in memory. The PKCS#11 wrapper is tested against SoftHSM2 in
// package hsm and, end to end, in package cli (build tag pkcs11).
type memWrapper struct {
	keys    map[string][]byte
	current string
	fail    error // every call fails with it (a missing token, a wrong PIN)
}

func newMemWrapper(labels ...string) *memWrapper {
	w := &memWrapper{keys: map[string][]byte{}}
	for _, l := range labels {
		k := make([]byte, 32)
		rand.Read(k)
		w.keys[l] = k
		w.current = l
	}
	return w
}

func (w *memWrapper) aead(label string) (cipher.AEAD, error) {
	if w.fail != nil {
		return nil, w.fail
	}
	k, ok := w.keys[label]
	if !ok {
		return nil, fmt.Errorf("no key %q on the token", label)
	}
	b, _ := aes.NewCipher(k)
	return cipher.NewGCM(b)
}

func (w *memWrapper) Wrap(plain, aad []byte) ([]byte, string, error) {
	g, err := w.aead(w.current)
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return g.Seal(nonce, nonce, plain, aad), w.current, nil
}

func (w *memWrapper) Unwrap(wrapped, aad []byte, label string) ([]byte, error) {
	g, err := w.aead(label)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < g.NonceSize() {
		return nil, errors.New("short")
	}
	return g.Open(nil, wrapped[:g.NonceSize()], wrapped[g.NonceSize():], aad)
}

func (w *memWrapper) String() string { return "test token" }

// secrets are the forms a key set's bytes could take in a file.
func secrets(k *Keys) [][]byte {
	var out [][]byte
	for _, b := range [][]byte{k.master[:], k.index[:], k.match[:]} {
		out = append(out, bytes.Clone(b), []byte(base64.StdEncoding.EncodeToString(b)))
	}
	return out
}

// leaks returns the files under dir that hold any of k's keys.
func leaks(t *testing.T, dir string, k *Keys) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets(k) {
			if bytes.Contains(data, s) {
				found = append(found, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestWrappedKeyFileAdopt(t *testing.T) {
	dir := t.TempDir()
	plain := KeyFile{Path: filepath.Join(dir, "master.key")}
	if err := plain.CreateKeys(rand.Reader); err != nil {
		t.Fatal(err)
	}
	keys, _ := plain.LoadKeys()
	tok := newMemWrapper("wrap-1")
	w := WrappedKeyFile{Path: plain.Path + WrappedSuffix, Wrapper: tok}

	// A token that does not answer: nothing written, the plain key stays.
	tok.fail = errors.New("token not present")
	if err := w.Adopt(plain); err == nil {
		t.Fatal("Adopt with the token missing succeeded")
	}
	if _, err := os.Stat(w.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Adopt with the token missing left %s: %v", w.Path, err)
	}
	if _, err := plain.LoadKeys(); err != nil {
		t.Fatalf("plain key after a failed Adopt: %v", err)
	}
	tok.fail = nil

	if err := w.Adopt(plain); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(plain.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("plain key file after Adopt: %v, want removed", err)
	}
	got, err := w.LoadKeys()
	if err != nil || !got.equal(keys) {
		t.Fatalf("LoadKeys of the wrapped file = %v; want the plain file's keys", err)
	}
	if l := leaks(t, dir, keys); len(l) != 0 {
		t.Errorf("files holding the keys after Adopt: %v", l)
	}
	if st, _ := os.Stat(w.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("wrapped key file mode %04o, want 0600", st.Mode().Perm())
	}

	// Without the token's key the file opens nothing.
	other := WrappedKeyFile{Path: w.Path, Wrapper: newMemWrapper("wrap-1")}
	if _, err := other.LoadKeys(); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeys with another token = %v, want an unwrap error", err)
	}
}

// An Adopt interrupted after the wrapped file was written (both files
// present) finishes when run again; a wrapped file holding other keys stops
// it with both files untouched.
func TestWrappedKeyFileAdoptResumes(t *testing.T) {
	dir := t.TempDir()
	plain := KeyFile{Path: filepath.Join(dir, "master.key")}
	if err := plain.CreateKeys(rand.Reader); err != nil {
		t.Fatal(err)
	}
	keys, _ := plain.LoadKeys()
	w := WrappedKeyFile{Path: plain.Path + WrappedSuffix, Wrapper: newMemWrapper("wrap-1")}
	data, err := w.seal(keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNewFile(w.Path, data); err != nil { // the crash: written, plain not yet removed
		t.Fatal(err)
	}
	if err := w.Adopt(plain); err != nil {
		t.Fatalf("Adopt after an interruption: %v", err)
	}
	if _, err := os.Stat(plain.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("plain key file: %v, want removed", err)
	}

	// Different keys in the two files.
	if err := plain.CreateKeys(rand.Reader); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(w.Path)
	if err := w.Adopt(plain); err == nil {
		t.Fatal("Adopt with different keys in the two files succeeded")
	}
	after, _ := os.ReadFile(w.Path)
	if _, err := plain.LoadKeys(); err != nil || !bytes.Equal(before, after) {
		t.Errorf("after a refused Adopt: plain %v, wrapped changed %v; want both untouched", err, !bytes.Equal(before, after))
	}

	// A rotation's plain files beside the key are refused.
	os.Remove(w.Path)
	os.WriteFile(plain.Path+RetiredSuffix, []byte("x"), 0o600)
	if err := w.Adopt(plain); !errors.Is(err, ErrPlainKeysBeside) {
		t.Errorf("Adopt with master.key.old beside = %v, want ErrPlainKeysBeside", err)
	}
}

// The wrapped source rotates the master key like the key file (pending and
// retired sets wrapped too), and Rewrap moves it to a new token key.
func TestWrappedKeyFileRotateAndRewrap(t *testing.T) {
	dir := t.TempDir()
	tok := newMemWrapper("wrap-1")
	w := WrappedKeyFile{Path: filepath.Join(dir, "master.key.wrapped"), Wrapper: tok}
	cur, _ := GenerateKeys(rand.Reader)
	data, _ := w.seal(cur)
	if err := writeNewFile(w.Path, data); err != nil {
		t.Fatal(err)
	}
	next, err := w.PendingKeys(cur, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if next.KEK().ID() == cur.KEK().ID() || next.index != cur.index {
		t.Error("pending keys: want a new master key and the same index key")
	}
	if err := w.CommitPending(); err != nil {
		t.Fatal(err)
	}
	if got, err := w.LoadKeys(); err != nil || !got.equal(next) {
		t.Errorf("after the rotation LoadKeys = %v, want the new set", err)
	}
	for _, k := range []*Keys{cur, next} {
		if l := leaks(t, dir, k); len(l) != 0 {
			t.Errorf("files holding a key set in the clear after a rotation: %v", l)
		}
	}

	tok.keys["wrap-2"] = bytes.Repeat([]byte{7}, 32)
	tok.current = "wrap-2"
	from, to, err := w.Rewrap()
	if err != nil || from != "wrap-1" || to != "wrap-2" {
		t.Fatalf("Rewrap = %q, %q, %v; want wrap-1 → wrap-2", from, to, err)
	}
	delete(tok.keys, "wrap-1")
	if got, err := w.LoadKeys(); err != nil || !got.equal(next) {
		t.Errorf("LoadKeys after Rewrap without the old token key = %v", err)
	}
}
