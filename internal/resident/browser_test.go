package resident

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/cityid/cityid/internal/enroll"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/verify"
)

// The phone the resident tests run on: 390×844 CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// chromium starts a headless Chromium with a fresh profile and a phone
// viewport, or skips saying why.
func chromium(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := ""
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			exe = p
		}
	}
	if exe == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			exe = p
		}
	}
	if exe == "" {
		t.Skip("chromium not found at /usr/bin/chromium (apt-get install -y chromium); skipping the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(phoneWidth, phoneHeight),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(phoneWidth, phoneHeight)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 120*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// axeSource reads axe-core from testdata (npm ci in testdata/axe), or "".
func axeSource(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		return ""
	}
	return string(b)
}

type browser struct {
	t   *testing.T
	ctx context.Context
	axe string
}

func (b *browser) fail(step string, err error) {
	b.t.Helper()
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	b.t.Fatalf("%s: %v (at %s)\n%s", step, err, loc, body)
}

func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		_, err := chromedp.Run(sctx, a)
		cancel()
		if err != nil {
			b.fail(fmt.Sprintf("%s (action %d)", step, i), err)
		}
	}
}

func (b *browser) text(step, css string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.fail(step, err)
	}
	return strings.TrimSpace(v)
}

// check runs axe-core on the page (serious and critical violations fail
// the test) and checks the page fits the phone's screen without sideways
// scrolling.
func (b *browser) check(step string) {
	b.t.Helper()
	width, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		b.fail(step+": width", err)
	}
	if width > phoneWidth {
		b.t.Errorf("%s: page is %d px wide on a %d px screen", step, width, phoneWidth)
	}
	// A tick box's or a time's label is what a thumb presses: 44 px tall
	// at least, as the docs promise (axe's target-size asks only 24 px).
	// So is the header's link home and the skip link (measured as if focused).
	small, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".check label, header a, a.skip"))
		.filter(l => { const r = l.getBoundingClientRect(); return r.height > 0 && r.height < 43.5; })
		.map(l => (l.htmlFor || l.className || l.textContent.trim()) + " " + Math.round(l.getBoundingClientRect().height) + " px")`))
	if err != nil {
		b.fail(step+": target sizes", err)
	}
	if len(small) > 0 {
		b.t.Errorf("%s: tap targets under 44 px tall: %q", step, small)
	}
	if b.axe == "" {
		return
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](b.axe+";true")); err != nil {
		b.fail(step+": inject axe", err)
	}
	js := `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}))))`
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step+": axe", err)
	}
	var v []map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		b.fail(step+": axe result", err)
	}
	for _, x := range v {
		b.t.Errorf("%s: accessibility: %v", step, x)
	}
}

// shot saves a full-page PNG screenshot (quality 100 means PNG) as docs/img/<name> when
// CITYID_SCREENSHOTS=1 (how the README's pictures are made).
func (b *browser) shot(name string) {
	b.t.Helper()
	if os.Getenv("CITYID_SCREENSHOTS") != "1" {
		return
	}
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot "+name, err)
	}
	dir := filepath.Join("..", "..", "docs", "img")
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("saved docs/img/%s (%d KB)", name, len(buf)/1024)
}

// focused is the id of the element that has the keyboard focus and
// whether its top edge is on screen.
func (b *browser) focused(step string) (id string, onScreen bool) {
	b.t.Helper()
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]any](`(() => { const e = document.activeElement;
		const r = e.getBoundingClientRect(); return [e.id, r.top >= 0 && r.top < window.innerHeight]; })()`))
	if err != nil || len(out) != 2 {
		b.fail(step+": focus", err)
	}
	id, _ = out[0].(string)
	onScreen, _ = out[1].(bool)
	return id, onScreen
}

// readQR checks the page's QR image decoded in the browser, then reads it
// back from a screenshot of the image as a phone camera would, with the
// project's own decoder.
func (b *browser) readQR(step, css string) string {
	b.t.Helper()
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelector(`+"`"+css+"`"+`).naturalWidth`))
	if err != nil {
		b.fail(step, err)
	}
	if w == 0 {
		src, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+"`"+css+"`"+`).getAttribute("src")`))
		b.t.Fatalf("%s: the QR image did not decode in the browser (src %.40q)", step, src)
	}
	png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(css)))
	if err != nil {
		b.fail(step+": screenshot", err)
	}
	text, err := verify.DecodeQRImage(bytes.NewReader(png), 0)
	if err != nil {
		b.t.Fatalf("%s: read the QR from the screenshot: %v", step, err)
	}
	return text
}

// TestBrowserResidentJourney drives the whole resident path in Spanish on
// a phone-sized screen, with the proof-of-work solved by site.js: checklist
// → pre-apply (first with mistakes) → book → status, checking every page
// with axe-core.
func TestBrowserResidentJourney(t *testing.T) {
	ctx := chromium(t)
	b := &browser{t: t, ctx: ctx, axe: axeSource(t)}
	if b.axe == "" {
		t.Log("axe-core not installed (cd internal/resident/testdata/axe && npm ci): accessibility checks skipped")
	}
	e := newEnv(t, false, Options{})
	base := e.ts.URL

	b.run("home", chromedp.Navigate(base+"/es/"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h := b.text("home title", "h1"); h != "La tarjeta de identificación de la ciudad" {
		t.Errorf("home h1 = %q", h)
	}
	b.check("home")
	b.shot("resident-es.png")

	b.run("checklist",
		chromedp.Navigate(base+"/es/checklist"),
		chromedp.Click(chromedp.CSS("#f-doc-id-passport")),
		chromedp.Click(chromedp.CSS("#f-doc-res-utility_bill")),
		chromedp.Click(chromedp.CSS(`button[name=check]`)),
		chromedp.WaitVisible(chromedp.CSS(".result.ok")),
	)
	if got := b.text("checklist result", "#result-title"); got != "Sí, estos documentos son suficientes." {
		t.Errorf("checklist result = %q", got)
	}
	// The answer is below the form: focus moves to it, so a screen reader
	// reads it and a sighted reader sees it without scrolling.
	if id, on := b.focused("checklist result"); id != "result" || !on {
		t.Errorf("after checking, focus is on #%s (on screen: %v), want #result on screen", id, on)
	}
	if live := b.text("checklist live", `#result[aria-live="polite"] h2`); live == "" {
		t.Errorf("the checklist result is not a polite live region")
	}
	b.check("checklist result")

	b.run("to apply", chromedp.Click(chromedp.CSS(".result a.button")), chromedp.WaitVisible(chromedp.CSS("#f-given_names")))
	b.check("apply form")
	b.run("apply with mistakes",
		chromedp.SendKeys(chromedp.CSS("#f-given_names"), "María José"),
		chromedp.SendKeys(chromedp.CSS("#f-dob"), "31"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-m"), "2"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-y"), "1990"),
		chromedp.Click(chromedp.CSS(`form.pow button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#errors")),
	)
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-given_names"))); v != "María José" {
		t.Errorf("after errors the given name is %q, want what was typed", v)
	}
	if errs := b.text("error summary", "#errors"); !strings.Contains(errs, "Escriba una fecha real") || !strings.Contains(errs, "Primer apellido") {
		t.Errorf("error summary = %q", errs)
	}
	b.check("apply errors")
	b.run("apply",
		chromedp.SetValue(chromedp.CSS("#f-dob"), "14"),
		chromedp.SendKeys(chromedp.CSS("#f-first_surname"), "Hernández"),
		chromedp.SendKeys(chromedp.CSS("#f-address_line1"), "45 Grand Ave"),
		chromedp.SendKeys(chromedp.CSS("#f-address_city"), "New Haven"),
		chromedp.SendKeys(chromedp.CSS("#f-address_postal_code"), "06513"),
		chromedp.Click(chromedp.CSS("#f-doc-id-passport")),
		chromedp.Click(chromedp.CSS("#f-doc-res-lease")),
		chromedp.Click(chromedp.CSS(`form.pow button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	code := codeRE.FindString(b.text("code", "#code"))
	if code == "" {
		t.Fatalf("no code on the done page")
	}
	if got, err := enroll.ParseQR(b.readQR("applied QR", "img.qr")); err != nil || got != code {
		t.Errorf("the QR on the done page reads %q (%v), want %s", got, err, code)
	}
	b.check("applied")
	b.shot("resident-applied-es.png")

	b.run("find slots", chromedp.Click(chromedp.CSS(`form[action="/es/book"] button`)), chromedp.WaitVisible(chromedp.CSS("#f-slot-0")))
	b.check("slots")
	// A day picker, then that day's times with the places left.
	b.run("pick a day", chromedp.Click(chromedp.CSS(`.daylist li:nth-child(3) button`)), chromedp.WaitVisible(chromedp.CSS(`.daylist li:nth-child(3) button[aria-pressed="true"]`)))
	if legend := b.text("times legend", ".slots legend"); legend != "Horarios libres del miércoles 4 de marzo" {
		t.Errorf("times after picking the third day: %q", legend)
	}
	if left := b.text("places left", `label[for="f-slot-0"]`); left != "09:00 (quedan 2 lugares)" {
		t.Errorf("first time = %q", left)
	}
	b.check("day picked")
	b.shot("resident-book-es.png")
	b.run("book", chromedp.Click(chromedp.CSS(`form.pow button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#appt-title")))
	if got := b.text("booked", ".result.ok h2"); got != "Su cita quedó reservada." {
		t.Errorf("booking result = %q", got)
	}
	when := b.text("when", ".when")
	if main := b.text("booked page", "main"); strings.Contains(main, "no hay horarios libres") {
		t.Errorf("the confirmation says there are no free times:\n%s", main)
	}
	b.check("booked")
	b.shot("resident-booked-es.png")
	// Printed, the confirmation keeps the visit and drops menus and forms.
	b.run("print media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	vis, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`[".appt .when", ".foot", "#move", ".top nav", "#print"].map(s => {
		const e = document.querySelector(s); return !!e && e.getClientRects().length > 0 })`))
	if err != nil || len(vis) != 5 || !vis[0] || vis[1] || vis[2] || vis[3] || vis[4] {
		t.Errorf("printed (visit, footer, move, menu, print button) visible = %v, %v; want only the visit", vis, err)
	}
	b.run("screen media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}))
	if p := b.text("print button", "#print"); p != "Imprimir esta confirmación" {
		t.Errorf("print button = %q", p)
	}
	b.run("change the time", chromedp.Click(chromedp.CSS("#move")), chromedp.WaitVisible(chromedp.CSS("#f-slot-0")))
	if h := b.text("move heading", "#times-title"); h != "Cambiar a otro horario" {
		t.Errorf("change-the-time heading = %q", h)
	}

	b.run("status",
		chromedp.Navigate(base+"/es/status"),
		chromedp.SendKeys(chromedp.CSS("#f-code"), strings.ToLower(code)),
		chromedp.SendKeys(chromedp.CSS("#f-dob"), "14"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-m"), "2"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-y"), "1990"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#st-title")),
	)
	if got := b.text("status", "#st-title"); got != "Recibimos su solicitud en línea." {
		t.Errorf("status = %q", got)
	}
	b.check("status")
	b.shot("resident-status-es.png")
	t.Logf("booked %s for code %s", when, code)

	for _, path := range []string{"/es/lost", "/es/sites/" + e.siteID + "/kiosk", "/es/sites/" + e.siteID + "/lobby", "/en/"} {
		b.run("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("h1")))
		b.check(path)
	}
}

// TestBrowserLostCard reports a lost card in Spanish on the phone with the
// card's number: the confirmation takes the focus and names the card by its
// last digits, nothing is blocked before "Sí", and the answer lists where
// to get a replacement and what it costs.
func TestBrowserLostCard(t *testing.T) {
	ctx := chromium(t)
	b := &browser{t: t, ctx: ctx, axe: axeSource(t)}
	e := newEnv(t, false, Options{})
	_, c := e.printedCard(t, "")
	b.run("lost form",
		chromedp.Navigate(e.ts.URL+"/es/lost"),
		chromedp.SendKeys(chromedp.CSS("#f-code"), c.Number.String()),
		chromedp.SendKeys(chromedp.CSS("#f-dob"), "25"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-m"), "12"),
		chromedp.SendKeys(chromedp.CSS("#f-dob-y"), "1990"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
	)
	if id, on := b.focused("confirm"); id != "confirm" || !on {
		t.Errorf("the confirmation does not take the focus: #%s (on screen %v)", id, on)
	}
	if got := b.text("card", "#confirm li"); got != "Tarjeta que termina en ••••\u00a0"+c.Number.Compact()[9:] {
		t.Errorf("confirmation names %q", got)
	}
	if got, _ := e.app.Cards.Get(context.Background(), c.ID); got.Status != card.StatusActive {
		t.Fatalf("the card is %s before the holder confirmed", got.Status)
	}
	b.check("lost confirm")
	b.shot("resident-lost-es.png")
	b.run("confirm", chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitVisible(chromedp.CSS("#lost-result")))
	if got := b.text("result", "#lost-result h2"); got != "Su tarjeta está bloqueada." {
		t.Errorf("after confirming: %q", got)
	}
	if main := b.text("offices", "main"); !strings.Contains(main, "Una tarjeta de reemplazo cuesta $10.00.") || !strings.Contains(main, "Lunes a viernes: 09:00–17:00") {
		t.Errorf("the answer lacks the replacement fee or the office hours:\n%s", main)
	}
	b.check("lost done")
	if got, _ := e.app.Cards.Get(context.Background(), c.ID); got.Status != card.StatusSuspended {
		t.Errorf("after confirming the card is %s", got.Status)
	}
}
