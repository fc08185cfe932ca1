//go:build pkcs11

package hsm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// TestKeyWrapperOnToken: the master key set is wrapped by an AES-256 key the
// wrapper generates on the token, which cannot be read back; it unwraps only
// with that key and the same additional data; a wrong PIN or a token
// without the key is a clear error.
func TestKeyWrapperOnToken(t *testing.T) {
	cfg := newToken(t)
	plain := []byte(`{"format":"cityid-keys","master":"…"}`)
	aad := []byte("cityid-wrapped-keys v1\x00abcd")

	if _, _, err := (KeyWrapper{Config: cfg, Label: "wrap-2026"}).Wrap(plain, aad); !errors.Is(err, ErrNotFound) {
		t.Errorf("Wrap without Create on a token with no key = %v, want ErrNotFound", err)
	}
	w := KeyWrapper{Config: cfg, Label: "wrap-2026", Create: true}
	sealed, label, err := w.Wrap(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if label != "wrap-2026" || bytes.Contains(sealed, plain) {
		t.Errorf("Wrap = label %q, sealed holds the plain text %v", label, bytes.Contains(sealed, plain))
	}
	again, _, err := w.Wrap(plain, aad) // the key exists now: no second key
	if err != nil || bytes.Equal(again, sealed) {
		t.Errorf("second Wrap = %v (same bytes %v), want a fresh nonce under the same key", err, bytes.Equal(again, sealed))
	}
	reader := KeyWrapper{Config: cfg} // a start-up: no Create, label from the file
	got, err := reader.Unwrap(sealed, aad, label)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unwrap = %q, %v; want the plain text", got, err)
	}
	if _, err := reader.Unwrap(sealed, []byte("other master id"), label); err == nil {
		t.Error("Unwrap with other additional data succeeded")
	}
	if _, err := reader.Unwrap(sealed, aad, "no-such-key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unwrap with a key the token lacks = %v, want ErrNotFound", err)
	}

	bad := cfg
	bad.PIN = "9999"
	if _, err := (KeyWrapper{Config: bad}).Unwrap(sealed, aad, label); !errors.Is(err, ErrWrongPIN) {
		t.Errorf("Unwrap with a wrong PIN = %v, want ErrWrongPIN", err)
	}
	missing := cfg
	missing.TokenLabel = "no-such-token"
	if _, err := (KeyWrapper{Config: missing}).Unwrap(sealed, aad, label); err == nil {
		t.Error("Unwrap on a missing token succeeded")
	}

	// What the token tells anyone holding the PIN about the wrapping key.
	raw, err := crypto11.Configure(&crypto11.Config{Path: cfg.Path, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	keys, err := raw.FindKeys(nil, []byte("wrap-2026"))
	if err != nil || len(keys) != 1 {
		t.Fatalf("FindKeys(wrap-2026) = %d keys, %v; want one", len(keys), err)
	}
	attrs, err := raw.GetAttributes(keys[0], []crypto11.AttributeType{crypto11.CkaExtractable, crypto11.CkaSensitive, crypto11.CkaToken})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		name string
		typ  crypto11.AttributeType
		want []byte
	}{{"CKA_EXTRACTABLE", crypto11.CkaExtractable, []byte{0}}, {"CKA_SENSITIVE", crypto11.CkaSensitive, []byte{1}}, {"CKA_TOKEN", crypto11.CkaToken, []byte{1}}} {
		if got := attrs[a.typ]; got == nil || !bytes.Equal(got.Value, a.want) {
			t.Errorf("%s = %v, want %v", a.name, got, a.want)
		}
	}
	if v, err := raw.GetAttribute(keys[0], crypto11.CkaValue); !errors.Is(err, pkcs11.Error(pkcs11.CKR_ATTRIBUTE_SENSITIVE)) {
		t.Errorf("GetAttribute(wrapping key, CKA_VALUE) = %v, %v, want CKR_ATTRIBUTE_SENSITIVE", v, err)
	}
}
