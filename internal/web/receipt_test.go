package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
)

// receiptIntake is a complete intake in language lang.
func receiptIntake(t testing.TB, lang string) enroll.Intake {
	return enroll.Intake{Person: person.Person{GivenNames: "Ana Lucía", FirstSurname: "Ruiz", SecondSurname: "O'Brien",
		DateOfBirth: person.Date{Year: 1980, Month: 1, Day: 2},
		Address:     person.Address{Line1: "1 Main St", City: "New Haven", State: "CT", PostalCode: "06510"}, Language: lang},
		Documents: []evidence.Shown{{Type: "passport", Expires: person.Date{Year: 2030, Month: 1, Day: 1}}, {Type: "lease"}},
		Payment:   fee.Payment{Method: "cash", AmountCents: 1000}, Photo: testPNG(t)}
}

// TestReceiptPage: the printed receipt, submitted and rejected, for a
// resident whose language is Spanish (a Spanish copy, then an English one)
// and one whose language is English, byte for byte as in
// testdata/receipt_*.golden (the application's id and reference replaced;
// CITYID_UPDATE_GOLDEN=1 rewrites them).
func TestReceiptPage(t *testing.T) {
	e := newEnv(t)
	st := e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	sup := e.addStaff(t, "super1", auth.RoleSupervisor, e.siteA.ID)
	supervisor := auth.Actor{StaffID: sup.ID, Username: "super1", Role: auth.RoleSupervisor, SiteID: e.siteA.ID}
	c := e.signIn(t, "clerk1", testPassword)
	clerk := auth.Actor{StaffID: st.ID, Username: "clerk1", Role: auth.RoleClerk, SiteID: e.siteA.ID}
	reasons := e.app.Settings.Review.RejectReasons
	for _, tc := range []struct {
		name, lang string
		reject     bool
	}{{"es_submitted", "es", false}, {"en_rejected", "en", true}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := e.app.Enroll.Submit(t.Context(), clerk, "", receiptIntake(t, tc.lang))
			if err != nil {
				t.Fatal(err)
			}
			purpose := enroll.PurposeReceipt
			if tc.reject {
				if err := e.app.Enroll.Reject(t.Context(), supervisor, a.ID, reasons[0], ""); err != nil {
					t.Fatal(err)
				}
			}
			r := c.get(t, "/staff/applications/"+url.PathEscape(a.ID)+"/receipt?purpose="+string(purpose))
			if r.Status != http.StatusOK {
				t.Fatalf("GET receipt = %d", r.Status)
			}
			got := strings.NewReplacer(a.ID, "APP-ID", a.Reference, "REF-ERE-NCE").Replace(r.Body)
			golden := filepath.Join("testdata", "receipt_"+tc.name+".golden")
			if os.Getenv("CITYID_UPDATE_GOLDEN") == "1" {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("receipt differs from %s:\n%s", golden, got)
			}
		})
	}
}

// BenchmarkReceipt is the receipt page through the whole handler chain on
// SQLite: the session, the audited read and the page.
//
//	go test ./internal/web -run '^$' -bench Receipt -benchmem -benchtime 3000x
func BenchmarkReceipt(b *testing.B) {
	e := newEnv(b)
	st := e.addStaff(b, "clerk1", auth.RoleClerk, e.siteA.ID)
	c := e.signIn(b, "clerk1", testPassword)
	clerk := auth.Actor{StaffID: st.ID, Username: "clerk1", Role: auth.RoleClerk, SiteID: e.siteA.ID}
	a, err := e.app.Enroll.Submit(b.Context(), clerk, "", receiptIntake(b, "es"))
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(e.ts.URL)
	cookies := c.http.Jar.Cookies(u)
	h := e.srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		if code := getWith(h, cookies, "/staff/applications/"+a.ID+"/receipt?purpose=receipt"); code != http.StatusOK {
			b.Fatalf("GET receipt = %d", code)
		}
	}
}

// getWith serves GET path with cookies straight through h (no network)
// and returns the status.
func getWith(h http.Handler, cookies []*http.Cookie, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
