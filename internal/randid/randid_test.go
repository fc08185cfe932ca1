package randid

import (
	"bytes"
	"crypto/rand"
	"errors"
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	form := regexp.MustCompile(`^app_[a-z2-7]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id, err := New(rand.Reader, "app")
		if err != nil || !form.MatchString(id) {
			t.Fatalf("New = %q, %v; want app_ and 16 base32 characters", id, err)
		}
		if seen[id] {
			t.Fatalf("New repeated %q", id)
		}
		seen[id] = true
	}
	if _, err := New(bytes.NewReader([]byte{1, 2, 3}), "app"); err == nil {
		t.Error("New with too little randomness succeeded, want an error")
	}
	if _, err := New(failing{}, "app"); !errors.Is(err, errNoEntropy) {
		t.Errorf("New with a failing source: err = %v, want it wrapped", err)
	}
}

var errNoEntropy = errors.New("no entropy")

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errNoEntropy }
