package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

type testSigner struct {
	alg  string
	priv crypto.Signer
}

func (s testSigner) KeyID() string     { return "k1" }
func (s testSigner) Algorithm() string { return s.alg }
func (s testSigner) Sign(r io.Reader, msg []byte) ([]byte, error) {
	if k, ok := s.priv.(ed25519.PrivateKey); ok {
		return ed25519.Sign(k, msg), nil
	}
	h := sha256.Sum256(msg)
	rr, ss, err := ecdsa.Sign(r, s.priv.(*ecdsa.PrivateKey), h[:])
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return sig, nil
}

func TestSign1(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		signer testSigner
		verify crypto.PublicKey
		want   error
	}{
		{"ES256", testSigner{"ES256", ec}, &ec.PublicKey, nil},
		{"EdDSA", testSigner{"EdDSA", ed}, edPub, nil},
		{"ES256 message, Ed25519 key", testSigner{"ES256", ec}, edPub, ErrAlgorithm},
		{"EdDSA message, P-256 key", testSigner{"EdDSA", ed}, &ec.PublicKey, ErrAlgorithm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign1(rand.Reader, tc.signer, []byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			tag, content, err := Unwrap(msg)
			if err != nil || tag != TagSign1 {
				t.Fatalf("Unwrap = %d, %v; want tag 18", tag, err)
			}
			m, err := ParseSign1(content)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.KeyID) != "k1" || string(m.Payload) != "payload" {
				t.Errorf("parsed kid %q payload %q, want k1 and payload", m.KeyID, m.Payload)
			}
			if err := m.Verify(tc.verify); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseSign1Rejects(t *testing.T) {
	enc := func(v any) []byte {
		b, err := EncMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prot := enc(map[int64]any{1: -7})
	crit := enc(map[int64]any{1: -7, 2: []int64{99}})
	tests := map[string]struct {
		in   []byte
		want error
	}{
		"not an array":         {enc(map[int64]any{1: 2}), ErrNotCOSE},
		"three items":          {enc([]any{prot, map[int64]any{}, []byte("p")}), ErrNotCOSE},
		"detached payload":     {enc([]any{prot, map[int64]any{}, nil, []byte{}}), ErrNotCOSE},
		"critical parameter":   {enc([]any{crit, map[int64]any{}, []byte("p"), []byte{}}), ErrNotCOSE},
		"no alg":               {enc([]any{[]byte{}, map[int64]any{}, []byte("p"), []byte{}}), ErrAlgorithm},
		"duplicate map keys":   {[]byte{0x84, 0x43, 0xa1, 0x01, 0x26, 0xa2, 0x04, 0x40, 0x04, 0x40, 0x41, 'p', 0x40}, ErrNotCOSE},
		"alg only unprotected": {enc([]any{[]byte{}, map[int64]any{1: -7}, []byte("p"), []byte{}}), ErrAlgorithm},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSign1(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("ParseSign1 = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		tag     uint64
		content []byte
		wantErr bool
	}{
		{"untagged array", []byte{0x84, 1}, 0, []byte{0x84, 1}, false},
		{"Sign1", []byte{0xd2, 0x84}, TagSign1, []byte{0x84}, false},
		{"CWT around Sign1", []byte{0xd8, 61, 0xd2, 0x84}, TagSign1, []byte{0x84}, false},
		{"Encrypt0", []byte{0xd0, 0x83}, TagEncrypt0, []byte{0x83}, false},
		{"two-byte tag number", []byte{0xd9, 0x01, 0x00, 0x80}, 256, []byte{0x80}, false},
		{"empty", nil, 0, nil, true},
		{"tag without content", []byte{0xd2}, 0, nil, true},
		{"truncated tag head", []byte{0xda, 0x00, 0x01}, 0, nil, true},
		{"reserved head", []byte{0xdc, 0x84}, 0, nil, true},
		{"CWT tag alone", []byte{0xd8, 61}, 0, nil, true},
		{"nested CWT tags", []byte{0xd8, 61, 0xd8, 61, 0x84}, 0, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tag, content, err := Unwrap(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrNotCOSE) {
					t.Fatalf("Unwrap(% x) = %v, want ErrNotCOSE", tc.in, err)
				}
				return
			}
			if err != nil || tag != tc.tag || string(content) != string(tc.content) {
				t.Errorf("Unwrap(% x) = %d, % x, %v; want %d, % x", tc.in, tag, content, err, tc.tag, tc.content)
			}
		})
	}
}

// TestSign1Bytes: the bytes of a COSE_Sign1 are what third-party verifiers
// read from our QR codes. With Ed25519 (deterministic) and a fixed key they
// must stay exactly these, made by the hand-written encoder before signing
// moved to go-cose.
func TestSign1Bytes(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	s := testSigner{"EdDSA", ed25519.NewKeyFromSeed(seed)}
	for _, tc := range []struct {
		name    string
		payload []byte
		want    string
	}{
		{"short", []byte("payload"), wantShort},
		{"a CWT-sized payload (two-byte length)", make([]byte, 300), wantLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign1(rand.Reader, s, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(msg); got != tc.want {
				t.Errorf("Sign1 =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// The hand-written encoder's output (TestSign1Bytes).
const (
	wantShort = "d28447a2012704426b31a0477061796c6f61645840b531a0deb1524cbb35c130b7fa2e3d05476559012598030b44eabb4c59cce09f90e6adef5412140fb21ee36583d5375ed57ddcaee1241a8abb2e131d2e9f0103"
	wantLong  = "d28447a2012704426b31a059012c0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005840d502d42ab1b0aabc7458ced724bd05ea04911cd6e4c92fde2c42ccd8f434f07c897794993ece2763c55ea7873bbe72a461a2df590cfdffc2404393e8f9e3ec02"
)
