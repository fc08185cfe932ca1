package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/oid4vci"
)

// nodeWalletDir holds the independent wallet (package.json, lockfile,
// wallet.mjs); CI runs `npm ci` there.
var nodeWalletDir = filepath.Join("..", "wallet", "present", "testdata", "node")

// nodeWallet runs one job of the Node wallet and decodes its answer,
// skipping the test when node or the npm packages are missing.
func nodeWallet(t *testing.T, job map[string]any, out any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: the npm interop check needs Node.js 20+")
	}
	if _, err := os.Stat(filepath.Join(nodeWalletDir, "node_modules", "@sd-jwt", "sd-jwt-vc")); err != nil {
		t.Skipf("run `npm ci` in %s first (CI does): %v", nodeWalletDir, err)
	}
	in, _ := json.Marshal(job)
	cmd := exec.Command(node, "wallet.mjs")
	cmd.Dir = nodeWalletDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var e struct{ Error string }
	_ = json.Unmarshal(stdout.Bytes(), &e)
	if runErr != nil || e.Error != "" {
		t.Fatalf("node wallet %s: %v\n%s\n%s", job["mode"], runErr, e.Error, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node wallet %s answered %q: %v", job["mode"], stdout.String(), err)
	}
}

// TestWalletInterop has independent implementations from npm check both
// ends against a running server: a Node wallet receives the card over
// OpenID4VCI (pre-authorized code with the transaction code the desk
// shows), @sd-jwt/sd-jwt-vc verifies the credential cityid issued
// (signature by the published JWKS, disclosures, the signed status list
// fetched from cityid), and the wallet, built on @openid4vc/openid4vp and
// @sd-jwt/sd-jwt-vc, answers cityid's request for "lives in the city and
// over 21", which cityid's verifier accepts, showing those two claims and
// nothing else.
func TestWalletInterop(t *testing.T) {
	ce := newCardEnv(t)
	cardID := ce.issue(t)
	// The Node wallet signs its proofs and key bindings with the real
	// clock: bring the test clock to now.
	ce.clk.Add(time.Until(ce.clk.Now()) * -1)
	offer := offerPhone(t, ce, cardID)
	offerURI := oid4vci.OfferURI(ce.app.Settings.Program.IssuerURL, offer.Code, "the code on the screen")

	var got struct {
		Credential string
		Holder     json.RawMessage
	}
	nodeWallet(t, map[string]any{"mode": "receive", "base": ce.ts.URL, "offer": offerURI, "tx_code": offer.TxCode}, &got)
	if got.Credential == "" || len(got.Holder) == 0 {
		t.Fatalf("node wallet received %+v, want a credential and its holder key", got)
	}

	var checked struct {
		Claims   map[string]any
		Iss, Vct string
	}
	nodeWallet(t, map[string]any{"mode": "check", "base": ce.ts.URL, "credential": got.Credential}, &checked)
	if checked.Claims["resident_of"] != "New Haven" || checked.Claims["age_over_21"] != true || checked.Claims["given_name"] != "Zenobia" ||
		checked.Vct != municipalid.VCT(ce.app.Settings.Program.IssuerURL) {
		t.Errorf("@sd-jwt/sd-jwt-vc read %+v, want the municipal ID with every claim (resident_of New Haven, age_over_21, given_name)", checked)
	}

	c := ce.client()
	path, uri := startPhoneCheck(t, c, "resident_over21")
	var presented struct {
		Asked  []string
		Client string
		Status int
		Body   string
	}
	nodeWallet(t, map[string]any{"mode": "present", "request": uri, "credential": got.Credential, "holder": got.Holder}, &presented)
	if presented.Status != http.StatusOK || presented.Client != "redirect_uri" || strings.Join(presented.Asked, ",") != "resident_of,age_over_21" {
		t.Fatalf("node wallet's presentation: %+v, want 200 after asking for resident_of and age_over_21 from a redirect_uri client", presented)
	}
	r := c.get(t, path)
	page := text(r.Body)
	if !strings.Contains(page, "GENUINE AND VALID") || !strings.Contains(page, "New Haven") || strings.Contains(page, "Zenobia") || strings.Contains(page, "1988") {
		t.Errorf("cityid's answer page for the Node wallet's presentation = %s, want valid with New Haven and no name or birth date", page)
	}
}
