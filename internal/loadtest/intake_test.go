package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// intakeServer is a stand-in for the intake pages: a form of about the
// real page's size carrying a new idempotency key each time, a submission
// that answers with the receipt (or, every refuseEvery-th, with the form
// again), and the receipt. check, when set, looks at each submission.
type intakeServer struct {
	refuseEvery int
	check       func(r *http.Request, issued map[string]bool) error

	mu                           sync.Mutex
	issued                       map[string]bool
	forms, submits, refused, rec int
	problem                      error
	onReceipt                    func(n int)
}

// The form page is about the real one's size (40 KB), its key near the end.
var (
	formHead = []byte("<html><body><form>" + strings.Repeat(`<div class="field"><label for="x">Given names</label><input id="x" name="x" value=""></div>`+"\n", 400) +
		`<input type="hidden" name="idempotency_key" value="`)
	formTail = []byte(`"></form></body></html>`)
)

func (s *intakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/staff/intake":
		s.forms++
		key := fmt.Sprintf("key-%d", s.forms)
		s.issued[key] = true
		w.Write(formHead)
		io.WriteString(w, key)
		w.Write(formTail)
	case r.Method == http.MethodPost && r.URL.Path == "/staff/intake":
		if s.check != nil {
			if err := s.check(r, s.issued); err != nil && s.problem == nil {
				s.problem = err
			}
		} else {
			io.Copy(io.Discard, r.Body)
		}
		s.submits++
		if s.refuseEvery > 0 && s.submits%s.refuseEvery == 0 {
			s.refused++
			fmt.Fprint(w, "<html>the form again</html>")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/staff/applications/app_%d/receipt?purpose=receipt", s.submits), http.StatusSeeOther)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/receipt"):
		s.rec++
		fmt.Fprint(w, "<html>receipt</html>")
		if s.onReceipt != nil {
			s.onReceipt(s.rec)
		}
	default:
		http.NotFound(w, r)
	}
}

var testPhoto = bytes.Repeat([]byte{0xff, 0xd8, 0x42, 0x17}, 5500) // about an ID photo's 22 KB

func testApplicant() Applicant {
	return Applicant{Fields: url.Values{"given_names": {"Ana"}, "surnames": {"López"}, "payment_method": {"cash"}}, Photo: testPhoto}
}

// The intake walk submits what the form asks for — its idempotency key,
// the fields, the photo — counts an application only when the server
// answers with the receipt, opens that receipt, and counts a form that
// came back as a failed submission.
func TestIntakeWalk(t *testing.T) {
	s := &intakeServer{refuseEvery: 5, issued: map[string]bool{}}
	s.check = func(r *http.Request, issued map[string]bool) error {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return err
		}
		key := r.FormValue("idempotency_key")
		if !issued[key] {
			return fmt.Errorf("submission with idempotency key %q, not one the form gave", key)
		}
		delete(issued, key) // a key is used once
		if r.FormValue("action") != "submit" || r.FormValue("given_names") != "Ana" || r.FormValue("surnames") != "López" {
			return fmt.Errorf("submission fields = %v, want the applicant's and action=submit", r.MultipartForm.Value)
		}
		f, _, err := r.FormFile("photo")
		if err != nil {
			return fmt.Errorf("submission photo: %v", err)
		}
		defer f.Close()
		if b, _ := io.ReadAll(f); !bytes.Equal(b, testPhoto) {
			return fmt.Errorf("submission photo is %d bytes, want the applicant's %d", len(b), len(testPhoto))
		}
		return nil
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sessions := []Session{{Username: "a", Cookie: &http.Cookie{Name: "s", Value: "a"}}, {Username: "b", Cookie: &http.Cookie{Name: "s", Value: "b"}}}
	rep := Intake(context.Background(), Options{URL: srv.URL, Sessions: sessions, Duration: 400 * time.Millisecond}, testApplicant)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.problem != nil {
		t.Fatal(s.problem)
	}
	if s.submits < 10 {
		t.Fatalf("%d submissions in 400 ms, want at least 10", s.submits)
	}
	if want := s.submits - s.refused; rep.Submitted != want {
		t.Errorf("Submitted = %d, want %d (%d submissions, %d answered with the form)", rep.Submitted, want, s.submits, s.refused)
	}
	if s.rec > rep.Submitted || s.rec < rep.Submitted-len(sessions) {
		t.Errorf("%d receipts opened for %d applications, want each opened (but the last of each user)", s.rec, rep.Submitted)
	}
	var out strings.Builder
	rep.Write(&out)
	if ownCPU() > 0 && rep.CPU <= 0 || rep.CPU > 0 && !strings.Contains(out.String(), "load tool CPU during the run: ") || !strings.Contains(out.String(), " ms an application)") {
		t.Errorf("report = %q, want the tool's own CPU during the run (%v) a line of it", out.String(), rep.CPU)
	}
	for _, g := range rep.Groups {
		if g.Name == GroupSubmit && g.Errors != s.refused {
			t.Errorf("failed submissions = %d, want the %d answered with the form", g.Errors, s.refused)
		}
	}
}

// BenchmarkIntakeWalk is the load tool's own cost of an intake (form,
// submission with a 22 KB photo, receipt) against a server that does
// nearly nothing: allocations and CPU per application, the figure that
// must stay far below the server's.
func BenchmarkIntakeWalk(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &intakeServer{issued: map[string]bool{}}
	s.onReceipt = func(n int) {
		if n >= b.N {
			cancel()
		}
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	b.ReportAllocs()
	b.ResetTimer()
	rep := Intake(ctx, Options{URL: srv.URL, Sessions: []Session{{Username: "a", Cookie: &http.Cookie{Name: "s", Value: "a"}}}, Duration: time.Hour}, testApplicant)
	b.StopTimer()
	if rep.Submitted < b.N {
		b.Fatalf("%d applications submitted, want %d", rep.Submitted, b.N)
	}
}
