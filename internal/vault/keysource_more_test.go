package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := CreateKeyFile(path, rand.Reader); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &KeyStream{Name: "file descriptor 3", R: bytes.NewReader(data)}
	for i := range 2 { // the stream is read once; the second call keeps the keys
		got, err := s.LoadKeys()
		if err != nil || got.KEK().ID() != want.KEK().ID() {
			t.Fatalf("LoadKeys #%d = %v, %v; want the key file's keys", i+1, got, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "nothing to read"},
		{`{"format":"x"}`, "cityid-keys"},
		{strings.Repeat(" ", maxKeyFileSize+1), "larger than"},
	} {
		_, err := (&KeyStream{Name: "fd 3", R: strings.NewReader(tc.in)}).LoadKeys()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "fd 3") {
			t.Errorf("LoadKeys(%.20q) = %v, want an error naming fd 3 and %q", tc.in, err, tc.want)
		}
	}
}

func TestCredentialFile(t *testing.T) {
	c := CredentialFile{Path: filepath.Join(t.TempDir(), "cityid-master-key")}
	if _, err := c.LoadKeys(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeys of a missing credential = %v, want fs.ErrNotExist", err)
	}
	var src KeySource = c
	if _, ok := src.(KeyCreator); ok {
		t.Error("a service credential must not be created by cityid")
	}
	if _, ok := src.(KeyRotator); ok {
		t.Error("a service credential must not be rotated in place")
	}
}
