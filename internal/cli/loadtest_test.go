package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/web"
)

// The load test signs its clerks in, walks every staff page group without
// a failure, submits complete intakes that the server records (as many as
// it reports), and leaves its accounts disabled.
func TestLoadtest(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a server for a few seconds")
	}
	ctx := context.Background()
	a, dir, ts, srv := loadtestCity(t, 120)
	ts.Config.Handler = srv.Handler()

	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append(args, "--data", dir, "--url", ts.URL, "--duration", "3s")
		if code := Run(ctx, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, args); code != 0 {
			t.Fatalf("cityid %s = exit %d:\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}

	out := run("loadtest", "staff", "--clerks", "2", "--supervisors", "1")
	for _, g := range []string{"dashboard", "list", "application", "intake form", "review queue", "search"} {
		m := regexp.MustCompile(`(?m)^` + g + `\s+(\d+)\s+(\d+)\s`).FindStringSubmatch(out)
		if m == nil || m[1] == "0" || m[2] != "0" {
			t.Errorf("page group %q: want requests and no failure, report:\n%s", g, out)
		}
	}

	all := func() int {
		// The list gives at most 500 a page; a quiet machine takes more
		// than that in the load test's seconds, so read every page.
		n := 0
		for off := 0; ; off += 500 {
			l, err := a.Enroll.List(ctx, auth.Actor{StaffID: "stf_test", Role: auth.RoleSupervisor}, enroll.ListFilter{Limit: 500, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range l {
				// A refused form keeps its photo in a draft; count applications.
				if x.Status != enroll.StatusDraft {
					n++
				}
			}
			if len(l) < 500 {
				return n
			}
		}
	}
	before := all()
	out = run("loadtest", "intake", "--clerks", "2", "--seed", "7")
	m := regexp.MustCompile(`(?m)^(\d+) applications submitted`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("intake load test submitted nothing:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	if got := all() - before; got != n {
		t.Errorf("intake load test reported %d applications submitted, the database gained %d", n, got)
	}

	for _, name := range []string{"loadtest-clerk-01", "loadtest-clerk-02", "loadtest-supervisor-01"} {
		st, err := a.Auth.StaffByUsername(ctx, auth.System(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !st.Disabled {
			t.Errorf("%s still enabled after the load test", name)
		}
	}
}

// With --wait-ready the load test signs in, waits while the server is not
// yet ready (its /readyz answers 503, and so does every page) and starts
// once it is, so no request fails; a server that never gets ready is a
// clear error, and the accounts are disabled all the same.
func TestLoadtestWaitReady(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a server for a second")
	}
	ctx := context.Background()
	a, dir, ts, srv := loadtestCity(t, 20)
	// Starting: every request is refused until /readyz has been asked
	// three times (never, when readyAfter is negative).
	var mu sync.Mutex
	asked, readyAfter := 0, 3
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.URL.Path == "/readyz" {
			asked++
		}
		ready := readyAfter >= 0 && asked > readyAfter
		mu.Unlock()
		if !ready {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		srv.Handler().ServeHTTP(w, r)
	})
	run := func(wait string) (int, string, string) {
		var out, errOut bytes.Buffer
		args := []string{"loadtest", "staff", "--clerks", "1", "--supervisors", "1", "--data", dir, "--url", ts.URL,
			"--duration", "1s", "--wait-ready", wait}
		code := Run(ctx, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("30s")
	if code != 0 {
		t.Fatalf("loadtest --wait-ready 30s = exit %d:\n%s%s", code, out, errOut)
	}
	if m := regexp.MustCompile(`(?m)^\d+ requests in .*, (\d+) failed$`).FindStringSubmatch(out); m == nil || m[1] != "0" {
		t.Errorf("requests failed although the test waited for the server to be ready; report:\n%s", out)
	}
	mu.Lock()
	if asked <= readyAfter {
		t.Errorf("/readyz asked %d times, want more than %d (until it answered 200)", asked, readyAfter)
	}
	readyAfter = -1 // a server that never gets ready
	mu.Unlock()

	code, out, errOut = run("300ms")
	if code == 0 || !strings.Contains(errOut, "did not answer 200 within 300ms") {
		t.Errorf("loadtest against a server never ready = exit %d, want a failure saying /readyz did not answer 200 within 300ms:\n%s%s", code, out, errOut)
	}
	for _, name := range []string{"loadtest-clerk-01", "loadtest-supervisor-01"} {
		st, err := a.Auth.StaffByUsername(ctx, auth.System(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !st.Disabled {
			t.Errorf("%s still enabled after the load test gave up waiting", name)
		}
	}
}

// loadtestCity opens a city of n synthetic residents in a new data
// directory and a test server for it, its handler left to the caller;
// both close when the test ends.
func loadtestCity(t *testing.T, n int) (*app.App, string, *httptest.Server, *web.Server) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true, Auth: &opts, Screening: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := demo.Bulk(ctx, a, demo.Options{Residents: n, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	srv, err := web.New(a.Services, web.Options{PublicURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	return a, dir, ts, srv
}
