package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileRotation(t *testing.T) {
	f := KeyFile{Path: filepath.Join(t.TempDir(), "master.key")}
	if _, err := f.LoadKeys(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKeys before CreateKeys = %v, want fs.ErrNotExist", err)
	}
	if err := f.CreateKeys(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := f.CreateKeys(rand.Reader); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second CreateKeys = %v, want fs.ErrExist", err)
	}
	cur, err := f.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.LoadPendingKeys(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadPendingKeys before a rotation = %v, want fs.ErrNotExist", err)
	}
	next, err := f.PendingKeys(cur, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if next.KEK().ID() == cur.KEK().ID() || next.index != cur.index || next.match != cur.match {
		t.Error("pending keys: want a new master key and the same index and match keys")
	}
	again, err := f.PendingKeys(cur, rand.Reader)
	if err != nil || again.KEK().ID() != next.KEK().ID() {
		t.Errorf("PendingKeys again = %v, %v; want the pending set already written (%s)", again, err, next.KEK().ID())
	}
	if st, err := os.Stat(f.Path + PendingSuffix); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("pending key file: %v, %v; want mode 0600", st, err)
	}
	if _, ok := f.Retired(); ok {
		t.Error("Retired before the commit reports a retired key")
	}
	oldFile, _ := os.ReadFile(f.Path)
	if err := f.CommitPending(); err != nil {
		t.Fatal(err)
	}
	if got, err := f.LoadKeys(); err != nil || got.KEK().ID() != next.KEK().ID() {
		t.Errorf("after CommitPending LoadKeys = %v, %v; want the pending set", got, err)
	}
	old, ok := f.Retired()
	if got, _ := os.ReadFile(old); !ok || !bytes.Equal(got, oldFile) {
		t.Errorf("Retired = %s, %v; want the previous key file kept", old, ok)
	}
	if _, err := os.Stat(f.Path + PendingSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pending file after the commit: %v, want gone", err)
	}
}
