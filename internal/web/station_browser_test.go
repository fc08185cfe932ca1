package web

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/i18n"
)

// offlineDesk is a station whose city server cannot be reached.
type offlineDesk struct{ *station.Station }

func (offlineDesk) Sync(context.Context) error {
	return errors.New("dial tcp 127.0.0.1:1: connection refused")
}

// newStationServer serves an approved field station's pages; the city
// is unreachable.
func newStationServer(t *testing.T, opts ...station.Options) (*httptest.Server, *station.Station) {
	t.Helper()
	var o station.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	st, err := station.Init(t.TempDir(), "Iglesia St. Rose", "http://127.0.0.1:1", o)
	if err != nil {
		t.Fatal(err)
	}
	city, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if err := st.SetEnrolment(station.Enrolment{StationID: "stn_rose", Code: "K7QM-4XPA", Status: station.StatusApproved, CityKey: city.PublicKey().Bytes()}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddClerk("ana", "caballo correcto batería", auth.TestParams()); err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	settings := st.Settings()
	loc, _ := time.LoadLocation(settings.Program.TimeZone)
	svc := &app.Services{Settings: &settings, Location: loc, I18n: bundle, Applications: st.Rules(), Now: time.Now}
	h, err := NewStation(svc, offlineDesk{st}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, st
}

// A clerk at a church hall, phone-sized screen in Spanish, no network:
// signs in, takes an application as at city hall, finishes it and gets the
// receipt with its reference; the station page counts one sealed packet
// waiting, and "Sincronizar ahora" says the city could not be reached.
// CITYID_SHOTS_DIR keeps the screenshots.
func TestBrowserStationIntakeOfflineSpanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 120*time.Second)
	ts, st := newStationServer(t)
	photoPath := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(photoPath, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	shot := func(name, sel string) {
		dir := os.Getenv("CITYID_SHOTS_DIR")
		if dir == "" {
			return
		}
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if sel != "" {
			buf, err = chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS(sel)))
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), buf, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
	narrow := func(where string) {
		if w, err := chromedp.Run(bctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
			t.Errorf("%s at 390 px is %d px wide (%v)", where, w, err)
		}
	}
	run("sign in", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ts.URL+"/lang/es?next=/staff/intake"),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
		chromedp.SendKeys(chromedp.CSS("#f-username"), "ana"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "caballo correcto batería"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#f-given-names")))
	notice, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".notice")))
	if !strings.Contains(notice, "no puede volver a leerlas") {
		t.Errorf("intake notice = %q, want the Spanish note that sealed applications cannot be read back", notice)
	}
	run("fill", chromedp.SendKeys(chromedp.CSS("#f-given-names"), "Guadalupe"),
		chromedp.SendKeys(chromedp.CSS("#f-first-surname"), "Itzel"),
		chromedp.SendKeys(chromedp.CSS("#f-second-surname"), "Xochitl"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth"), "30"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth-m"), "7"),
		chromedp.SetValue(chromedp.CSS("#f-date-of-birth-y"), "1984"),
		chromedp.SendKeys(chromedp.CSS("#f-address-line1"), "300 Ferry St"),
		chromedp.SendKeys(chromedp.CSS("#f-address-city"), "New Haven"),
		chromedp.SendKeys(chromedp.CSS("#f-address-state"), "CT"),
		chromedp.SendKeys(chromedp.CSS("#f-address-postal-code"), "06513"),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-0"), "consular_id"),
		fireChange("f-doc-type-0"),
		chromedp.SetValue(chromedp.CSS("#f-doc-expires-0"), person2030()),
		chromedp.SetValue(chromedp.CSS("#f-doc-type-1"), "lease"),
		fireChange("f-doc-type-1"),
		chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{photoPath}),
		chromedp.SetValue(chromedp.CSS("#f-payment-method"), "cash"))
	// The live evidence check (the same script as at city hall) runs
	// against the station, with no network beyond the laptop.
	run("check", chromedp.Click(chromedp.CSS(`button[name=action][value=check]`)),
		chromedp.WaitVisible(chromedp.CSS("#evidence-result.ok")))
	narrow("the intake form")
	shot("station-intake-390-es.png", "")
	run("finish", chromedp.Click(chromedp.CSS(`button[name=action][value=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".receipt")))
	receipt, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".receipt")))
	for _, want := range []string{"Guadalupe Itzel Xochitl", "Tomada, en espera de envío a la ciudad", "sitio asociado"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
	ref, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(".copy .reference")))
	if len(strings.TrimSpace(ref)) != 14 {
		t.Errorf("reference on the receipt = %q", ref)
	}
	narrow("the receipt")
	shot("station-receipt-390-es.png", "")
	if s, _ := st.Status(); s.Sealed != 1 || s.Waiting != 1 {
		t.Errorf("after finishing: %+v, want 1 sealed and waiting", s)
	}
	run("sync while offline", chromedp.Navigate(ts.URL+"/staff/station"),
		chromedp.WaitVisible(chromedp.CSS("#station-counts")),
		chromedp.Click(chromedp.CSS(`form[action="/staff/station/sync"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#sync-result")))
	msg, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#sync-result")))
	waiting, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#waiting")))
	if !strings.Contains(msg, "No se pudo conectar") || !strings.HasPrefix(waiting, "1 ") {
		t.Errorf("sync offline: %q, waiting %q", msg, waiting)
	}
	narrow("the station page")
	shot("station-status-390-es.png", "")
}

// person2030 is an expiry date years ahead of any test run.
func person2030() string { return time.Now().AddDate(4, 0, 0).Format("2006-01-02") }
