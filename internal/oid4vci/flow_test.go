package oid4vci_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/oid4vci"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/web"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a running cityid (the real web handler) with one printed card.
type env struct {
	app        *app.App
	clock      *clock
	srv        *httptest.Server
	clerk      auth.Actor
	supervisor auth.Actor
	card       card.Card
	issuer     string
}

func newEnv(t testing.TB, dbURL string, dob person.Date) *env {
	clk := &clock{t: time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)}
	a := apptest.Open(t, dbURL, clk.Now)
	st := apptest.Site(t, a, "City Hall", site.KindCityHall)
	e := &env{app: a, clock: clk,
		clerk:      apptest.Staff(t, a, "clerk", auth.RoleClerk, st.ID),
		supervisor: apptest.Staff(t, a, "super", auth.RoleSupervisor, st.ID),
		issuer:     strings.TrimRight(a.Settings.Program.IssuerURL, "/")}
	approver := apptest.Staff(t, a, "approver", auth.RoleSupervisor, st.ID)
	in := enroll.Intake{
		Person: person.Person{GivenNames: "José Luis", FirstSurname: "Ñúñez", SecondSurname: "Peña", DateOfBirth: dob,
			Address:  person.Address{Line1: "200 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"},
			Language: "es"},
		Documents: []evidence.Shown{{Type: "passport", Issuer: "Ecuador", Expires: person.Date{Year: 2029, Month: 1, Day: 1}}, {Type: "lease"}},
		Photo:     apptest.Photo(t), Payment: fee.Payment{Method: "cash", AmountCents: 1000}, IdempotencyKey: "k1",
	}
	if dob.AgeOn(person.DateOf(clk.Now())) < 18 {
		in.Payment.AmountCents = 500
	}
	ap, err := a.Enroll.Submit(ctx, e.clerk, "", in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if err := a.Enroll.Approve(ctx, approver, ap.ID, ""); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if e.card, err = a.Cards.Issue(ctx, e.supervisor, ap.ID); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if _, err := a.Cards.Print(ctx, e.supervisor, []string{e.card.ID}, card.CardPages); err != nil {
		t.Fatalf("Print: %v", err)
	}
	srv, err := web.New(a.Services, web.Options{Logger: slog.New(slog.NewTextHandler(tlog{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// wallet is a Go test wallet: it speaks OpenID4VCI to the server (at the
// test server's address, standing for the issuer URL) with its own keys.
type wallet struct {
	t    *testing.T
	e    *env
	keys []*ecdsa.PrivateKey
}

func newWallet(t *testing.T, e *env, n int) *wallet {
	w := &wallet{t: t, e: e}
	for range n {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		w.keys = append(w.keys, k)
	}
	return w
}

// call sends a request and decodes the JSON answer.
func (w *wallet) call(method, path, contentType, body, bearer string) (int, map[string]any) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Accept-Language", "es")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		w.t.Fatalf("%s %s: not JSON (%d): %s", method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != 200 {
		if d, _ := out["error_description"].(string); d == "" || strings.HasPrefix(d, "phone.") {
			w.t.Errorf("%s %s: error %v without a translated description: %q", method, path, out["error"], d)
		}
	}
	return resp.StatusCode, out
}

// offer reads the pre-authorized code from an offer URI as a wallet does.
func offerCode(t *testing.T, uri, issuer string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "openid-credential-offer" {
		t.Fatalf("offer URI %q: %v", uri, err)
	}
	var o struct {
		Issuer string   `json:"credential_issuer"`
		IDs    []string `json:"credential_configuration_ids"`
		Grants map[string]struct {
			Code   string `json:"pre-authorized_code"`
			TxCode struct {
				InputMode string `json:"input_mode"`
				Length    int    `json:"length"`
			} `json:"tx_code"`
		} `json:"grants"`
	}
	if err := json.Unmarshal([]byte(u.Query().Get("credential_offer")), &o); err != nil {
		t.Fatalf("credential_offer: %v", err)
	}
	g := o.Grants[oid4vci.PreAuthGrant]
	if o.Issuer != issuer || !slices.Equal(o.IDs, []string{municipalid.ConfigurationID}) || g.Code == "" ||
		g.TxCode.InputMode != "numeric" || g.TxCode.Length != 6 {
		t.Fatalf("offer = %+v", o)
	}
	return g.Code
}

func (w *wallet) token(code, tx string) (int, map[string]any) {
	form := url.Values{"grant_type": {oid4vci.PreAuthGrant}, "pre-authorized_code": {code}, "tx_code": {tx}}
	return w.call("POST", oid4vci.TokenPath, "application/x-www-form-urlencoded", form.Encode(), "")
}

func (w *wallet) nonce() string {
	w.t.Helper()
	st, out := w.call("POST", oid4vci.NoncePath, "", "", "")
	n, _ := out["c_nonce"].(string)
	if st != 200 || n == "" {
		w.t.Fatalf("nonce = %d %v", st, out)
	}
	return n
}

// proof signs a key proof with key k.
func (w *wallet) proof(k *ecdsa.PrivateKey, aud, nonce string, iat time.Time) string {
	return signProof(w.t, k, aud, nonce, iat)
}

// signProof signs an openid4vci-proof+jwt with k, its public key in the header.
func signProof(tb testing.TB, k *ecdsa.PrivateKey, aud, nonce string, iat time.Time) string {
	tb.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(oid4vci.ProofType)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"aud": aud, "nonce": nonce, "iat": iat.Unix()})
	jws, err := s.Sign(body)
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (w *wallet) request(token string, proofs ...string) (int, map[string]any) {
	body, _ := json.Marshal(map[string]any{"credential_configuration_id": municipalid.ConfigurationID, "proofs": map[string]any{"jwt": proofs}})
	return w.call("POST", oid4vci.CredentialPath, "application/json", string(body), token)
}

func (w *wallet) proofs(nonce string) []string {
	var out []string
	for _, k := range w.keys {
		out = append(out, w.proof(k, w.e.issuer, nonce, w.e.clock.Now()))
	}
	return out
}

func (e *env) offer(t *testing.T) card.PhoneOffer {
	t.Helper()
	o, err := e.app.Cards.OfferPhone(ctx, e.clerk, e.card.ID)
	if err != nil {
		t.Fatalf("OfferPhone: %v", err)
	}
	return o
}

func (e *env) keyLookup(t *testing.T) sdjwt.KeyLookup {
	pub, err := e.app.Keyring.Published()
	if err != nil {
		t.Fatal(err)
	}
	return func(kid string) (crypto.PublicKey, error) {
		k, ok := pub.Lookup(kid)
		if !ok {
			return nil, fmt.Errorf("no key %q", kid)
		}
		return k.Public, nil
	}
}

// statusOf reads a credential's entry from the status list the server serves.
func (e *env) statusOf(t *testing.T, ref *sdjwt.StatusRef) statuslist.Status {
	t.Helper()
	path := strings.TrimPrefix(ref.URI, e.issuer)
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Accept", statuslist.JWTContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	tok, _ := io.ReadAll(resp.Body)
	lookup := e.keyLookup(t)
	l, _, err := statuslist.ParseJWT(tok, func(kid string) (crypto.PublicKey, error) { return lookup(kid) }, e.clock.Now())
	if err != nil {
		t.Fatalf("status list %s: %v", ref.URI, err)
	}
	v, err := l.Get(ref.Index)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestIssuanceFlow walks the whole pre-authorized flow as a wallet: offer at
// the desk, a wrong then the right transaction code, a nonce, three key
// proofs, three credentials that verify with the published keys and carry
// the holder's claims, each bound to its key with its own status entry; then
// the card's suspension reaches every one of them.
func TestIssuanceFlow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, person.Date{Year: 1985, Month: 7, Day: 14})
		w := newWallet(t, e, 3)

		st, meta := w.call("GET", oid4vci.IssuerMetadataPath, "", "", "")
		if st != 200 || meta["credential_issuer"] != e.issuer || meta["nonce_endpoint"] != e.issuer+oid4vci.NoncePath {
			t.Fatalf("issuer metadata = %d %v", st, meta)
		}
		conf, _ := meta["credential_configurations_supported"].(map[string]any)[municipalid.ConfigurationID].(map[string]any)
		if conf["format"] != "dc+sd-jwt" || conf["vct"] != municipalid.VCT(e.issuer) {
			t.Errorf("configuration = %v", conf)
		}
		if st, as := w.call("GET", oid4vci.ASMetadataPath, "", "", ""); st != 200 || as["pre-authorized_grant_anonymous_access_supported"] != true {
			t.Errorf("AS metadata = %d %v", st, as)
		}
		if st, tm := w.call("GET", municipalid.VCTPath, "", "", ""); st != 200 || tm["vct"] != municipalid.VCT(e.issuer) {
			t.Errorf("type metadata = %d %v", st, tm)
		}

		o := e.offer(t)
		code := offerCode(t, oid4vci.OfferURI(e.issuer, o.Code, "code"), e.issuer)
		wrongTx := fmt.Sprintf("%06d", (mustAtoi(t, o.TxCode)+1)%1000000)
		if st, out := w.token(code, wrongTx); st != 400 || out["error"] != "invalid_grant" || !strings.Contains(out["error_description"].(string), "incorrecto") {
			t.Errorf("token with a wrong tx_code = %d %v, want invalid_grant in Spanish", st, out)
		}
		st, tok := w.token(code, o.TxCode)
		access, _ := tok["access_token"].(string)
		if st != 200 || access == "" || tok["token_type"] != "Bearer" {
			t.Fatalf("token = %d %v", st, tok)
		}
		if st, out := w.token(code, o.TxCode); st != 400 || out["error"] != "invalid_grant" {
			t.Errorf("second use of the code = %d %v, want invalid_grant", st, out)
		}
		nonce := w.nonce()
		st, out := w.request(access, w.proofs(nonce)...)
		if st != 200 {
			t.Fatalf("credential = %d %v", st, out)
		}
		creds, _ := out["credentials"].([]any)
		if len(creds) != 3 {
			t.Fatalf("credentials = %v, want 3", out)
		}
		if st, out := w.request(access, w.proofs(w.nonce())...); st != 401 || out["error"] != "invalid_token" {
			t.Errorf("second credential request = %d %v, want invalid_token", st, out)
		}

		var refs []*sdjwt.StatusRef
		seenIdx := map[int]bool{}
		for i, c := range creds {
			s := c.(map[string]any)["credential"].(string)
			v, err := sdjwt.Verify(s, sdjwt.VerifyOptions{Keys: e.keyLookup(t), Now: e.clock.Now(), Issuer: e.issuer, VCT: municipalid.VCT(e.issuer)})
			if err != nil {
				t.Fatalf("credential %d: %v", i, err)
			}
			want := map[string]any{
				"given_name": "José Luis", "family_name": "Ñúñez Peña", "birthdate": "1985-07-14",
				"address":     map[string]any{"street_address": "200 Orange St", "locality": "New Haven", "postal_code": "06510"},
				"resident_of": e.app.Settings.Program.City, "age_over_18": true, "age_over_21": true,
				"card_valid_until": e.card.ExpiresOn.String(),
			}
			if d := cmp.Diff(want, v.Claims); d != "" {
				t.Errorf("credential %d claims (-want +got):\n%s", i, d)
			}
			if !w.keys[i].PublicKey.Equal(v.Holder) {
				t.Errorf("credential %d is bound to another key", i)
			}
			if v.Status == nil || seenIdx[v.Status.Index] || v.Status.Index == e.card.StatusIndex && strings.HasSuffix(v.Status.URI, "/"+e.card.StatusListID) {
				t.Errorf("credential %d status %+v: want its own entry", i, v.Status)
			}
			if v.Expires.After(e.card.ExpiresOn.Time()) || v.Expires.Day() != 1 || v.IssuedAt.Day() != 1 {
				t.Errorf("credential %d: iat %s exp %s; want firsts of months, exp not after the card's %s", i, v.IssuedAt, v.Expires, e.card.ExpiresOn)
			}
			seenIdx[v.Status.Index] = true
			refs = append(refs, v.Status)
			if got := e.statusOf(t, v.Status); got != statuslist.Valid {
				t.Errorf("credential %d status = %v, want valid", i, got)
			}
		}

		// A selective, key-bound presentation verifies (the verifier's side).
		c, err := sdjwt.ParseCredential(creds[0].(map[string]any)["credential"].(string))
		if err != nil {
			t.Fatal(err)
		}
		holder, err := holderSigner(w.keys[0])
		if err != nil {
			t.Fatal(err)
		}
		p, err := sdjwt.KeyBind(c.Token(func(d sdjwt.Disclosure) bool { return d.Name == "resident_of" || d.Name == "age_over_21" }),
			holder, "x509_san_dns:shop.example", "n1", e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		v, err := sdjwt.Verify(p, sdjwt.VerifyOptions{Keys: e.keyLookup(t), Now: e.clock.Now(),
			KeyBinding: &sdjwt.KeyBindingCheck{Audience: "x509_san_dns:shop.example", Nonce: "n1"}})
		if err != nil || len(v.Claims) != 2 {
			t.Errorf("presentation = %v, %v; want resident_of and age_over_21 only", v, err)
		}

		// Suspending the card suspends the phone credentials; reinstating brings them back.
		if _, err := e.app.Cards.Suspend(ctx, e.supervisor, e.card.ID, "investigation"); err != nil {
			t.Fatal(err)
		}
		for i, r := range refs {
			if got := e.statusOf(t, r); got != statuslist.Suspended {
				t.Errorf("after suspend: credential %d = %v, want suspended", i, got)
			}
		}
		if _, err := e.app.Cards.Reinstate(ctx, e.supervisor, e.card.ID, "resolved"); err != nil {
			t.Fatal(err)
		}
		// A new phone: a second offer and issue revokes the first batch.
		o2 := e.offer(t)
		_, tok2 := w.token(o2.Code, o2.TxCode)
		w2 := newWallet(t, e, 1)
		if st, out := w2.request(tok2["access_token"].(string), w2.proofs(w2.nonce())...); st != 200 {
			t.Fatalf("new phone credential = %d %v", st, out)
		}
		for i, r := range refs {
			if got := e.statusOf(t, r); got != statuslist.Invalid {
				t.Errorf("after a new phone: old credential %d = %v, want invalid", i, got)
			}
		}
		events, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordID: e.card.ID, Action: "card.phone_issue"})
		if err != nil || len(events) != 2 {
			t.Errorf("phone_issue audit events = %d, %v; want 2", len(events), err)
		}
	})
}

// tlog sends the server's log to the test's.
type tlog struct{ t testing.TB }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(strings.TrimSpace(string(p))); return len(p), nil }

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func holderSigner(k *ecdsa.PrivateKey) (sdjwt.Signer, error) {
	s, err := signing.NewSigner(k)
	if err != nil {
		return nil, err
	}
	return signing.Bind(s, rand.Reader), nil
}
