//go:build pkcs11

package hsm

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/google/go-cmp/cmp"
	"github.com/miekg/pkcs11"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/hsm/hsmtest"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
)

const (
	testToken = hsmtest.Label
	testPIN   = hsmtest.PIN
)

// newToken initialises a fresh SoftHSM2 token and returns its configuration.
func newToken(tb testing.TB) Config {
	tb.Helper()
	return Config{Path: hsmtest.NewToken(tb), TokenLabel: testToken, PIN: testPIN}
}

func open(tb testing.TB, c Config) *Context {
	tb.Helper()
	ctx, err := Open(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := ctx.Close(); err != nil {
			tb.Errorf("Close() = %v", err)
		}
	})
	return ctx
}

func TestGenerateSignsVerifiableES256(t *testing.T) {
	ctx := open(t, newToken(t))
	s, err := ctx.Generate("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	if s.Algorithm() != signing.ES256 {
		t.Errorf("Algorithm() = %q, want %q", s.Algorithm(), signing.ES256)
	}
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("Public() = %T, want a P-256 *ecdsa.PublicKey", s.Public())
	}
	if want, _ := signing.KeyID(pub); s.KeyID() != want {
		t.Errorf("KeyID() = %q, want the RFC 7638 thumbprint id %q", s.KeyID(), want)
	}
	msg := []byte("Sig_structure of a resident card")
	sig, err := s.Sign(rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 64 {
		t.Fatalf("len(Sign()) = %d, want 64 (raw r||s)", len(sig))
	}
	h := sha256.Sum256(msg)
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, h[:], r, ss) {
		t.Error("signature from the token does not verify with its public key")
	}
	if ecdsa.Verify(pub, h[:], ss, r) {
		t.Error("signature verifies with r and s swapped")
	}
	other := sha256.Sum256([]byte("another message"))
	if ecdsa.Verify(pub, other[:], r, ss) {
		t.Error("signature verifies for another message")
	}
}

func TestKeyPersistsOnToken(t *testing.T) {
	cfg := newToken(t)
	ctx, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := ctx.Generate("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("signed before a restart")
	sig, err := gen.Sign(rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.Close(); err != nil {
		t.Fatal(err)
	}

	found, err := open(t, cfg).Signer("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	if found.KeyID() != gen.KeyID() {
		t.Errorf("Signer(card-2026).KeyID() after reopening = %q, want %q", found.KeyID(), gen.KeyID())
	}
	pub := found.Public().(*ecdsa.PublicKey)
	h := sha256.Sum256(msg)
	if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("signature made before reopening does not verify with the reopened key")
	}
}

// TestOpenErrors runs with no other Context open: PKCS#11 login state is per
// process, so once one Context is logged in the token accepts any PIN.
func TestOpenErrors(t *testing.T) {
	cfg := newToken(t)
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"wrong PIN", func(c *Config) { c.PIN = "0000" }},
		{"unknown token", func(c *Config) { c.TokenLabel = "no-such-token" }},
		{"no PIN", func(c *Config) { c.PIN = "" }},
		{"no token label", func(c *Config) { c.TokenLabel = "" }},
		{"no module", func(c *Config) { c.Path = "" }},
		{"missing module", func(c *Config) { c.Path = filepath.Join(t.TempDir(), "missing.so") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			tt.change(&c)
			ctx, err := Open(c)
			if err == nil {
				ctx.Close()
				t.Fatalf("Open(%s) = nil error, want an error", tt.name)
			}
			if strings.Contains(err.Error(), cfg.PIN) {
				t.Errorf("Open error %q contains the PIN", err)
			}
		})
	}
	// The right PIN still works after the failures.
	if ctx, err := Open(cfg); err != nil {
		t.Errorf("Open(right PIN) after failures = %v", err)
	} else {
		ctx.Close()
	}
}

func TestKeyErrors(t *testing.T) {
	ctx := open(t, newToken(t))
	if _, err := ctx.Generate("card-2026"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want error // nil: any error
	}{
		{"unknown key", func() error { _, err := ctx.Signer("card-1999"); return err }, ErrNotFound},
		{"label in use", func() error { _, err := ctx.Generate("card-2026"); return err }, ErrExists},
		{"empty label", func() error { _, err := ctx.Signer(""); return err }, nil},
		{"generate empty label", func() error { _, err := ctx.Generate(""); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("error = nil, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPrivateKeyNotExtractable(t *testing.T) {
	cfg := newToken(t)
	if _, err := open(t, cfg).Generate("card-2026"); err != nil {
		t.Fatal(err)
	}
	// Look at the key with crypto11 directly: the package's own API offers no
	// way to reach the private key, so this asks what the token would tell
	// anyone holding the PIN.
	raw, err := crypto11.Configure(&crypto11.Config{Path: cfg.Path, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	key, err := raw.FindKeyPair(nil, []byte("card-2026"))
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := raw.GetAttributes(key, []crypto11.AttributeType{crypto11.CkaExtractable, crypto11.CkaSensitive, crypto11.CkaPrivate})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		name string
		typ  crypto11.AttributeType
		want []byte
	}{
		{"CKA_EXTRACTABLE", crypto11.CkaExtractable, []byte{0}},
		{"CKA_SENSITIVE", crypto11.CkaSensitive, []byte{1}},
		{"CKA_PRIVATE", crypto11.CkaPrivate, []byte{1}},
	} {
		if got := attrs[a.typ]; got == nil || !bytes.Equal(got.Value, a.want) {
			t.Errorf("%s = %v, want %v", a.name, got, a.want)
		}
	}
	if v, err := raw.GetAttribute(key, crypto11.CkaValue); !errors.Is(err, pkcs11.Error(pkcs11.CKR_ATTRIBUTE_SENSITIVE)) {
		t.Errorf("GetAttribute(private key, CKA_VALUE) = %v, %v, want CKR_ATTRIBUTE_SENSITIVE", v, err)
	}
	if _, ok := key.(interface{ D() *big.Int }); ok {
		t.Error("crypto11 key exposes a private scalar")
	}
	if _, ok := crypto.Signer(key).(*ecdsa.PrivateKey); ok {
		t.Error("token key is an in-memory *ecdsa.PrivateKey")
	}
}

func TestClaim169WithTokenKey(t *testing.T) {
	ctx := open(t, newToken(t))
	s, err := ctx.Generate("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	claims := claim169.Claims{
		ID:                "NHV-4821-7730",
		FullName:          "María Guadalupe Hernández-López",
		DateOfBirth:       "19870412",
		Address:           "1234 Chapel Street Apt 5B\nNew Haven, CT 06511",
		CountryOfIssuance: "US",
	}
	meta := claim169.Meta{
		Issuer:    "https://id.newhavenct.gov",
		IssuedAt:  issued,
		ExpiresAt: issued.AddDate(5, 0, 0),
		Status:    &claim169.StatusRef{URI: "https://id.newhavenct.gov/statuslists/1", Index: 4821},
	}
	payload, err := claim169.Encode(claims, meta, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := signing.NewKeySet(cose.Key{ID: s.KeyID(), Alg: s.Algorithm(), Public: s.Public()})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := claim169.Decode(payload, claim169.Options{Keys: keys, At: issued.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatalf("Decode(payload signed on the token) = %v", err)
	}
	if !cred.Verified || cred.KeyID != s.KeyID() || cred.Algorithm != signing.ES256 {
		t.Errorf("Decode: Verified=%v KeyID=%q Algorithm=%q, want true %q ES256", cred.Verified, cred.KeyID, cred.Algorithm, s.KeyID())
	}
	if diff := cmp.Diff(claims, cred.Claims); diff != "" {
		t.Errorf("decoded claims (-want +got):\n%s", diff)
	}

	// The same credential must not verify under another key with the same id:
	// the check is the signature, not the id.
	impostor, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := signing.NewKeySet(cose.Key{ID: s.KeyID(), Alg: signing.ES256, Public: &impostor.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := claim169.Decode(payload, claim169.Options{Keys: wrong, At: issued.AddDate(1, 0, 0)}); err == nil {
		t.Error("Decode with another public key under the same kid = nil error, want a signature failure")
	}
}

func TestStatusListWithTokenKey(t *testing.T) {
	ctx := open(t, newToken(t))
	s, err := ctx.Generate("status-2026")
	if err != nil {
		t.Fatal(err)
	}
	l, err := statuslist.New(2, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(4821%1024, statuslist.Invalid); err != nil {
		t.Fatal(err)
	}
	iat := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	uri := "https://id.newhavenct.gov/statuslists/1"
	tok, err := statuslist.SignJWT(l, uri, iat, iat.Add(24*time.Hour), 12*time.Hour, signing.Bind(s, rand.Reader))
	if err != nil {
		t.Fatal(err)
	}
	keyFor := func(kid string) (crypto.PublicKey, error) {
		if kid != s.KeyID() {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return s.Public(), nil
	}
	got, meta, err := statuslist.ParseJWT(tok, keyFor, iat.Add(time.Hour))
	if err != nil {
		t.Fatalf("ParseJWT(token signed on the token) = %v", err)
	}
	if meta.KeyID != s.KeyID() || meta.URI != uri {
		t.Errorf("ParseJWT meta = %+v, want KeyID %q and URI %q", meta, s.KeyID(), uri)
	}
	if !bytes.Equal(got.Bytes(), l.Bytes()) {
		t.Error("parsed status list differs from the signed one")
	}
	if st, _ := got.Get(4821 % 1024); st != statuslist.Invalid {
		t.Errorf("Get(%d) = %v, want %v", 4821%1024, st, statuslist.Invalid)
	}
}

func TestRawSignature(t *testing.T) {
	der := func(r, s *big.Int) []byte {
		b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one, big256 := big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 256)
	short := big.NewInt(0x0102)
	want := make([]byte, 64)
	want[31], want[62], want[63] = 1, 1, 2
	tests := []struct {
		name string
		in   []byte
		want []byte // nil: an error
	}{
		{"small values are left-padded", der(one, short), want},
		{"r of 257 bits", der(big256, one), nil},
		{"zero s", der(one, big.NewInt(0)), nil},
		{"negative r", der(big.NewInt(-1), one), nil},
		{"trailing bytes", append(der(one, one), 0), nil},
		{"not DER", []byte{0x30, 0x05, 0x02}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rawSignature(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Errorf("rawSignature(%x) = %x, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("rawSignature(%x) = %x, %v, want %x", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestConcurrentSigning(t *testing.T) {
	ctx := open(t, newToken(t))
	s, err := ctx.Generate("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public().(*ecdsa.PublicKey)
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				msg := fmt.Appendf(nil, "card %d-%d", w, i)
				sig, err := s.Sign(rand.Reader, msg)
				if err != nil {
					errs <- err
					return
				}
				h := sha256.Sum256(msg)
				if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
					errs <- fmt.Errorf("signature of %q does not verify", msg)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestSignAfterClose(t *testing.T) {
	ctx, err := Open(newToken(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ctx.Generate("card-2026")
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.Close(); err != nil {
		t.Fatal(err)
	}
	if sig, err := s.Sign(rand.Reader, []byte("late")); err == nil {
		t.Errorf("Sign after Close = %x, nil error, want an error", sig)
	}
	if _, err := ctx.Signer("card-2026"); err == nil {
		t.Error("Signer after Close = nil error, want an error")
	}
}
