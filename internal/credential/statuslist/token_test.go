package statuslist

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

// ecSigner is a test ES256 signer producing JOSE raw r||s signatures.
type ecSigner struct {
	kid string
	key *ecdsa.PrivateKey
}

func newECSigner(t testing.TB, kid string) *ecSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &ecSigner{kid: kid, key: k}
}

func (s *ecSigner) KeyID() string     { return s.kid }
func (s *ecSigner) Algorithm() string { return "ES256" }
func (s *ecSigner) Sign(msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, h[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	ss.FillBytes(out[32:])
	return out, nil
}

func (s *ecSigner) lookup(kid string) (crypto.PublicKey, error) {
	if kid != s.kid {
		return nil, fmt.Errorf("unknown key id")
	}
	return &s.key.PublicKey, nil
}

var (
	testIat = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	testExp = testIat.Add(24 * time.Hour)
	testTTL = 12 * time.Hour
	testURI = "https://id.example.city/statuslists/1"
)

func sampleList(t testing.TB, size int) *List {
	t.Helper()
	l, err := New(2, size)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < size; i += 97 {
		l.Set(i, Invalid)
	}
	l.Set(5, Suspended)
	return l
}

type format struct {
	name  string
	sign  func(*List, string, time.Time, time.Time, time.Duration, Signer) ([]byte, error)
	parse func([]byte, KeyLookup, time.Time) (*List, Meta, error)
}

var formats = []format{{"jwt", SignJWT, ParseJWT}, {"cwt", SignCWT, ParseCWT}}

func TestSignParseRoundTrip(t *testing.T) {
	s := newECSigner(t, "k1")
	l := sampleList(t, 1024)
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			tok, err := f.sign(l, testURI, testIat, testExp, testTTL, s)
			if err != nil {
				t.Fatal(err)
			}
			got, meta, err := f.parse(tok, s.lookup, testIat.Add(time.Hour))
			if err != nil {
				t.Fatalf("parse = %v", err)
			}
			wantMeta := Meta{URI: testURI, KeyID: "k1", IssuedAt: testIat, Expires: testExp, TTL: testTTL}
			if diff := cmp.Diff(wantMeta, meta); diff != "" {
				t.Errorf("Meta (-want +got):\n%s", diff)
			}
			if !bytes.Equal(got.Bytes(), l.Bytes()) || got.Bits() != 2 {
				t.Error("parsed list differs from the signed one")
			}
			if st, _ := got.Get(5); st != Suspended {
				t.Errorf("Get(5) = %v, want suspended", st)
			}
		})
	}
}

func TestJWTLayout(t *testing.T) {
	s := newECSigner(t, "k1")
	tok, err := SignJWT(sampleList(t, 16), testURI, testIat, testExp, testTTL, s)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(tok), ".")
	var h map[string]any
	var p map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(hb, &h)
	json.Unmarshal(pb, &p)
	wantH := map[string]any{"alg": "ES256", "typ": "statuslist+jwt", "kid": "k1"}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	for _, k := range []string{"sub", "iat", "exp", "ttl", "status_list"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, pb)
		}
	}
	if p["ttl"] != float64(43200) {
		t.Errorf("ttl = %v, want 43200", p["ttl"])
	}
	sl := p["status_list"].(map[string]any)
	if sl["bits"] != float64(2) || strings.ContainsAny(sl["lst"].(string), "=+/") {
		t.Errorf("status_list = %v, want bits 2 and base64url lst without padding", sl)
	}
}

func TestCWTLayout(t *testing.T) {
	s := newECSigner(t, "k1")
	tok, err := SignCWT(sampleList(t, 16), testURI, testIat, testExp, testTTL, s)
	if err != nil {
		t.Fatal(err)
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(tok, &tag); err != nil || tag.Number != 18 {
		t.Fatalf("token is not tag 18: %v %v", tag.Number, err)
	}
	arr := tag.Content.([]any)
	var prot map[int64]any
	cbor.Unmarshal(arr[0].([]byte), &prot)
	wantProt := map[int64]any{1: int64(-7), 4: []byte("k1"), 16: "application/statuslist+cwt"}
	if diff := cmp.Diff(wantProt, prot); diff != "" {
		t.Errorf("protected header (-want +got):\n%s", diff)
	}
	var claims map[uint64]any
	cbor.Unmarshal(arr[2].([]byte), &claims)
	if claims[2] != testURI || claims[6] != uint64(testIat.Unix()) || claims[4] != uint64(testExp.Unix()) || claims[65534] != uint64(43200) {
		t.Errorf("claims = %v, want sub(2), iat(6), exp(4), ttl(65534)", claims)
	}
	sl, ok := claims[65533].(map[any]any)
	if !ok || sl["bits"] != uint64(2) {
		t.Fatalf("status_list(65533) = %#v, want map with bits 2", claims[65533])
	}
	if _, ok := sl["lst"].([]byte); !ok {
		t.Errorf("lst is %T, want a byte string", sl["lst"])
	}
}

// flip returns a copy of b with one bit changed at i.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestJWTTamper(t *testing.T) {
	s := newECSigner(t, "k1")
	other := newECSigner(t, "k1")
	tok, _ := SignJWT(sampleList(t, 1024), testURI, testIat, testExp, testTTL, s)
	parts := strings.Split(string(tok), ".")
	reheader := func(h string) []byte {
		return []byte(base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + parts[1] + "." + parts[2])
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), testURI, "https://evil.example/1", 1)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	badSig := []byte(parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(flip(sig, 10)))
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := testIat.Add(time.Hour)
	tests := []struct {
		name   string
		tok    []byte
		lookup KeyLookup
		now    time.Time
		want   error
	}{
		{"payload changed", []byte(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]), s.lookup, now, ErrSignature},
		{"signature bit flipped", badSig, s.lookup, now, ErrSignature},
		{"other key", tok, other.lookup, now, ErrSignature},
		{"alg none", reheader(`{"alg":"none","typ":"statuslist+jwt","kid":"k1"}`), s.lookup, now, ErrAlgorithm},
		{"alg HS256", reheader(`{"alg":"HS256","typ":"statuslist+jwt","kid":"k1"}`), s.lookup, now, ErrAlgorithm},
		{"typ jwt", reheader(`{"alg":"ES256","typ":"JWT","kid":"k1"}`), s.lookup, now, ErrType},
		{"Ed25519 key for ES256", tok, func(string) (crypto.PublicKey, error) { return edPub, nil }, now, ErrAlgorithm},
		{"expired", tok, s.lookup, testExp, ErrExpired},
		{"two parts", []byte(parts[0] + "." + parts[1]), s.lookup, now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := ParseJWT(tt.tok, tt.lookup, tt.now)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseJWT() = %v, want %v", err, tt.want)
			}
			if l != nil {
				t.Error("ParseJWT returned a list with an error")
			}
		})
	}
	if _, _, err := ParseJWT(tok, func(string) (crypto.PublicKey, error) { return nil, errors.New("no such key") }, now); err == nil {
		t.Error("ParseJWT with unknown kid = nil error")
	}
}

func TestCWTTamper(t *testing.T) {
	s := newECSigner(t, "k1")
	other := newECSigner(t, "k1")
	tok, _ := SignCWT(sampleList(t, 1024), testURI, testIat, testExp, testTTL, s)
	now := testIat.Add(time.Hour)
	// Re-sign with a different protected header to check typ/alg policing.
	withHeader := func(h protectedHeader) []byte {
		em, _, _ := cborModes()
		var tag cbor.RawTag
		cbor.Unmarshal(tok, &tag)
		var msg coseSign1
		cbor.Unmarshal(tag.Content, &msg)
		msg.Protected, _ = em.Marshal(h)
		tbs, _ := sigStructure(em, msg.Protected, msg.Payload)
		msg.Signature, _ = s.Sign(tbs)
		out, _ := em.Marshal(cbor.Tag{Number: 18, Content: msg})
		return out
	}
	tests := []struct {
		name   string
		tok    []byte
		lookup KeyLookup
		now    time.Time
		want   error
	}{
		{"payload byte changed", flip(tok, len(tok)/2), s.lookup, now, ErrSignature},
		{"signature bit flipped", flip(tok, len(tok)-1), s.lookup, now, ErrSignature},
		{"other key", tok, other.lookup, now, ErrSignature},
		{"typ CWT", withHeader(protectedHeader{Alg: -7, Kid: []byte("k1"), Typ: "application/cwt"}), s.lookup, now, ErrType},
		{"alg HMAC", withHeader(protectedHeader{Alg: 5, Kid: []byte("k1"), Typ: CWTType}), s.lookup, now, ErrAlgorithm},
		{"expired", tok, s.lookup, testExp.Add(time.Second), ErrExpired},
		{"wrong tag", append([]byte{0xd2 - 1}, tok[1:]...), s.lookup, now, ErrType},
		{"garbage", []byte{0xff, 0x00}, s.lookup, now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ParseCWT(tt.tok, tt.lookup, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("ParseCWT() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignRejectsBadArgs(t *testing.T) {
	s := newECSigner(t, "k1")
	l := sampleList(t, 16)
	for _, f := range formats {
		if _, err := f.sign(l, "", testIat, testExp, 0, s); err == nil {
			t.Errorf("%s: sign without uri = nil error", f.name)
		}
		if _, err := f.sign(l, testURI, testIat, testIat, 0, s); err == nil {
			t.Errorf("%s: sign with exp == iat = nil error", f.name)
		}
	}
}

func TestResponse(t *testing.T) {
	s := newECSigner(t, "k1")
	tok, _ := SignJWT(sampleList(t, 1024), testURI, testIat, testExp, testTTL, s)
	_, meta, _ := ParseJWT(tok, s.lookup, testIat)
	tests := []struct {
		name    string
		now     time.Time
		wantAge string
	}{
		{"fresh: ttl", testIat, "public, max-age=43200"},
		{"near exp: capped", testExp.Add(-time.Hour), "public, max-age=3600"},
		{"expired: zero", testExp.Add(time.Hour), "public, max-age=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewJWTResponse(tok, meta)
			r.Now = func() time.Time { return tt.now }
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/statuslists/1", nil))
			if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), tok) {
				t.Fatalf("GET = %d, body equal %v", rec.Code, bytes.Equal(rec.Body.Bytes(), tok))
			}
			if got := rec.Header().Get("Content-Type"); got != "application/statuslist+jwt" {
				t.Errorf("Content-Type = %q, want application/statuslist+jwt", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.wantAge {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantAge)
			}
			req := httptest.NewRequest(http.MethodGet, "/statuslists/1", nil)
			req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
			rec2 := httptest.NewRecorder()
			r.ServeHTTP(rec2, req)
			if rec2.Code != http.StatusNotModified {
				t.Errorf("conditional GET = %d, want 304", rec2.Code)
			}
		})
	}
}

func TestPreferredType(t *testing.T) {
	tests := map[string]string{
		"":                           JWTContentType,
		"*/*":                        JWTContentType,
		"application/statuslist+cwt": CWTType,
		"application/statuslist+jwt, application/statuslist+cwt":     JWTContentType,
		"application/statuslist+cwt;q=0, application/statuslist+jwt": JWTContentType,
	}
	for in, want := range tests {
		if got := PreferredType(in); got != want {
			t.Errorf("PreferredType(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseJWT(f *testing.F) {
	s := newECSigner(f, "k1")
	tok, _ := SignJWT(sampleList(f, 256), testURI, testIat, testExp, testTTL, s)
	f.Add(tok)
	f.Add([]byte("a.b.c"))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, m, err := ParseJWT(in, s.lookup, testIat)
		if err == nil && (l == nil || m.URI == "") {
			t.Fatal("ParseJWT succeeded without a list or sub")
		}
	})
}

func FuzzParseCWT(f *testing.F) {
	s := newECSigner(f, "k1")
	tok, _ := SignCWT(sampleList(f, 256), testURI, testIat, testExp, testTTL, s)
	f.Add(tok)
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, in []byte) {
		l, m, err := ParseCWT(in, s.lookup, testIat)
		if err == nil && (l == nil || m.URI == "") {
			t.Fatal("ParseCWT succeeded without a list or sub")
		}
	})
}

// edSigner signs with a fixed Ed25519 key: deterministic signatures, so a
// token's bytes can be compared.
type edSigner struct{ key ed25519.PrivateKey }

func (s edSigner) KeyID() string                   { return "ed1" }
func (s edSigner) Algorithm() string               { return "EdDSA" }
func (s edSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// TestCWTBytes: the signed status list CWT is byte for byte what the
// hand-built encoder made before signing moved to go-cose (relying parties
// cache and compare these tokens).
func TestCWTBytes(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	tok, err := SignCWT(sampleList(t, 16), testURI, testIat, testExp, testTTL, edSigner{ed25519.NewKeyFromSeed(seed)})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(tok); got != wantCWT {
		t.Errorf("SignCWT =\n%s\nwant\n%s", got, wantCWT)
	}
}

const wantCWT = "d2845825a30127044365643110781a6170706c69636174696f6e2f7374617475736c6973742b637774a0585aa502782568747470733a2f2f69642e6578616d706c652e636974792f7374617475736c697374732f31041a6b0bbf60061a6b0a6de019fffda2636c737450789c62e4606000040000ffff0020000a64626974730219fffe19a8c05840a0ce6cc70f41471946e27fe87882b757abf0b861a66f4ef5c1d2d1ed75a58231b325a15ba60262abce06a0749da4eac00caa4311c830a0b73888ae2bed8de100"

// TestJWTReadByGoJOSE: a token SignJWT makes (with go-jose) verifies with
// go-jose's own parser and key, for ES256 and EdDSA, and carries typ and kid
// in its protected header.
func TestJWTReadByGoJOSE(t *testing.T) {
	ec := newECSigner(t, "k1")
	seed := make([]byte, ed25519.SeedSize)
	ed := edSigner{ed25519.NewKeyFromSeed(seed)}
	for _, tc := range []struct {
		s   Signer
		pub crypto.PublicKey
	}{{ec, &ec.key.PublicKey}, {ed, ed.key.Public()}} {
		t.Run(tc.s.Algorithm(), func(t *testing.T) {
			tok, err := SignJWT(sampleList(t, 16), testURI, testIat, testExp, testTTL, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := jose.ParseSignedCompact(string(tok), []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			h := jws.Signatures[0].Protected
			if h.KeyID != tc.s.KeyID() || h.ExtraHeaders["typ"] != JWTType {
				t.Errorf("protected header kid %q typ %v, want %q and %q", h.KeyID, h.ExtraHeaders["typ"], tc.s.KeyID(), JWTType)
			}
			if _, err := jws.Verify(tc.pub); err != nil {
				t.Errorf("go-jose Verify = %v", err)
			}
		})
	}
}
