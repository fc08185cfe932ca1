package api

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/verify"
	"github.com/cityid/cityid/internal/wallet/present"
)

func get(tb testing.TB, url, token string) apiResp {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResp{Status: res.StatusCode, Body: b}
}

// TestPresentationsEndpoint asks for "over 21" through the API, has a wallet
// holding the card's phone credential answer, and polls: the answer is
// valid and holds age_over_21 and nothing else, for the token that asked
// only.
func TestPresentationsEndpoint(t *testing.T) {
	e := newVerifyEnv(t)
	ctx := context.Background()

	if r := post(t, e.ts.URL+"/api/v1/presentations", e.token, []byte(`{"preset":"birthdate"}`)); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "bad_preset") {
		t.Errorf("unknown preset = %d %s, want 400 bad_preset", r.Status, r.Body)
	}
	r := post(t, e.ts.URL+"/api/v1/presentations", e.token, []byte(`{"preset":"over21"}`))
	var started PresentationStarted
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &started) != nil || !strings.HasPrefix(started.RequestURI, "openid4vp://?") {
		t.Fatalf("POST /api/v1/presentations = %d %s, want 201 with an openid4vp:// request", r.Status, r.Body)
	}
	poll := func(token string) (int, PresentationResult) {
		r := get(t, e.ts.URL+started.Poll, token)
		var out PresentationResult
		_ = json.Unmarshal(r.Body, &out)
		return r.Status, out
	}
	if st, out := poll(e.token); st != http.StatusOK || out.State != "pending" {
		t.Fatalf("poll before the answer = %d %+v, want pending", st, out)
	}

	// The resident's wallet: the card's phone credential, as the desk's
	// offer gives it.
	if _, err := e.app.Cards.Print(ctx, e.sup, []string{e.cardID}, card.CardPages); err != nil {
		t.Fatal(err)
	}
	offer, err := e.app.Cards.OfferPhone(ctx, e.sup, e.cardID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.app.Cards.RedeemPhoneOffer(ctx, offer.Code, offer.TxCode)
	if err != nil {
		t.Fatal(err)
	}
	hk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hs, _ := signing.NewSigner(hk)
	creds, err := e.app.Cards.IssuePhone(ctx, tok.Token, []crypto.PublicKey{hk.Public()})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := sdjwt.ParseCredential(creds[0])
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(started.RequestURI)
	q := u.Query()
	vp, err := sdjwt.KeyBind(cred.Token(func(d sdjwt.Disclosure) bool { return d.Name == "age_over_21" }),
		signing.Bind(hs, rand.Reader), q.Get("client_id"), q.Get("nonce"), e.app.Now())
	if err != nil {
		t.Fatal(err)
	}
	token, _ := json.Marshal(map[string][]string{present.QueryID: {vp}})
	id := strings.TrimPrefix(q.Get("response_uri")[strings.Index(q.Get("response_uri"), present.ResponsePath):], present.ResponsePath)
	if err := e.app.Services.Presentations.Respond(ctx, id, url.Values{"vp_token": {string(token)}, "state": {q.Get("state")}}); err != nil {
		t.Fatalf("wallet's answer: %v", err)
	}

	st, out := poll(e.token)
	if st != http.StatusOK || out.State != "answered" || out.Answer == nil || !out.Answer.Valid || out.Answer.Outcome != verify.OutcomeValid {
		t.Fatalf("poll after the answer = %d %+v, want answered and valid", st, out)
	}
	if len(out.Answer.Claims) != 1 || out.Answer.Claims["age_over_21"] != true {
		t.Errorf("claims = %v, want only age_over_21: true", out.Answer.Claims)
	}
	if st, _ := poll(e.clerkTok); st != http.StatusNotFound {
		t.Errorf("another token polling = %d, want 404", st)
	}
}
