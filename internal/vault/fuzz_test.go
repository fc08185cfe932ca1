package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// FuzzOpen feeds arbitrary stored bytes to OpenDataKey and Open: a damaged
// database must give ErrDecrypt or ErrWrongKey, never a panic or a value.
func FuzzOpen(f *testing.F) {
	v, _ := testVault(f)
	dk, wrapped, err := v.NewDataKey()
	if err != nil {
		f.Fatal(err)
	}
	b := Binding{Table: "person", Column: "dob", Row: "app_1"}
	sealed, _ := dk.Seal(b, []byte("1990-07-25"))
	f.Add(wrapped, sealed)
	f.Add([]byte{1}, []byte{1})
	f.Fuzz(func(t *testing.T, w, s []byte) {
		if k, err := v.OpenDataKey(w); err == nil {
			if !bytes.Equal(w, wrapped) {
				t.Fatalf("OpenDataKey accepted altered wrapped key %x", w)
			}
			defer k.Destroy()
		} else if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrWrongKey) {
			t.Fatalf("OpenDataKey error %v is neither ErrDecrypt nor ErrWrongKey", err)
		}
		if _, err := dk.Open(b, s); err == nil {
			if !bytes.Equal(s, sealed) {
				t.Fatalf("Open accepted altered sealed value %x", s)
			}
		} else if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Open error %v is not ErrDecrypt", err)
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	k, err := GenerateKeys(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	good, err := k.marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"cityid-keys","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := parseKeyFile(data); err == nil {
			// Whatever parsed must round-trip to the same keys.
			again, err := k.marshal()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := parseKeyFile(again)
			if err != nil || *k2 != *k {
				t.Fatalf("parsed keys do not round-trip: %v", err)
			}
		}
	})
}
