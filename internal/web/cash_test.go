package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// cashDay submits, as the env's clerks, the applications of the
// reconciliation tests: on 2026-03-02 one adult paying cash at City Hall;
// on 2026-03-03 (New York time) at City Hall an adult and a child paying
// cash, an adult by card and a hardship waiver, and at 22:00 New York time
// (03:00 UTC the next day) a money order at the partner site. It returns
// signed-in clients of the supervisor and the two clerks.
func cashDay(t *testing.T, e *env) (sup, clerk1, clerk2 *client) {
	t.Helper()
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "clerk2", auth.RoleClerk, e.siteB.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	submit := func(c *client, key, dob, method, waiver string) {
		t.Helper()
		form := validForm(key)
		form.Set("date_of_birth", dob)
		form.Set("payment_method", method)
		if waiver != "" {
			form.Set("waiver_reason", waiver)
		}
		form.Set("action", "submit")
		if r := c.postMultipart(t, "/staff/intake", form, testPNG(t)); r.Status != http.StatusSeeOther {
			t.Fatalf("submit %s = %d: %s", key, r.Status, text(r.Body))
		}
	}
	submit(e.signIn(t, "clerk1", testPassword), "day1-cash", "1980-01-01", "cash", "")
	e.clk.Add(24 * time.Hour) // 2026-03-03 10:00 in New York
	clerk1 = e.signIn(t, "clerk1", testPassword)
	submit(clerk1, "adult-cash", "1981-05-06", "cash", "")
	submit(clerk1, "child-cash", "2016-05-06", "cash", "")
	submit(clerk1, "adult-card", "1975-05-06", "card", "")
	submit(clerk1, "waived", "1990-05-06", "waiver", "hardship")
	e.clk.Add(12 * time.Hour) // 22:00 in New York, 03:00 UTC on the 4th
	clerk2 = e.signIn(t, "clerk2", testPassword)
	submit(clerk2, "late-money-order", "1970-05-06", "money_order", "")
	return e.signIn(t, "sup1", testPassword), clerk1, clerk2
}

// The daily cash reconciliation over HTTP: per clerk and per site, paid
// applications by method and fee class, the amount expected and waivers
// by reason, for a day in the program's time zone; a clerk sees only her
// own; no resident's data; every view audited.
func TestCashReconciliation(t *testing.T) {
	e := newEnv(t)
	sup, clerk1, _ := cashDay(t, e)

	r := sup.get(t, "/staff/cash?day=2026-03-03")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /staff/cash = %d: %s", r.Status, text(r.Body))
	}
	body := text(r.Body)
	total := regexpFind(r.Body, `id="cash-expected">([^<]*)<`)
	if total != "$35.00" {
		t.Errorf("amount expected on 2026-03-03 = %q, want $35.00 (10 + 5 + 10 at City Hall, 10 at 22:00 New York time)", total)
	}
	if got := regexpFind(r.Body, `id="cash-paid">([^<]*)<`) + "/" + regexpFind(r.Body, `id="cash-waived">([^<]*)<`); got != "4/1" {
		t.Errorf("paid/waived = %s, want 4/1", got)
	}
	for _, want := range []string{
		"Tuesday, March 3, 2026",
		"City Hall", "Junta for Progressive Action", "clerk1", "clerk2",
		"Cash · Adult 1 $10.00", "Cash · Child 1 $5.00", "Debit or credit card · Adult 1 $10.00", "Money order · Adult 1 $10.00",
		"Waived: Financial hardship 1",
	} {
		if !strings.Contains(squash(body), want) {
			t.Errorf("reconciliation does not show %q:\n%s", want, squash(body))
		}
	}
	clerkTable := squash(text(regexpFind(r.Body, `(?s)(<caption>clerk1</caption>.*?</table>)`)))
	if !strings.Contains(clerkTable, "Amount expected 3 $25.00") {
		t.Errorf("clerk1's table = %q, want 3 paid, $25.00", clerkTable)
	}
	for _, pii := range []string{"Zenobia", "Quetzalcóatl", "Ibarra", "1981-05-06", "Grand Ave"} {
		if strings.Contains(r.Body, pii) {
			t.Errorf("the reconciliation shows personal data %q", pii)
		}
	}
	if n := auditActions(t, e, "cash.reconciliation.view"); n != 1 {
		t.Errorf("cash.reconciliation.view events = %d, want 1", n)
	}

	// The day before holds only the first cash fee; the site filter narrows.
	if got := regexpFind(sup.get(t, "/staff/cash?day=2026-03-02").Body, `id="cash-expected">([^<]*)<`); got != "$10.00" {
		t.Errorf("2026-03-02 expected = %q, want $10.00", got)
	}
	if r := sup.get(t, "/staff/cash?day=2026-03-03&site="+e.siteB.ID); regexpFind(r.Body, `id="cash-expected">([^<]*)<`) != "$10.00" {
		t.Errorf("partner site on 2026-03-03 = %d %q, want $10.00: %.400s", r.Status, regexpFind(r.Body, `id="cash-expected">([^<]*)<`), text(r.Body))
	}

	if r := sup.get(t, "/staff/cash?day=2026-03-03&site=no/such"); r.Status != http.StatusBadRequest || !strings.Contains(text(r.Body), "Choose a site from the list.") {
		t.Errorf("unknown site = %d, want 400 'Choose a site'", r.Status)
	}

	// A clerk sees her own day only, even when she asks for a site.
	own := clerk1.get(t, "/staff/cash?day=2026-03-03&site="+e.siteB.ID)
	if got := regexpFind(own.Body, `id="cash-expected">([^<]*)<`); own.Status != http.StatusOK || got != "$25.00" || strings.Contains(own.Body, "clerk2") {
		t.Errorf("clerk1's own reconciliation = %d, %q (clerk2 named: %v); want 200, $25.00, no one else", own.Status, got, strings.Contains(own.Body, "clerk2"))
	}

	// Spanish, and a bad day is a translated 400.
	sup.lang = "es"
	es := text(sup.get(t, "/staff/cash?day=2026-03-03").Body)
	for _, want := range []string{"Cuadre de caja", "martes", "Monto esperado", "Exonerada"} {
		if !strings.Contains(es, want) {
			t.Errorf("Spanish reconciliation lacks %q", want)
		}
	}
	if r := sup.get(t, "/staff/cash?day=03/03/2026"); r.Status != http.StatusBadRequest || !strings.Contains(text(r.Body), "AAAA-MM-DD") {
		t.Errorf("bad day = %d, want 400 with the translated format", r.Status)
	}
}

// squash collapses runs of white space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// The reconciliation in Chromium: the server-drawn SVG chart renders with
// a bar for each day that took money, the page has no sideways scroll at
// 390 px, and printed it is one page. CITYID_SCREENSHOTS=1 saves the
// README's screenshots.
func TestBrowserCashReconciliation(t *testing.T) {
	bctx, run := headless(t, 1280, 900, 90*time.Second)
	e := newEnv(t)
	sup, clerk1, _ := cashDay(t, e)
	shots := os.Getenv("CITYID_SCREENSHOTS") == "1"
	browserAs(t, bctx, e, sup)
	run("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.ts.URL+"/staff/cash?day=2026-03-03"),
		chromedp.WaitVisible(chromedp.CSS("#cash-chart-figure svg")))
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("#cash-chart-figure svg rect")).map(r => r.getBoundingClientRect().width)`))
	if err != nil || len(bars) != 2 || bars[0] <= 0 || bars[1] <= bars[0] {
		t.Errorf("chart bars (rendered widths) = %v, %v; want two, the 3rd's longer than the 2nd's", bars, err)
	}
	peek(t, bctx, "cash-1280.png")
	w, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector("#cash-chart-figure svg").getBoundingClientRect().width`))
	if err != nil || w < 300 {
		t.Errorf("the chart renders %v px wide (%v); want it drawn", w, err)
	}
	if shots {
		screenshot(t, bctx, "cash-reconciliation.png", "")
	}
	var pdf []byte
	_, err = chromedp.Run(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{})
		pdf = res.Data
		return err
	}))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)); pages != 1 || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("printed reconciliation = %d pages, want 1", pages)
	}

	browserAs(t, bctx, e, clerk1)
	run("390 es", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/cash%3Fday%3D2026-03-03"),
		chromedp.WaitVisible(chromedp.CSS("#cash-expected")))
	if sw, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || sw > 390 {
		t.Errorf("reconciliation at 390 px is %d px wide (%v)", sw, err)
	}
	peek(t, bctx, "cash-390-es.png")
	got, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#cash-expected")))
	if got != "$25.00" {
		t.Errorf("clerk's expected amount in Chromium = %q, want $25.00", got)
	}
	if shots {
		screenshot(t, bctx, "cash-reconciliation-390-es.png", "")
	}
}

// A replacement card's fee taken at the card desk is in the cash
// reconciliation under the staff member who took it and her site, in the
// drawer total and in the chart; the first issue (paid at intake) and
// cards from before the taker was recorded add nothing.
func TestCashReconciliationReplacementCards(t *testing.T) {
	ce := newCardEnv(t)
	// Replacing a card is a supervisor's task; maria works at the partner site.
	ce.addStaff(t, "maria", auth.RoleSupervisor, ce.siteB.ID)
	maria := ce.signIn(t, "maria", testPassword)
	id := ce.issue(t)
	expected := func(c *client, query string) string {
		t.Helper()
		return regexpFind(c.get(t, "/staff/cash?day=2026-03-02"+query).Body, `id="cash-expected">([^<]*)<`)
	}
	if got := expected(ce.sup, ""); got != "$10.00" {
		t.Fatalf("before the replacement expected = %q, want $10.00 (the intake fee only; the first card adds nothing)", got)
	}
	r := maria.post(t, "/staff/cards/"+id+"/replace", url.Values{"replace_reason": {"lost"}, "replace_payment_method": {"cash"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("replace = %d: %s", r.Status, text(r.Body))
	}

	page := ce.sup.get(t, "/staff/cash?day=2026-03-02")
	if got := regexpFind(page.Body, `id="cash-expected">([^<]*)<`); got != "$20.00" {
		t.Errorf("after the replacement expected = %q, want $20.00 (intake $10.00 + replacement $10.00)", got)
	}
	if got := regexpFind(page.Body, `id="cash-paid">([^<]*)<`); got != "2" {
		t.Errorf("fees paid = %q, want 2", got)
	}
	mariaTable := squash(text(regexpFind(page.Body, `(?s)(<caption>maria</caption>.*?</table>)`)))
	if !strings.Contains(mariaTable, "Replacement cards · Cash 1 $10.00") || !strings.Contains(mariaTable, "Amount expected 1 $10.00") {
		t.Errorf("maria's table = %q, want one cash replacement card, $10.00", mariaTable)
	}
	siteTable := squash(text(regexpFind(page.Body, `(?s)(<caption>Junta for Progressive Action</caption>.*?</table>)`)))
	if !strings.Contains(siteTable, "Replacement cards · Cash 1 $10.00") {
		t.Errorf("partner site's table = %q, want the replacement card", siteTable)
	}
	if clerkTable := squash(text(regexpFind(page.Body, `(?s)(<caption>clerk1</caption>.*?</table>)`))); strings.Contains(clerkTable, "Replacement") {
		t.Errorf("clerk1's table = %q, the replacement is not hers", clerkTable)
	}
	if !strings.Contains(regexpFind(page.Body, `(?s)(<svg.*?</svg>)`), "$20.00") {
		t.Errorf("the chart's bar for the day does not say $20.00")
	}
	if got := expected(ce.sup, "&site="+ce.siteB.ID); got != "$10.00" {
		t.Errorf("partner site expected = %q, want $10.00", got)
	}
	if got := expected(maria, "&site="+ce.siteA.ID); got != "$10.00" {
		t.Errorf("City Hall site expected = %q, want $10.00 (the intake fee only)", got)
	}

	ce.sup.lang = "es"
	es := squash(text(ce.sup.get(t, "/staff/cash?day=2026-03-02").Body))
	for _, want := range []string{"Tarjetas de reposición · Efectivo 1 $10.00", "Tarifas pagadas"} {
		if !strings.Contains(es, want) {
			t.Errorf("Spanish reconciliation lacks %q:\n%s", want, es)
		}
	}
}
