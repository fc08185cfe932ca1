package web

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/field/station"
)

// stationClient signs in as the station's clerk and posts as a browser does.
func stationClient(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.PostForm(base+"/login", url.Values{"username": {"ana"}, "password": {"caballo correcto batería"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/staff/intake" {
		t.Fatalf("sign-in ended at %s", resp.Request.URL)
	}
	return hc
}

func stationPost(t *testing.T, hc *http.Client, base string, vals url.Values, photo []byte) (int, *url.URL, string) {
	t.Helper()
	ct, body := multipartForm(t, vals, photo)
	req, _ := http.NewRequest(http.MethodPost, base+"/staff/intake", body)
	req.Header.Set("Content-Type", ct)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL, string(b)
}

// A draft with its photo lives in the clerk's session, not on the disk; a
// second click on Finish shows the same receipt and seals one packet; a
// wrong password is refused in the page's language; an incomplete intake
// is sent back with its errors and seals nothing.
func TestStationDraftsFinishTwiceAndErrors(t *testing.T) {
	ts, st := newStationServer(t)
	jar, _ := cookiejar.New(nil)
	anon := &http.Client{Jar: jar}
	resp, err := anon.PostForm(ts.URL+"/login", url.Values{"username": {"ana"}, "password": {"wrong password here"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "Wrong username or password") {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if r, _ := anon.Get(ts.URL + "/staff/station"); r.Request.URL.Path != "/login" {
		t.Errorf("station page without sign-in ended at %s", r.Request.URL.Path)
	}

	hc := stationClient(t, ts.URL)
	photo := testPNG(t)
	form := validForm("k-station-1")
	form.Set("action", "draft")
	status, at, body := stationPost(t, hc, ts.URL, form, photo)
	if status != http.StatusOK || at.Path != "/staff/intake" || at.Query().Get("draft") == "" || !strings.Contains(body, "Zenobia") {
		t.Fatalf("draft: %d at %s", status, at)
	}
	scan := func(when string) {
		filepath.WalkDir(st.Dir(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, _ := os.ReadFile(p)
			for _, n := range []string{"Zenobia", "Quetzalc", "1988-04-17", "Grand Ave"} {
				if bytes.Contains(data, []byte(n)) {
					t.Errorf("%s: %s holds %q", when, p, n)
				}
			}
			return nil
		})
	}
	scan("after saving a draft")
	// Finish the draft (its photo kept in the session), twice.
	form.Set("action", "submit")
	form.Set("draft_id", at.Query().Get("draft"))
	status, at, body = stationPost(t, hc, ts.URL, form, nil)
	if status != http.StatusOK || !strings.HasPrefix(at.Path, "/staff/receipt/") || !strings.Contains(body, "Zenobia") {
		t.Fatalf("finish: %d at %s", status, at)
	}
	status2, at2, _ := stationPost(t, hc, ts.URL, form, nil)
	if status2 != http.StatusOK || at2.Path != at.Path {
		t.Errorf("second click: %d at %s, want the same receipt %s", status2, at2, at)
	}
	if s, _ := st.Status(); s.Sealed != 1 {
		t.Errorf("sealed %d packets for one application clicked twice", s.Sealed)
	}
	scan("after finishing")
	// Had the city refused it, the station page says why (the city's words).
	w, _ := st.Outbox()
	if err := st.Ack(w[0], "bad_signature"); err != nil {
		t.Fatal(err)
	}
	sr, err := hc.Get(ts.URL + "/staff/station")
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := io.ReadAll(sr.Body)
	sr.Body.Close()
	if !strings.Contains(text(string(sb)), "#1: The station's signature does not match") {
		t.Errorf("station page does not give the refusal's reason:\n%s", text(string(sb)))
	}

	bad := validForm("k-station-2")
	bad.Del("doc_type_1")
	bad.Del("doc_type_2")
	bad.Set("action", "submit")
	status, _, body = stationPost(t, hc, ts.URL, bad, nil)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "error-summary") {
		t.Errorf("incomplete intake: %d", status)
	}
	if s, _ := st.Status(); s.Sealed != 1 {
		t.Errorf("an incomplete intake was sealed (%d packets)", s.Sealed)
	}
}

// A laptop whose clock a sync found two days slow says so on the intake
// page, in the clerk's language.
func TestStationClockNotice(t *testing.T) {
	ts, st := newStationServer(t)
	now := time.Now()
	e := station.Enrolment{StationID: "stn_rose", Status: station.StatusApproved, CityKey: st.State().CityKey,
		ServerTime: now, Asked: now.Add(-48 * time.Hour), Answered: now.Add(-48 * time.Hour)}
	if err := st.SetEnrolment(e); err != nil {
		t.Fatal(err)
	}
	hc := stationClient(t, ts.URL)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/staff/intake", nil)
	req.Header.Set("Accept-Language", "es")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(text(string(b)), "difiere 2 días del de la ciudad") {
		t.Errorf("intake page does not warn of the clock:\n%s", text(string(b)))
	}
}

// A laptop out of space: Finish says so in Spanish, keeps the form as a
// draft with its photo, and seals nothing.
func TestStationStorageFull(t *testing.T) {
	ts, st := newStationServer(t, station.Options{FreeBytes: func(string) int64 { return 1 << 20 }})
	hc := stationClient(t, ts.URL)
	form := validForm("k-full")
	form.Set("action", "submit")
	ct, body := multipartForm(t, form, testPNG(t))
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/staff/intake", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept-Language", "es")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := text(string(b))
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(page, "almacenamiento de esta computadora está lleno") ||
		!strings.Contains(string(b), "Zenobia") || !strings.Contains(string(b), "<figure><img src=\"data:image/jpeg") {
		t.Errorf("storage full: %d\n%s", resp.StatusCode, page)
	}
	if s, _ := st.Status(); s.Sealed != 0 || s.Waiting != 0 {
		t.Errorf("sealed %d with a full disk", s.Sealed)
	}
}
