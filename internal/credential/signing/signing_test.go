package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/credential/cose"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func master() []byte { return bytes.Repeat([]byte{0x42}, 32) }

func TestKeyringRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", KeyringFile)
	now := t0
	clock := func() time.Time { return now }
	kr, err := OpenKeyring(path, MasterKey(master()), rand.Reader, clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Active(); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Active on an empty keyring = %v, want ErrNoActiveKey", err)
	}
	first, err := kr.Rotate(rand.Reader, "", 5*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	second, err := kr.Rotate(rand.Reader, EdDSA, 5*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring mode = %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("PRIVATE")) {
		t.Error("keyring file contains a plaintext private key")
	}

	// Reopen from disk: the second key signs, both verify.
	kr, err = OpenKeyring(path, MasterKey(master()), rand.Reader, clock)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kr.Active()
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != second.ID || s.Algorithm() != EdDSA {
		t.Errorf("active = %s %s, want %s EdDSA", s.KeyID(), s.Algorithm(), second.ID)
	}
	pub, err := kr.Published()
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(pub); !cmp.Equal(got, []string{first.ID, second.ID}) {
		t.Errorf("published %v, want both keys", got)
	}
	msg := []byte("to be signed")
	sig, err := s.Sign(rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := pub.Lookup(second.ID)
	if !ed25519.Verify(k.Public.(ed25519.PublicKey), msg, sig) {
		t.Error("signature by the active key does not verify with its published key")
	}
	// Once the first key's cards have all expired it is no longer published.
	now = now.Add(6 * 365 * 24 * time.Hour)
	pub, err = kr.Published()
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(pub); !cmp.Equal(got, []string{second.ID}) {
		t.Errorf("published after expiry %v, want only %s", got, second.ID)
	}
}

func ids(s *KeySet) []string {
	var out []string
	for _, k := range s.Keys() {
		out = append(out, k.ID)
	}
	return out
}

func TestKeyringWrongSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyringFile)
	kr, err := OpenKeyring(path, Passphrase([]byte("correct horse battery")), rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Rotate(rand.Reader, ES256, time.Hour); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]Unlock{
		"wrong passphrase": Passphrase([]byte("incorrect horse battery")),
		"master key":       MasterKey(master()),
	} {
		if _, err := OpenKeyring(path, u, rand.Reader, time.Now); !errors.Is(err, ErrWrongSecret) {
			t.Errorf("%s: OpenKeyring = %v, want ErrWrongSecret", name, err)
		}
	}
	if _, err := OpenKeyring(filepath.Join(dir, "x.json"), Passphrase([]byte("short")), rand.Reader, time.Now); err == nil {
		t.Error("a 5-character passphrase was accepted")
	}
}

func TestPublishedSetsRoundTrip(t *testing.T) {
	kr, err := OpenKeyring(filepath.Join(t.TempDir(), KeyringFile), MasterKey(master()), rand.Reader, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{ES256, EdDSA} {
		if _, err := kr.Rotate(rand.Reader, alg, time.Hour*24*365); err != nil {
			t.Fatal(err)
		}
	}
	set, err := kr.Published()
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := set.MarshalJWKS()
	if err != nil {
		t.Fatal(err)
	}
	fromJWKS, err := ParseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	cbor, err := set.MarshalCOSE()
	if err != nil {
		t.Fatal(err)
	}
	fromCOSE, err := ParseCOSE(cbor)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*KeySet{"JWKS": fromJWKS, "COSE": fromCOSE} {
		if d := cmp.Diff(set.Keys(), got.Keys(), cmp.Comparer(func(a, b cose.Key) bool {
			return a.ID == b.ID && a.Alg == b.Alg && publicEqual(a.Public, b.Public)
		})); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, d)
		}
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		t.Fatal(err)
	}
	if k := doc.Keys[0]; k["kty"] != "EC" || k["crv"] != "P-256" || k["use"] != "sig" || k["alg"] != "ES256" || k["y"] == "" {
		t.Errorf("first JWK = %v, want an EC P-256 ES256 signing key", k)
	}
	if k := doc.Keys[1]; k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" {
		t.Errorf("second JWK = %v, want an OKP Ed25519 key", k)
	}
}

func publicEqual(a, b any) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	x, ok := a.(eq)
	return ok && x.Equal(b)
}

func TestParseJWKSRejects(t *testing.T) {
	tests := map[string]string{
		"not json":     `{`,
		"private key":  `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`,
		"RSA":          `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		"P-384":        `{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]}`,
		"off curve":    `{"keys":[{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`,
		"alg mismatch": `{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		"dup kid":      `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseJWKS([]byte(in)); !errors.Is(err, ErrKey) {
				t.Errorf("ParseJWKS = %v, want ErrKey", err)
			}
		})
	}
	// RFC 8037 appendix A.2 key without kid gets its thumbprint-derived id.
	set, err := ParseJWKS([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8037 A.3 gives this key's thumbprint as kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k.
	if got, want := set.Keys()[0].ID, "kPrK_qmxVWY"; got != want {
		t.Errorf("derived kid = %q, want %q (RFC 8037 A.3 thumbprint, 8 bytes)", got, want)
	}
}

func TestSignerES256RawSignature(t *testing.T) {
	kr, err := OpenKeyring(filepath.Join(t.TempDir(), KeyringFile), MasterKey(master()), rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Rotate(rand.Reader, ES256, time.Hour); err != nil {
		t.Fatal(err)
	}
	s, err := kr.Active()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("hello")
	sig, err := Bind(s, rand.Reader).Sign(msg)
	if err != nil || len(sig) != 64 {
		t.Fatalf("Sign = %d bytes, %v; want 64 raw bytes", len(sig), err)
	}
	h := sha256.Sum256(msg)
	pub := s.Public().(*ecdsa.PublicKey)
	if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("raw r||s signature does not verify")
	}
}

func TestRekey(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyringFile)
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	kr, err := OpenKeyring(path, MasterKey(oldKey), rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Rotate(rand.Reader, "ES256", time.Hour); err != nil {
		t.Fatal(err)
	}
	before, _ := kr.Active()
	if err := kr.Rekey(rand.Reader, MasterKey(newKey)); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(path, MasterKey(oldKey), rand.Reader, time.Now); !errors.Is(err, ErrWrongSecret) {
		t.Errorf("old secret after Rekey: err = %v, want ErrWrongSecret", err)
	}
	kr2, err := OpenKeyring(path, MasterKey(newKey), rand.Reader, time.Now)
	if err != nil {
		t.Fatalf("new secret after Rekey: %v", err)
	}
	after, err := kr2.Active()
	if err != nil || after.KeyID() != before.KeyID() {
		t.Errorf("active key after Rekey = %v, %v; want %s", after, err, before.KeyID())
	}
}
