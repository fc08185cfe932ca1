package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/verify"
)

// cardEnv is an env with a clerk at site A, a supervisor, and one
// application submitted by the clerk and approved by a second supervisor
// (four eyes: the approver cannot issue the card).
type cardEnv struct {
	*env
	clerk, sup *client
	supActor   auth.Actor
	appID      string
}

func newCardEnv(t *testing.T) *cardEnv {
	t.Helper()
	e := newEnv(t)
	if e.app.Cards == nil {
		t.Fatal("app.Open on a new data dir made no card service")
	}
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	ce := &cardEnv{env: e, clerk: e.signIn(t, "clerk1", testPassword), sup: e.signIn(t, "sup1", testPassword)}
	ce.supActor = mustActor(t, e, "sup1")
	ce.appID = submitted(t, ce.clerk, "card-flow")
	// Four eyes: a second supervisor approves, so sup1 may issue the card.
	e.addStaff(t, "sup2", auth.RoleSupervisor, "")
	r := e.signIn(t, "sup2", testPassword).post(t, "/staff/applications/"+ce.appID+"/approve", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("approve = %d: %s", r.Status, text(r.Body))
	}
	return ce
}

// issue presses "Issue card" on the application and returns the card id.
func (ce *cardEnv) issue(t *testing.T) string {
	t.Helper()
	page := ce.sup.get(t, "/staff/applications/"+ce.appID+"?purpose=replacement")
	if !strings.Contains(page.Body, `id="issue-card"`) {
		t.Errorf("approved application page (%d) has no Issue card button", page.Status)
	}
	r := ce.sup.post(t, "/staff/applications/"+ce.appID+"/issue", url.Values{})
	id := regexpFind(r.Location, `^/staff/cards/(crd_[a-z2-7]+)\?done=issue$`)
	if r.Status != http.StatusSeeOther || id == "" {
		t.Fatalf("POST issue = %d %q, want 303 to the card page: %s", r.Status, r.Location, text(r.Body))
	}
	return id
}

// check verifies payload on the public page as a stranger would.
func (ce *cardEnv) check(t *testing.T, payload string) string {
	t.Helper()
	r := ce.client().post(t, "/verify", url.Values{"payload": {payload}})
	if r.Status != http.StatusOK {
		t.Fatalf("POST /verify = %d: %s", r.Status, text(r.Body))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("POST /verify Cache-Control = %q, want no-store", cc)
	}
	return text(r.Body)
}

func TestCardLifecycleOverHTTP(t *testing.T) {
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)

	if app := ce.sup.get(t, "/staff/applications/"+ce.appID+"?purpose=replacement"); !strings.Contains(app.Body, `href="/staff/cards/`+id+`"`) || strings.Contains(app.Body, `id="issue-card"`) {
		t.Errorf("issued application page: links the card %v, offers Issue again %v; want true, false",
			strings.Contains(app.Body, `href="/staff/cards/`+id+`"`), strings.Contains(app.Body, `id="issue-card"`))
	}
	page := ce.sup.get(t, "/staff/cards/"+id+"?done=issue")
	if page.Status != http.StatusOK || !strings.Contains(text(page.Body), "The card was issued") {
		t.Fatalf("card page = %d: %s", page.Status, text(page.Body))
	}
	queue := ce.sup.get(t, "/staff/cards")
	if !strings.Contains(queue.Body, `value="`+id+`"`) {
		t.Errorf("print queue does not list %s", id)
	}
	for _, side := range []string{"front", "back"} {
		r := ce.sup.get(t, "/staff/cards/"+id+"/preview/"+side)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Body, "\x89PNG") || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("preview %s = %d %q %q, want 200 image/png no-store", side, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
	}
	for _, sheet := range []string{"proof", "cards"} {
		r := ce.sup.post(t, "/staff/cards/print", url.Values{"id": {id}, "sheet": {sheet}})
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Body, "%PDF") {
			t.Fatalf("print %s = %d %q %.20q, want 200 application/pdf starting %%PDF", sheet, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if printed := ce.sup.get(t, "/staff/cards?tab=pickup"); !strings.Contains(printed.Body, "/staff/cards/"+id) {
		t.Error("printed list does not show the printed card")
	}
	if page := text(ce.sup.get(t, "/staff/cards/"+id).Body); !strings.Contains(page, "Print again") {
		t.Error("printed card page offers no reprint")
	}
	if r := ce.sup.post(t, "/staff/cards/"+id+"/handover", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("handover = %d: %s", r.Status, text(r.Body))
	}

	payload, err := ce.app.Cards.QRPayload(ctx, ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := ce.check(t, payload); !strings.Contains(got, "GENUINE AND VALID") || !strings.Contains(got, "Zenobia") {
		t.Errorf("/verify of a fresh card = %q, want GENUINE AND VALID with the holder's name", got)
	}

	steps := []struct {
		action, reason string
		wantValid      bool
		wantReason     string
	}{
		{"suspend", "investigation", false, "The card is suspended."},
		{"reinstate", "resolved", true, ""},
		{"revoke", "fraud", false, "The card has been revoked."},
	}
	for _, st := range steps {
		r := ce.sup.post(t, "/staff/cards/"+id+"/"+st.action, url.Values{st.action + "_reason": {st.reason}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s = %d: %s", st.action, r.Status, text(r.Body))
		}
		got := ce.check(t, payload)
		valid := strings.Contains(got, "GENUINE AND VALID")
		if valid != st.wantValid || !strings.Contains(got, st.wantReason) || (!valid && !strings.Contains(got, "NOT VALID")) {
			t.Errorf("after %s, /verify = %q; want valid %v with %q", st.action, got, st.wantValid, st.wantReason)
		}
	}
	// A revoked card cannot be suspended: the refusal is shown on the page, translated.
	r := ce.sup.post(t, "/staff/cards/"+id+"/suspend", url.Values{"suspend_reason": {"other"}})
	if r.Status != http.StatusConflict || !strings.Contains(text(r.Body), "cannot be changed") {
		t.Errorf("suspend a revoked card = %d %q, want 409 with card.error.state", r.Status, text(r.Body))
	}
	// Counts only: today's checks by outcome.
	counts := text(ce.sup.get(t, "/staff/cards").Body)
	if !strings.Contains(counts, "Verifications today") || !strings.Contains(counts, "The card has been revoked.") {
		t.Errorf("cards page counts = %q, want today's verification outcomes", counts)
	}
}

// Clerks work the pick-up lists and hand cards over (docs/cards.md);
// issuing, printing and changing cards stay with supervisors.
func TestCardPagesClerkPickupOnly(t *testing.T) {
	ce := newCardEnv(t)
	list := ce.clerk.get(t, "/staff/cards")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, "tab=pickup") || strings.Contains(list.Body, "tab=issue") || strings.Contains(list.Body, "tab=queue") {
		t.Errorf("clerk GET /staff/cards = %d; want 200 with the pick-up lists only", list.Status)
	}
	if r := ce.clerk.get(t, "/staff/cards/crd_aaaaaaaaaaaaaaaa"); r.Status != http.StatusNotFound {
		t.Errorf("clerk GET unknown card = %d, want 404", r.Status)
	}
	if r := ce.clerk.post(t, "/staff/applications/"+ce.appID+"/issue", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("clerk POST issue = %d, want 403", r.Status)
	}
	if r := ce.clerk.post(t, "/staff/cards/issue", url.Values{"app": {ce.appID}}); r.Status != http.StatusForbidden {
		t.Errorf("clerk POST batch issue = %d, want 403", r.Status)
	}
	if r := ce.client().get(t, "/staff/cards"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("anonymous GET /staff/cards = %d %q, want a redirect to /login", r.Status, r.Location)
	}
}

func TestCardNumberLookup(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	cd, err := ce.app.Cards.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	num := cd.Number.String()
	typo := []byte(cd.Number.Compact())
	typo[3] = '0' + (typo[3]-'0'+1)%10
	tests := []struct {
		name, lang, typed string
		status            int
		want              string
	}{
		{"spaces and dashes", "en", strings.ReplaceAll(num, " ", "-"), http.StatusSeeOther, ""},
		{"typo in Spanish", "es", string(typo), http.StatusUnprocessableEntity, "Este número de tarjeta tiene un error"},
		{"typo in English", "en", string(typo), http.StatusUnprocessableEntity, "This card number has a typo"},
		{"too short", "en", "123", http.StatusUnprocessableEntity, "Enter the 13 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ce.sup.lang = tc.lang
			defer func() { ce.sup.lang = "" }()
			r := ce.sup.get(t, "/staff/cards?number="+url.QueryEscape(tc.typed))
			if r.Status != tc.status {
				t.Fatalf("lookup %q = %d, want %d: %s", tc.typed, r.Status, tc.status, text(r.Body))
			}
			if tc.status == http.StatusSeeOther && r.Location != "/staff/cards/"+id {
				t.Errorf("lookup %q went to %q, want /staff/cards/%s", tc.typed, r.Location, id)
			}
			if !strings.Contains(text(r.Body), tc.want) {
				t.Errorf("lookup %q (%s) page does not say %q: %s", tc.typed, tc.lang, tc.want, text(r.Body))
			}
		})
	}
}

func TestVerifyPhotoUpload(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	back, err := ce.app.Cards.Preview(context.Background(), ce.supActor, id, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	ct, body := multipartForm(t, url.Values{}, back)
	// The verifier's file field is "photo", as multipartForm names it.
	req, _ := http.NewRequest(http.MethodPost, ce.ts.URL+"/verify", body)
	req.Header.Set("Content-Type", ct)
	r := ce.client().do(t, req)
	if got := text(r.Body); r.Status != http.StatusOK || !strings.Contains(got, "GENUINE AND VALID") || !strings.Contains(r.Body, `id="verdict-face" src="data:image/`) {
		t.Errorf("POST /verify with a photo of the back = %d %q, want GENUINE AND VALID with the face", r.Status, got)
	}
	// A photo with no QR code in it says so.
	ct, body = multipartForm(t, url.Values{}, testPNG(t))
	req, _ = http.NewRequest(http.MethodPost, ce.ts.URL+"/verify", body)
	req.Header.Set("Content-Type", ct)
	if got := text(ce.client().do(t, req).Body); !strings.Contains(got, "No QR code was found") {
		t.Errorf("POST /verify with a photo without QR = %q, want the no-QR reason", got)
	}
}

func TestVerifyPageSpanishAndEmpty(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.lang = "es"
	if r := c.get(t, "/verify"); r.Status != http.StatusOK || !strings.Contains(text(r.Body), "Verificar una tarjeta") {
		t.Errorf("GET /verify (es) = %d %q", r.Status, text(r.Body))
	}
	if r := c.post(t, "/verify", url.Values{"payload": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r.Body), "Primero escanee") {
		t.Errorf("POST /verify empty = %d %q, want 422 asking for the code", r.Status, text(r.Body))
	}
	if r := c.post(t, "/verify", url.Values{"payload": {"NCFOXN%TSMAHK"}}); !strings.Contains(text(r.Body), "NO VÁLIDA") {
		t.Errorf("POST /verify garbage = %q, want NO VÁLIDA", text(r.Body))
	}
}

func TestPublicKeyAndStatusEndpoints(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	cd, err := ce.app.Cards.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/.well-known/jwks.json", "/.well-known/cose-keys", "/status/" + cd.StatusListID} {
		r := ce.client().get(t, path)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") || len(r.Body) == 0 {
			t.Errorf("GET %s = %d, Cache-Control %q, %d bytes; want 200, cacheable, a body", path, r.Status, r.Header.Get("Cache-Control"), len(r.Body))
		}
	}
}

// apiVerify posts body to /api/v1/verify with token ("" for none).
func (e *env) apiVerify(t testing.TB, token string, body []byte) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.client().do(t, req)
}

func TestAPIVerify(t *testing.T) {
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)
	payload, err := ce.app.Cards.QRPayload(ctx, ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ce.app.Cards.Preview(ctx, ce.supActor, id, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	// Any staff member's API token may verify; a clerk's here.
	tok := ce.token(t, "clerk1")
	byPayload, _ := json.Marshal(map[string]string{"payload": payload})
	byImage, _ := json.Marshal(map[string]string{"image": base64.StdEncoding.EncodeToString(back)})
	for name, body := range map[string][]byte{"payload": byPayload, "image": byImage} {
		r := ce.apiVerify(t, tok, body)
		var res verify.Result
		if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != http.StatusOK {
			t.Fatalf("API verify by %s = %d %s (%v)", name, r.Status, r.Body, err)
		}
		if !res.Valid || res.Status != verify.StatusValid || res.KeyID == "" || res.ExpiresAt == nil || res.Claims["fullName"] != "Zenobia Quetzalcóatl Ibarra" {
			t.Errorf("API verify by %s = %+v, want valid with claims, key id and expiry", name, res)
		}
	}
	if r := ce.apiVerify(t, "", byPayload); r.Status != http.StatusUnauthorized {
		t.Errorf("API verify without a token = %d, want 401", r.Status)
	}
	bad := []struct{ name, body string }{
		{"empty object", `{}`},
		{"both", `{"payload":"x","image":"eA=="}`},
		{"unknown field", `{"card":"x"}`},
		{"not base64", `{"image":"***"}`},
	}
	for _, b := range bad {
		if r := ce.apiVerify(t, tok, []byte(b.body)); r.Status != http.StatusBadRequest {
			t.Errorf("API verify %s = %d %s, want 400", b.name, r.Status, r.Body)
		}
	}
	// Flood: the per-token bucket runs dry and says when to come back;
	// another token is unaffected.
	var limited resp
	for range 200 {
		if limited = ce.apiVerify(t, tok, byPayload); limited.Status == http.StatusTooManyRequests {
			break
		}
	}
	if limited.Status != http.StatusTooManyRequests || limited.Header.Get("Retry-After") == "" {
		t.Errorf("API verify flood = %d (Retry-After %q), want 429 with Retry-After", limited.Status, limited.Header.Get("Retry-After"))
	}
	if r := ce.apiVerify(t, ce.token(t, "sup1"), byPayload); r.Status != http.StatusOK {
		t.Errorf("API verify with another token during the flood = %d, want 200", r.Status)
	}
}

func TestCardPagesTranslated(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	payload, err := ce.app.Cards.QRPayload(context.Background(), ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`\b(cards_web|card|verify|web|fee|error|desk)\.[a-z_]+(\.[a-z_]+)*\b`)
	paths := []string{"/staff/cards", "/staff/cards?tab=issue", "/staff/cards?tab=pickup", "/staff/cards?tab=overdue", "/staff/cards?tab=status&status=active", "/staff/cards/" + id, "/verify"}
	for _, lang := range []string{"en", "es"} {
		ce.sup.lang = lang
		pages := map[string]resp{}
		for _, p := range paths {
			pages["GET "+p] = ce.sup.get(t, p)
		}
		pages["POST /verify"] = ce.sup.post(t, "/verify", url.Values{"payload": {payload}})
		for name, r := range pages {
			if r.Status != http.StatusOK {
				t.Errorf("%s (%s) = %d", name, lang, r.Status)
				continue
			}
			seen := map[string]bool{}
			for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(r.Body, -1) {
				if seen[m[1]] {
					t.Errorf("%s: duplicate id %q", name, m[1])
				}
				seen[m[1]] = true
			}
			if m := key.FindString(text(r.Body)); m != "" {
				t.Errorf("%s (%s) shows the key %q", name, lang, m)
			}
		}
	}
}

func TestCardRenewReplaceOverHTTP(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	// A new card is far from its renewal window: the refusal names it.
	r := ce.sup.post(t, "/staff/cards/"+id+"/renew", url.Values{"renew_payment_method": {"cash"}})
	if r.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`This card can be renewed from [A-Z][a-z]+ \d{1,2}, 20\d\d until [A-Z][a-z]+ \d{1,2}, 20\d\d\.`).MatchString(text(r.Body)) {
		t.Errorf("renew a new card = %d %q, want 422 with the renewal window", r.Status, text(r.Body))
	}
	// A replacement needs a reason and a payment; errors sit on the replace form's fields.
	r = ce.sup.post(t, "/staff/cards/"+id+"/replace", url.Values{"replace_reason": {"lost"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#f-replace-payment-method"`) {
		t.Errorf("replace without payment = %d, want 422 pointing at the replace form's payment method: %s", r.Status, text(r.Body))
	}
	r = ce.sup.post(t, "/staff/cards/"+id+"/replace", url.Values{"replace_reason": {"lost"}, "replace_payment_method": {"cash"}})
	newID := regexpFind(r.Location, `^/staff/cards/(crd_[a-z2-7]+)\?done=replace$`)
	if r.Status != http.StatusSeeOther || newID == "" || newID == id {
		t.Fatalf("replace = %d %q, want 303 to a new card: %s", r.Status, r.Location, text(r.Body))
	}
	old, err := ce.app.Cards.Get(context.Background(), id)
	if err != nil || old.Status != card.StatusReplaced || old.ReplacedBy != newID {
		t.Errorf("old card after replace = %s replaced by %q (%v), want replaced by %s", old.Status, old.ReplacedBy, err, newID)
	}
	// Staff read cards by their printed numbers and applications by their
	// references, never by internal ids (the page showed app_… and crd_…).
	oldNo, newCard := old.Number.String(), mustCard(t, ce, newID)
	ref, err := ce.app.Enroll.ReferenceOf(context.Background(), ce.appID)
	if err != nil {
		t.Fatal(err)
	}
	body := ce.sup.get(t, "/staff/cards/"+newID).Body
	if page := text(body); !strings.Contains(page, "Replacement") || !strings.Contains(page, oldNo) || !strings.Contains(body, `href="/staff/cards/`+id+`"`) ||
		!strings.Contains(page, ref) || strings.Contains(page, id) || strings.Contains(page, ce.appID) {
		t.Errorf("new card page = %q, want a replacement naming the old card %s (linking %s) and the application %s, no internal ids", page, oldNo, id, ref)
	}
	if page := text(ce.sup.get(t, "/staff/cards/"+id).Body); !strings.Contains(page, newCard.Number.String()) || strings.Contains(page, newID) {
		t.Errorf("old card page = %q, want it replaced by card %s, not %s", page, newCard.Number, newID)
	}
}

func mustCard(t *testing.T, ce *cardEnv, id string) card.Card {
	t.Helper()
	cd, err := ce.app.Cards.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

func TestVerifyPageRateLimited(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	var r resp
	for range verifyPageBurst + 1 {
		r = c.post(t, "/verify", url.Values{"payload": {"NCFOXN%TSMAHK"}})
	}
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(text(r.Body), "Too many checks") {
		t.Errorf("POST /verify past the burst = %d (Retry-After %q) %q, want 429 with Retry-After and a translated message", r.Status, r.Header.Get("Retry-After"), text(r.Body))
	}
	// The form itself is still served.
	if g := c.get(t, "/verify"); g.Status != http.StatusOK {
		t.Errorf("GET /verify while limited = %d, want 200", g.Status)
	}
}

func TestVerificationCountsPage(t *testing.T) {
	ce := newCardEnv(t)
	ce.addStaff(t, "aud1", auth.RoleAuditor, "")
	ce.addStaff(t, "boss1", auth.RoleAdmin, "")
	id := ce.issue(t)
	payload, err := ce.app.Cards.QRPayload(context.Background(), ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ce.check(t, payload)
	}
	ce.check(t, "NCFOXN%TSMAHK")
	for _, user := range []string{"aud1", "boss1", "sup1"} {
		r := ce.signIn(t, user, testPassword).get(t, "/staff/verifications")
		got := text(r.Body)
		if r.Status != http.StatusOK || !regexp.MustCompile(`Monday, March 2\s+Valid\s+3\b`).MatchString(got) || !strings.Contains(got, "This is not a valid city ID card code.") {
			t.Errorf("%s GET /staff/verifications = %d %q, want today's 3 valid checks and the malformed one", user, r.Status, got)
		}
		if strings.Contains(r.Body, payload[:20]) || strings.Contains(got, "Zenobia") {
			t.Errorf("%s: the counts page shows a payload or a name", user)
		}
	}
	if r := ce.clerk.get(t, "/staff/verifications"); r.Status != http.StatusForbidden {
		t.Errorf("clerk GET /staff/verifications = %d, want 403", r.Status)
	}
}

// TestVerifyPageDatesAsPrinted: the verdict shows the date of birth and the
// expiry the way the card prints them (day, month abbreviation, year) in
// the page's language, never a numeric date that reads two ways.
func TestVerifyPageDatesAsPrinted(t *testing.T) {
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)
	c, err := ce.app.Cards.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := ce.app.Cards.QRPayload(ctx, ce.supActor, id)
	if err != nil {
		t.Fatal(err)
	}
	en := [...]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	es := [...]string{"ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC"}
	exp := c.ExpiresOn
	for _, tc := range []struct {
		lang   string
		months [12]string
		dob    string
	}{{"en", en, "17 APR 1988"}, {"es", es, "17 ABR 1988"}} {
		cl := ce.client()
		cl.lang = tc.lang
		r := cl.post(t, "/verify", url.Values{"payload": {payload}})
		got := text(r.Body)
		wantExp := fmt.Sprintf("%02d %s %04d", exp.Day, tc.months[exp.Month-1], exp.Year)
		if !strings.Contains(got, tc.dob) || !strings.Contains(got, wantExp) || strings.Contains(got, "1988-04-17") {
			t.Errorf("%s: /verify = %q, want date of birth %q and expiry %q as printed on the card", tc.lang, got, tc.dob, wantExp)
		}
	}
}
