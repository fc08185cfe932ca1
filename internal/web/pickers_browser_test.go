package web

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/auth"
)

// pickerState is what a test reads of a page's date, month and file
// controls.
type pickerState struct {
	DOBType     string `json:"dobType"`     // the type of #f-date-of-birth ("date" was the browser's picker)
	MonthInputs int    `json:"monthInputs"` // visible <input type=month>
	FileShown   bool   `json:"fileShown"`   // a file input is drawn (its button and "no file chosen" are the browser's)
	FileButton  string `json:"fileButton"`  // the label drawn as the picker's button
	FileChosen  string `json:"fileChosen"`  // the text beside it
}

const readPickers = `(() => {
  const dob = document.getElementById("f-date-of-birth");
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 2 && r.height > 2 && getComputedStyle(e).opacity !== "0"; };
  const file = document.getElementById("f-photo");
  const button = document.querySelector('label.button[for="f-photo"]');
  const chosen = document.getElementById("f-photo-chosen");
  return {
    dobType: dob ? dob.type : "",
    monthInputs: Array.from(document.querySelectorAll("input[type=month]")).filter(shown).length,
    fileShown: !!file && shown(file),
    fileButton: button ? button.innerText.trim() : "",
    fileChosen: chosen ? chosen.innerText.trim() : "",
  };
})()`

// A clerk and a supervisor whose phone speaks English use the staff portal
// in Spanish at 390 px. Nothing on the way shows the browser's language:
// the date of birth (intake, search) is day, month and year with Spanish
// labels, not a date picker showing "mm/dd/yyyy"; the statistics' months
// are a list of Spanish month names, not a month picker showing "April
// 2025"; the photo pickers (intake, verifier) are a Spanish button that
// still takes the keyboard's focus and the file, not "Choose File / No file
// chosen". A date that does not exist comes back with the resident site's
// message, everything kept (the photo as a draft); a real one submits.
func TestBrowserPickersSpeakThePageLanguage(t *testing.T) {
	bctx, run := headlessEnglish(t, 390, 844, 120*time.Second)
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	photoPath := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(photoPath, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	pickers := func(step string) pickerState {
		t.Helper()
		st, err := chromedp.Run(bctx, chromedp.Evaluate[pickerState](readPickers))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return st
	}
	browserAs(t, bctx, e, e.signIn(t, "clerk1", testPassword))
	if lang, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.language`)); lang != "en-US" {
		t.Fatalf("the browser's language is %q, want en-US", lang)
	}
	run("intake", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/intake"),
		chromedp.WaitVisible(chromedp.CSS("#f-given-names")))
	peek(t, bctx, "pickers-intake-es-en.png")
	st := pickers("intake")
	if st.DOBType != "text" {
		t.Errorf("intake: the date of birth is an <input type=%q>, want three text fields (day, month, year)", st.DOBType)
	}
	if st.FileShown || st.FileButton != "Tomar o elegir una foto" || st.FileChosen != "No ha elegido ninguna foto" {
		t.Errorf("intake: photo picker = %+v, want the file input hidden behind 'Tomar o elegir una foto' and 'No ha elegido ninguna foto'", st)
	}
	legend, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("fieldset.date")))
	for _, want := range []string{"Fecha de nacimiento", "Día", "Mes", "Año"} {
		if !strings.Contains(legend, want) {
			t.Errorf("intake: the date of birth does not read %q: %q", want, legend)
		}
	}
	// The hidden input still takes the keyboard: focused, its button shows the focus ring.
	run("focus the photo picker", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// A headless page is not the focused window: :focus would never match.
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}), chromedp.Focus(chromedp.CSS("#f-photo")))
	ring, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.activeElement.id + " " + getComputedStyle(document.querySelector('label.button[for="f-photo"]')).outlineStyle`))
	if ring != "f-photo solid" {
		t.Errorf("intake: focused photo picker = %q, want f-photo focused and its button outlined (solid)", ring)
	}

	run("fill, a date that does not exist",
		chromedp.SendKeys(chromedp.CSS("#f-given-names"), "Ximena"),
		chromedp.SendKeys(chromedp.CSS("#f-first-surname"), "Tlapa"),
		chromedp.SendKeys(chromedp.CSS("#f-date-of-birth"), "31"),
		chromedp.SendKeys(chromedp.CSS("#f-date-of-birth-m"), "2"),
		chromedp.SendKeys(chromedp.CSS("#f-date-of-birth-y"), "1990"),
		chromedp.SendKeys(chromedp.CSS("#f-address-line1"), "12 Chapel St"),
		chromedp.SendKeys(chromedp.CSS("#f-address-city"), "New Haven"),
		chromedp.SendKeys(chromedp.CSS("#f-address-state"), "CT"),
		chromedp.SendKeys(chromedp.CSS("#f-address-postal-code"), "06511"),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-0"), "passport"),
		chromedp.SetValue(chromedp.CSS("#f-doc-expires-0"), "2030-01-01"),
		fireChange("f-doc-type-0"),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-1"), "lease"),
		fireChange("f-doc-type-1"),
		chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{photoPath}),
		chromedp.SetValue(chromedp.CSS("#f-payment-method"), "cash"))
	if st := pickers("photo chosen"); st.FileChosen != "photo.png" {
		t.Errorf("after choosing a photo the picker reads %q, want the file's name", st.FileChosen)
	}
	run("submit", chromedp.Click(chromedp.CSS(`button[name=action][value=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")))
	peek(t, bctx, "pickers-intake-error-es-en.png")
	summary, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#error-summary")))
	if !strings.Contains(summary, "Fecha de nacimiento: Escriba una fecha real: día, mes y año") {
		t.Errorf("error summary = %q, want the date of birth's error in Spanish", summary)
	}
	kept, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`["f-given-names", "f-date-of-birth", "f-date-of-birth-m", "f-date-of-birth-y", "f-address-line1"].map(id => document.getElementById(id).value).join("|") + "|" + !!document.querySelector(".photo-box figure img")`))
	if kept != "Ximena|31|2|1990|12 Chapel St|true" {
		t.Errorf("the form came back as %q, want everything as typed and the photo kept", kept)
	}
	run("a real date", chromedp.SetValue(chromedp.CSS("#f-date-of-birth"), "28"),
		chromedp.Click(chromedp.CSS(`button[name=action][value=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".receipt")))

	browserAs(t, bctx, e, e.signIn(t, "sup1", testPassword))
	run("statistics", chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/stats"), chromedp.WaitVisible(chromedp.CSS("#f-from")))
	peek(t, bctx, "pickers-stats-es-en.png")
	if st := pickers("statistics"); st.MonthInputs > 0 {
		t.Errorf("statistics: %d month pickers (they show 'April 2025' on an English phone)", st.MonthInputs)
	}
	months, _ := chromedp.Run(bctx, chromedp.Evaluate[[]string](`["f-from", "f-to"].map(id => { const s = document.getElementById(id); return s.tagName + " " + (s.selectedOptions && s.selectedOptions.length ? s.selectedOptions[0].text : s.value); })`))
	spanishMonth := regexp.MustCompile(`^SELECT (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) de \d{4}$`)
	if len(months) != 2 || !spanishMonth.MatchString(months[0]) || !spanishMonth.MatchString(months[1]) {
		t.Errorf("statistics: the period reads %q, want two lists of Spanish month names", months)
	}
	run("search", chromedp.Navigate(e.ts.URL+"/staff/search"), chromedp.WaitVisible(chromedp.CSS("#f-given-names")))
	if st := pickers("search"); st.DOBType != "text" {
		t.Errorf("search: the date of birth is an <input type=%q>, want day, month and year", st.DOBType)
	}

	run("verifier", chromedp.Navigate(e.ts.URL+"/es/verify"), chromedp.WaitReady(chromedp.CSS("#f-photo")))
	peek(t, bctx, "pickers-verify-es-en.png")
	if st := pickers("verifier"); st.FileShown || st.FileButton != "Tomar o elegir una foto" || st.FileChosen != "No ha elegido ninguna foto" {
		t.Errorf("verifier: photo picker = %+v, want the file input hidden behind a Spanish button", st)
	}
	capture, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("f-photo").getAttribute("capture")`))
	if capture != "environment" {
		t.Errorf("verifier: the photo picker's capture = %q, want environment (the phone's camera)", capture)
	}
}
