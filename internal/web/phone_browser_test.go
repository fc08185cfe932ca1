package web

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/oid4vci"
	"github.com/cityid/cityid/internal/verify"
)

// TestBrowserAddToPhone: at the desk, a clerk on a 390 px phone in Spanish
// presses "Añadir al teléfono"; the page shows a QR that a scanner reads as
// an OpenID4VCI offer and a 6-digit code, and the two together get a wallet
// its access token from the server, once.
func TestBrowserAddToPhone(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	ce := newCardEnv(t)
	id := ce.issue(t)
	if r := ce.sup.post(t, "/staff/cards/print", url.Values{"id": {id}, "sheet": {"cards"}}); r.Status != 200 {
		t.Fatalf("print = %d", r.Status)
	}
	browserAs(t, bctx, ce.env, ce.clerk)
	run("card page", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ce.ts.URL+"/lang/es?next=/staff/cards/"+id),
		chromedp.WaitVisible(chromedp.CSS("#add-to-phone")))
	run("add to phone", chromedp.Click(chromedp.CSS("#add-to-phone")), chromedp.WaitVisible(chromedp.CSS("#phone-qr")))
	noSidewaysScroll(t, bctx, "add to phone", 390)
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Añadir la tarjeta a un teléfono", "Código para escribir en la billetera", "15 minutos"} {
		if !strings.Contains(body, want) {
			t.Errorf("phone page lacks %q: %.400s", want, body)
		}
	}
	tx, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#phone-txcode")))
	if !regexp.MustCompile(`^\d{6}$`).MatchString(tx) {
		t.Fatalf("transaction code on screen = %q, want 6 digits", tx)
	}
	if os.Getenv("CITYID_SCREENSHOTS") == "1" {
		screenshot(t, bctx, "desk-phone-390-es.png", "")
	}
	shot, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#phone-qr")))
	if err != nil {
		t.Fatal(err)
	}
	uri, err := verify.DecodeQRImage(bytes.NewReader(shot), 0)
	if err != nil {
		t.Fatalf("the QR on screen does not scan: %v", err)
	}
	if strings.Contains(uri, tx) {
		t.Errorf("the QR carries the transaction code")
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "openid-credential-offer" {
		t.Fatalf("QR = %q, want an openid-credential-offer URI", uri)
	}
	var offer struct {
		Grants map[string]map[string]any `json:"grants"`
	}
	if err := json.Unmarshal([]byte(u.Query().Get("credential_offer")), &offer); err != nil {
		t.Fatal(err)
	}
	code, _ := offer.Grants[oid4vci.PreAuthGrant]["pre-authorized_code"].(string)
	redeem := func() (int, string) {
		form := url.Values{"grant_type": {oid4vci.PreAuthGrant}, "pre-authorized_code": {code}, "tx_code": {tx}}
		resp, err := http.PostForm(ce.ts.URL+oid4vci.TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&tok)
		return resp.StatusCode, tok.AccessToken
	}
	st, token := redeem()
	if st != 200 {
		t.Errorf("token with the QR's code and the code on screen = %d, want 200", st)
	}
	if st, _ := redeem(); st != 400 {
		t.Errorf("second use = %d, want 400", st)
	}
	// Once the wallet has its credentials, the card page says so.
	holder, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := ce.app.Cards.IssuePhone(t.Context(), token, []crypto.PublicKey{holder.Public()}); err != nil {
		t.Fatalf("IssuePhone: %v", err)
	}
	run("card page again", chromedp.Navigate(ce.ts.URL+"/staff/cards/"+id), chromedp.WaitVisible(chromedp.CSS("#card-phones")))
	if got, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#card-phones"))); !strings.HasPrefix(got, "1 credencial, emitida") {
		t.Errorf("card page says on a phone: %q, want 1 credencial, emitida …", got)
	}
}
