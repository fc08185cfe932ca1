package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
)

const listURI = "https://id.example.gov/status/1"

var (
	issued  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
)

func newSigner(t testing.TB) signing.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keySet(t testing.TB, ss ...signing.Signer) *signing.KeySet {
	t.Helper()
	var keys []cose.Key
	for _, s := range ss {
		keys = append(keys, cose.Key{ID: s.KeyID(), Alg: s.Algorithm(), Public: s.Public()})
	}
	ks, err := signing.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func card(t testing.TB, s signing.Signer, idx int64) string {
	t.Helper()
	p, err := claim169.Encode(claim169.Claims{
		ID: "NHV-1", FullName: "Ana Ruiz", DateOfBirth: "19900102", Gender: claim169.GenderFemale,
		Face: claim169.FaceBiometric([]byte{0xff, 0xd8, 0xff}),
	}, claim169.Meta{
		Issuer: "https://id.example.gov", IssuedAt: issued, NotBefore: issued, ExpiresAt: expires,
		Status: &claim169.StatusRef{URI: listURI, Index: idx},
	}, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listToken signs a 2-bit status list with entry 5 revoked and 6 suspended.
func listToken(t testing.TB, s signing.Signer, uri string) []byte {
	t.Helper()
	l, err := statuslist.New(2, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(5, statuslist.Invalid); err != nil {
		t.Fatal(err)
	}
	if err := l.Set(6, statuslist.Suspended); err != nil {
		t.Fatal(err)
	}
	tok, err := statuslist.SignJWT(l, uri, issued, expires, time.Hour, signing.Bind(s, rand.Reader))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerify(t *testing.T) {
	s := newSigner(t)
	ks := keySet(t, s)
	dir := t.TempDir()
	listFile := filepath.Join(dir, "list.jwt")
	if err := os.WriteFile(listFile, listToken(t, s, listURI), 0o600); err != nil {
		t.Fatal(err)
	}
	otherList := filepath.Join(dir, "other.jwt")
	if err := os.WriteFile(otherList, listToken(t, s, "https://elsewhere/1"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return issued.Add(time.Hour) }
	withList := &Verifier{Keys: ks, Status: NewListSource(FileFetch(listFile), ks, now)}
	wrongList := &Verifier{Keys: ks, Status: NewListSource(FileFetch(otherList), ks, now)}
	offline := &Verifier{Keys: ks}
	stranger := &Verifier{Keys: keySet(t, newSigner(t))}
	tests := []struct {
		name       string
		v          *Verifier
		payload    string
		at         time.Time
		valid      bool
		reason     string
		status     string
		wantClaims bool
	}{
		{"offline valid", offline, card(t, s, 1), issued, true, "", StatusNotChecked, true},
		{"listed valid", withList, card(t, s, 1), issued, true, "", StatusValid, true},
		{"revoked", withList, card(t, s, 5), issued, false, ReasonRevoked, StatusRevoked, true},
		{"suspended", withList, card(t, s, 6), issued, false, ReasonSuspended, StatusSuspended, true},
		{"list for another URI", wrongList, card(t, s, 1), issued, false, ReasonStatusUnavailable, StatusUnavailable, true},
		{"expired", offline, card(t, s, 1), expires, false, ReasonExpired, StatusNotChecked, true},
		{"not yet valid", offline, card(t, s, 1), issued.Add(-time.Hour), false, ReasonNotYetValid, StatusNotChecked, true},
		{"unknown key", stranger, card(t, s, 1), issued, false, ReasonUnknownKey, StatusNotChecked, false},
		{"garbage", offline, "HELLO WORLD", issued, false, ReasonMalformed, StatusNotChecked, false},
		{"too long", offline, strings.Repeat("A", 5000), issued, false, ReasonTooLarge, StatusNotChecked, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.v.Verify(context.Background(), tc.payload, tc.at)
			if r.Valid != tc.valid || r.Reason != tc.reason || r.Status != tc.status {
				t.Fatalf("Verify = valid %v reason %q status %q, want %v %q %q", r.Valid, r.Reason, r.Status, tc.valid, tc.reason, tc.status)
			}
			if got := r.Claims != nil; got != tc.wantClaims {
				t.Fatalf("claims present = %v, want %v", got, tc.wantClaims)
			}
			if tc.wantClaims {
				want := map[string]any{"id": "NHV-1", "fullName": "Ana Ruiz", "dateOfBirth": "19900102",
					"gender": int64(2), "face": "data:image/jpeg;base64,/9j/"}
				if d := cmp.Diff(want, r.Claims); d != "" {
					t.Errorf("claims (-want +got):\n%s", d)
				}
				if r.KeyID != s.KeyID() || r.ExpiresAt == nil || !r.ExpiresAt.Equal(expires) {
					t.Errorf("key id %q expires %v, want %q %v", r.KeyID, r.ExpiresAt, s.KeyID(), expires)
				}
			}
		})
	}
}

func TestListSourceCachesWithinTTL(t *testing.T) {
	s := newSigner(t)
	ks := keySet(t, s)
	tok := listToken(t, s, listURI)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", statuslist.JWTContentType)
		w.Write(tok)
	}))
	defer srv.Close()
	now := issued
	src := NewListSource(HTTPFetch(srv.Client(), srv.URL), ks, func() time.Time { return now })
	for i, step := range []time.Duration{0, 30 * time.Minute, 31 * time.Minute} {
		now = now.Add(step)
		st, err := src.Status(context.Background(), listURI, 5)
		if err != nil || st != statuslist.Invalid {
			t.Fatalf("Status #%d = %v, %v, want invalid", i, st, err)
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("fetched %d times over 61 minutes with a 1 h ttl, want 2", got)
	}
}

func TestListSourceRejectsForeignSignature(t *testing.T) {
	s, mallory := newSigner(t), newSigner(t)
	path := filepath.Join(t.TempDir(), "list.jwt")
	if err := os.WriteFile(path, listToken(t, mallory, listURI), 0o600); err != nil {
		t.Fatal(err)
	}
	src := NewListSource(FileFetch(path), keySet(t, s), func() time.Time { return issued })
	if _, err := src.Status(context.Background(), listURI, 1); !errors.Is(err, claim169.ErrUnknownKey) {
		t.Fatalf("Status with a list signed by an unknown key = %v, want ErrUnknownKey", err)
	}
}

func TestResultJSON(t *testing.T) {
	s := newSigner(t)
	r := (&Verifier{Keys: keySet(t, s)}).Verify(context.Background(), card(t, s, 1), issued)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"valid":true`, `"fullName":"Ana Ruiz"`, `"status":"not_checked"`, `"keyId":"` + s.KeyID() + `"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}

// TestOutcome: "could not read" is never a verdict on the card, and
// "could not check the status" is never "valid".
func TestOutcome(t *testing.T) {
	s := newSigner(t)
	ks := keySet(t, s)
	dir := t.TempDir()
	missing := filepath.Join(dir, "absent.jwt")
	tests := []struct {
		name   string
		res    Result
		want   string
		advice string
	}{
		{"valid", (&Verifier{Keys: ks}).Verify(context.Background(), card(t, s, 1), issued), OutcomeValid, ""},
		{"expired", (&Verifier{Keys: ks}).Verify(context.Background(), card(t, s, 1), expires), OutcomeInvalid, ""},
		{"forged", (&Verifier{Keys: keySet(t, newSigner(t))}).Verify(context.Background(), card(t, s, 1), issued), OutcomeNotGenuine, ""},
		{"garbage", (&Verifier{Keys: ks}).Verify(context.Background(), "HELLO", issued), OutcomeNotGenuine, ""},
		{"list unavailable", (&Verifier{Keys: ks, Status: NewListSource(FileFetch(missing), ks, time.Now)}).Verify(context.Background(), card(t, s, 1), issued), OutcomeUnknown, ""},
		{"no QR in photo", InputResult(ReasonNoQR), OutcomeUnreadable, AdviceRetake},
		{"photo too large", InputResult(ReasonImageTooBig), OutcomeUnreadable, AdviceRetake},
		{"typed text too long", InputResult(ReasonTooLarge), OutcomeNotGenuine, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.res.Outcome != tc.want || tc.res.Advice != tc.advice || tc.res.Valid != (tc.want == OutcomeValid) {
				t.Errorf("outcome %q advice %q valid %v, want %q %q %v", tc.res.Outcome, tc.res.Advice, tc.res.Valid, tc.want, tc.advice, tc.want == OutcomeValid)
			}
		})
	}
}
