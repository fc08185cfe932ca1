package web

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/wallet/present"
)

// phoneWallet is a test wallet holding the city's credential for one card.
type phoneWallet struct {
	cred   *sdjwt.Credential
	holder signing.Bound
}

// offerPhone prints card cardID and makes the desk's "add to phone" offer.
func offerPhone(t *testing.T, ce *cardEnv, cardID string) card.PhoneOffer {
	t.Helper()
	ctx := context.Background()
	if _, err := ce.app.Cards.Print(ctx, ce.supActor, []string{cardID}, card.CardPages); err != nil {
		t.Fatal(err)
	}
	offer, err := ce.app.Cards.OfferPhone(ctx, ce.supActor, cardID)
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

// newPhoneWallet gets a phone credential for cardID the way the OpenID4VCI
// endpoints do (offer at the desk, transaction code, one holder key), from
// the card service.
func newPhoneWallet(t *testing.T, ce *cardEnv, cardID string) *phoneWallet {
	t.Helper()
	ctx := context.Background()
	offer := offerPhone(t, ce, cardID)
	tok, err := ce.app.Cards.RedeemPhoneOffer(ctx, offer.Code, offer.TxCode)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := signing.NewSigner(hk)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := ce.app.Cards.IssuePhone(ctx, tok.Token, []crypto.PublicKey{hk.Public()})
	if err != nil || len(creds) != 1 {
		t.Fatalf("IssuePhone = %d credentials, %v; want 1", len(creds), err)
	}
	cred, err := sdjwt.ParseCredential(creds[0])
	if err != nil {
		t.Fatal(err)
	}
	return &phoneWallet{cred: cred, holder: signing.Bind(hs, rand.Reader)}
}

// answer reads the openid4vp:// request, discloses what its DCQL query
// asks for, binds the presentation to the request and posts it to the
// response URI; it returns the response's status and body.
func (w *phoneWallet) answer(t *testing.T, uri string, at time.Time) (int, string) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "openid4vp" {
		t.Fatalf("request %q is not an openid4vp: URL (%v)", uri, err)
	}
	q := u.Query()
	var dq present.Query
	if err := json.Unmarshal([]byte(q.Get("dcql_query")), &dq); err != nil {
		t.Fatalf("dcql_query: %v", err)
	}
	want := map[string]bool{}
	for _, c := range dq.Credentials[0].Claims {
		want[c.Path[0]] = true
	}
	tok := w.cred.Token(func(d sdjwt.Disclosure) bool { return want[d.Name] })
	p, err := sdjwt.KeyBind(tok, w.holder, q.Get("client_id"), q.Get("nonce"), at)
	if err != nil {
		t.Fatal(err)
	}
	vp, _ := json.Marshal(map[string][]string{dq.Credentials[0].ID: {p}})
	resp, err := http.PostForm(q.Get("response_uri"), url.Values{"vp_token": {string(vp)}, "state": {q.Get("state")}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	body.Write(buf[:n])
	return resp.StatusCode, body.String()
}

// startPhoneCheck asks for preset on the phone tab and returns the
// waiting page's path and the openid4vp:// request it shows.
func startPhoneCheck(t *testing.T, c *client, preset string) (string, string) {
	t.Helper()
	r := c.post(t, "/verify/phone", url.Values{"preset": {preset}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/verify/phone/") {
		t.Fatalf("POST /verify/phone = %d %q, want 303 to the waiting page: %s", r.Status, r.Location, text(r.Body))
	}
	page := c.get(t, r.Location)
	uri := html.UnescapeString(regexpFind(page.Body, `href="([^"]+)" id="same-device"`))
	if page.Status != http.StatusOK || !strings.HasPrefix(uri, "openid4vp://?") || !strings.Contains(page.Body, `id="request-qr"`) {
		t.Fatalf("waiting page (%d) shows no QR code or openid4vp link: %s", page.Status, text(page.Body))
	}
	if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("waiting page Cache-Control = %q, want no-store", cc)
	}
	return r.Location, uri
}

func TestPhoneVerifierOverHTTP(t *testing.T) {
	ce := newCardEnv(t)
	cardID := ce.issue(t)
	w := newPhoneWallet(t, ce, cardID)
	c := ce.client()

	// The card verifier's pages, form and result alike, lead to the phone tab.
	if r := c.post(t, "/verify", url.Values{"payload": {"not a card"}}); !strings.Contains(r.Body, `href="/verify/phone"`) {
		t.Errorf("card result page (%d) has no Phone tab", r.Status)
	}
	form := c.get(t, "/verify/phone")
	if form.Status != http.StatusOK || strings.Count(form.Body, `name="preset"`) != 4 {
		t.Fatalf("GET /verify/phone = %d, want the four presets: %s", form.Status, text(form.Body))
	}
	if r := c.post(t, "/verify/phone", url.Values{"preset": {"birthdate"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose what you need to know") {
		t.Errorf("POST an unknown preset = %d, want 422 with the message: %s", r.Status, text(r.Body))
	}

	path, uri := startPhoneCheck(t, c, "resident_over21")
	if page := text(c.get(t, path).Body); !strings.Contains(page, "Waiting for the wallet") {
		t.Errorf("before the wallet answers the page says %q, want waiting", page)
	}
	st, body := w.answer(t, uri, ce.clk.Now())
	var sent struct {
		RedirectURI string `json:"redirect_uri"`
	}
	if st != http.StatusOK || json.Unmarshal([]byte(body), &sent) != nil || !strings.HasPrefix(sent.RedirectURI, ce.ts.URL+"/verify/phone/return/") {
		t.Fatalf("wallet's POST = %d %s, want 200 with a redirect_uri back to the page", st, body)
	}
	// A wallet on the same phone sends its user back: the browser that
	// asked lands on the answer, another browser learns nothing.
	back := strings.TrimPrefix(sent.RedirectURI, ce.ts.URL)
	if r := c.get(t, back); r.Status != http.StatusSeeOther || r.Location != path {
		t.Errorf("GET %s in the asking browser = %d %q, want 303 to %s", back, r.Status, r.Location, path)
	}
	if r := ce.client().get(t, back); r.Status != http.StatusNotFound {
		t.Errorf("GET %s in another browser = %d, want 404", back, r.Status)
	}
	got := text(c.get(t, path).Body)
	for _, want := range []string{"GENUINE AND VALID", "Lives in", "New Haven", "Over 21", "Yes"} {
		if !strings.Contains(got, want) {
			t.Errorf("answer page lacks %q: %s", want, got)
		}
	}
	for _, never := range []string{"Zenobia", "Quetzalcóatl", "1988", "Grand Ave"} {
		if strings.Contains(got, never) {
			t.Errorf("answer page shows %q, which was not asked for: %s", never, got)
		}
	}
	// One answer per request: the same wallet answering again is refused.
	if st, body := w.answer(t, uri, ce.clk.Now()); st != http.StatusBadRequest || !strings.Contains(body, "already been answered") {
		t.Errorf("second answer = %d %s, want 400 already answered", st, body)
	}
	// Someone else holding the page's address of another verifier sees nothing.
	if r := c.get(t, "/verify/phone/not-a-handle"); r.Status != http.StatusNotFound {
		t.Errorf("GET an unknown handle = %d, want 404", r.Status)
	}

	// The card is revoked: the phone credential goes with it.
	if _, err := ce.app.Cards.Revoke(context.Background(), ce.supActor, cardID, "fraud"); err != nil {
		t.Fatal(err)
	}
	path, uri = startPhoneCheck(t, c, "over21")
	if st, _ := w.answer(t, uri, ce.clk.Now()); st != http.StatusOK {
		t.Fatalf("wallet's POST for the revoked card = %d", st)
	}
	rr := c.get(t, path)
	got = text(rr.Body)
	if !strings.Contains(got, "NOT VALID") || !strings.Contains(got, "The card has been revoked") || strings.Contains(rr.Body, `id="disclosed"`) {
		t.Errorf("revoked card's answer page (%d) = %s, want NOT VALID, revoked, and no claims", rr.Status, got)
	}
}

// TestBrowserPhoneVerifier walks the phone tab in Spanish at 390 px: pick
// "vive en la ciudad y es mayor de 21", a QR code is shown, a wallet
// answers, and the page (reloading itself) shows the verdict and only
// those two claims. CITYID_SCREENSHOTS=1 saves docs/img/verify-phone-*-es.png
// (without it a test run leaves the checkout as it was: the QR differs
// every run).
func TestBrowserPhoneVerifier(t *testing.T) {
	shots := os.Getenv("CITYID_SCREENSHOTS") == "1"
	bctx, run := headless(t, 390, 844, 60*time.Second)
	ce := newCardEnv(t)
	w := newPhoneWallet(t, ce, ce.issue(t))

	run("open the phone tab in Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ce.ts.URL+"/lang/es?next=/verify/phone"),
		chromedp.WaitVisible(chromedp.CSS("#phone-submit")))
	noSidewaysScroll(t, bctx, "phone tab form", 390)
	if shots {
		screenshot(t, bctx, "verify-phone-form-es.png", "")
	}
	run("ask", chromedp.Click(chromedp.CSS(`input[value="resident_over21"]`)), chromedp.Click(chromedp.CSS("#phone-submit")),
		chromedp.WaitVisible(chromedp.CSS("#request-qr")))
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(function(){var i=document.getElementById("request-qr");return i.complete && i.naturalWidth>0 && i.getBoundingClientRect().width>=250;})()`))
	if err != nil || !shown {
		t.Errorf("QR code shown = %v (%v), want a decoded image at least 250 px wide", shown, err)
	}
	noSidewaysScroll(t, bctx, "waiting page", 390)
	if shots {
		screenshot(t, bctx, "verify-phone-qr-es.png", "")
	}
	uri, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("same-device").href`))
	if err != nil {
		t.Fatal(err)
	}
	if st, body := w.answer(t, uri, ce.clk.Now()); st != http.StatusOK {
		t.Fatalf("wallet's POST = %d %s", st, body)
	}
	// The page reloads itself every few seconds.
	run("wait for the answer", chromedp.WaitVisible(chromedp.CSS("#verdict-word")))
	word, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#verdict-word")))
	shared, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#disclosed")))
	if !strings.Contains(word, "AUTÉNTICA") && !strings.Contains(word, "VÁLIDA") {
		t.Errorf("verdict = %q, want the Spanish valid verdict", word)
	}
	if !strings.Contains(shared, "Vive en") || !strings.Contains(shared, "New Haven") || !strings.Contains(shared, "Mayor de 21 años") || strings.Contains(shared, "Zenobia") {
		t.Errorf("shared claims = %q, want exactly lives in New Haven and over 21", shared)
	}
	noSidewaysScroll(t, bctx, "answer page", 390)
	if shots {
		screenshot(t, bctx, "verify-phone-result-es.png", "")
	}
}
