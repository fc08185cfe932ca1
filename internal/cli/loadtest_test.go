package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	dir := filepath.Join(t.TempDir(), "data")
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true, Auth: &opts, Screening: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := demo.Bulk(ctx, a, demo.Options{Residents: 120, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	defer ts.Close()
	srv, err := web.New(a.Services, web.Options{PublicURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
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
