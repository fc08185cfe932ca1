package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// A clerk at 390 px in Spanish records a utility bill: choosing it enables
// the "Fecha del documento" field and disables "Vence"; a bill too old is
// refused with an error naming that field, the photo kept; a recent date
// submits. CITYID_SHOTS_DIR saves the pages for a look.
func TestBrowserIntakeUtilityBillSpanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	browserAs(t, bctx, e, e.signIn(t, "clerk1", testPassword))
	photoPath := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(photoPath, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	fire := fireChange
	shot := func(name, sel string) {
		dir := os.Getenv("CITYID_SHOTS_DIR")
		if dir == "" {
			return
		}
		buf, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS(sel)))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), buf, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
	run("fill", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/intake"),
		chromedp.WaitVisible(chromedp.CSS("#f-given-names")),
		chromedp.SendKeys(chromedp.CSS("#f-given-names"), "Nguyễn Thị"),
		chromedp.SendKeys(chromedp.CSS("#f-first-surname"), "Lan"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth"), "11"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth-m"), "2"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth-y"), "1979"),
		chromedp.SendKeys(chromedp.CSS("#f-address-line1"), "12 Chapel St"),
		chromedp.SendKeys(chromedp.CSS("#f-address-city"), "New Haven"),
		chromedp.SendKeys(chromedp.CSS("#f-address-state"), "CT"),
		chromedp.SendKeys(chromedp.CSS("#f-address-postal-code"), "06511"),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-0"), "passport"),
		chromedp.SetValue(chromedp.CSS("#f-doc-expires-0"), "2030-01-01"),
		fire("f-doc-type-0"),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-1"), "utility_bill"),
		fire("f-doc-type-1"),
	)
	state, err := chromedp.Run(bctx, chromedp.Evaluate[[]bool](`[document.getElementById("f-doc-expires-1").disabled, document.getElementById("f-doc-dated-1").disabled, document.getElementById("f-doc-dated-0").disabled]`))
	if err != nil || len(state) != 3 || !state[0] || state[1] || !state[2] {
		t.Errorf("utility bill row: expires disabled, dated disabled, passport's dated disabled = %v (%v); want true, false, true", state, err)
	}
	rule, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#dated-rules")))
	if !strings.Contains(rule, "con fecha de los últimos 90 días") {
		t.Errorf("the form does not state the rule in Spanish: %q", rule)
	}
	run("too old", chromedp.SetValue(chromedp.CSS("#f-doc-dated-1"), "2025-10-01"),
		chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{photoPath}),
		chromedp.SetValue(chromedp.CSS("#f-payment-method"), "cash"),
		chromedp.Click(chromedp.CSS(`button[name=action][value=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")))
	summary, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#error-summary")))
	if !strings.Contains(summary, "Fecha del documento 2: Demasiado antiguo") {
		t.Errorf("error summary = %q, want it to name 'Fecha del documento 2'", summary)
	}
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("intake with errors at 390 px is %d px wide (%v)", w, err)
	}
	shot("intake-dated-summary-390-es.png", "#error-summary")
	shot("intake-dated-documents-390-es.png", "#documents")
	kept, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`!!document.querySelector(".photo-box figure img")`))
	if !kept {
		t.Errorf("the photo sent with the refused submit was not kept")
	}
	run("recent", chromedp.SetValue(chromedp.CSS("#f-doc-dated-1"), "2026-02-20"),
		chromedp.Click(chromedp.CSS(`button[name=action][value=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".receipt")))
	shot("intake-dated-receipt-390-es.png", ".receipt")

	// The same clerk makes a new set of recovery codes at 390 px: ten
	// codes, readable without sideways scrolling.
	run("recovery codes", chromedp.Navigate(e.ts.URL+"/staff/recovery-codes"),
		chromedp.WaitVisible(chromedp.CSS("#recovery-left")),
		chromedp.Click(chromedp.CSS(`form[action="/staff/recovery-codes"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.querySelectorAll("#recovery-codes li code").length`))
	if err != nil || n != 10 {
		t.Errorf("new recovery codes on the page = %d (%v), want 10", n, err)
	}
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("recovery codes at 390 px are %d px wide (%v)", w, err)
	}
	shot("recovery-codes-390-es.png", "main")
}

// fireChange dispatches a change event on the element with id, as a person
// choosing from a list does (chromedp.SetValue sets the value only).
func fireChange(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`document.getElementById("`+id+`").dispatchEvent(new Event("change", {bubbles: true}))`)(ctx, tg)
		return err
	})
}
