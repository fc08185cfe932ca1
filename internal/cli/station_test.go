package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/web"
)

// The coordinator's commands against a real city server: init prints the
// code and sends the enrolment, clerk adds an account, sync fetches the
// approval, status shows the counts; a second init in the same directory
// is refused; serve refuses an address other than loopback.
func TestStationCommands(t *testing.T) {
	ctx := context.Background()
	a := apptest.Open(t, "", nil)
	partner := apptest.Site(t, a, "St. Rose church", site.KindPartner)
	sup := apptest.Staff(t, a, "super", auth.RoleSupervisor, partner.ID)
	srv, err := web.New(a.Services, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "station-data")
	run := func(stdin string, args ...string) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Run(ctx, IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, append(args, "--dir", dir))
		return out.String() + errOut.String(), code
	}
	out, code := run("", "station", "init", "--server", ts.URL, "--name", "St. Rose church")
	st, err := station.Open(dir, station.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Code(st.PublicKey())
	if code != 0 || !strings.Contains(out, "code for the supervisor: "+want) || !strings.Contains(out, "enrolment sent: pending") {
		t.Fatalf("init = %d:\n%s", code, out)
	}
	if out, code := run("", "station", "init", "--server", ts.URL, "--name", "again"); code == 0 || !strings.Contains(out, "already set up") {
		t.Errorf("second init = %d:\n%s", code, out)
	}
	if out, code := run("correct horse battery\n", "station", "clerk", "ana", "--password-stdin"); code != 0 || !strings.Contains(out, `clerk "ana" can sign in`) {
		t.Errorf("clerk = %d:\n%s", code, out)
	}
	if err := a.Field.Approve(ctx, sup, st.State().StationID, partner.ID); err != nil {
		t.Fatal(err)
	}
	if out, code := run("", "station", "sync"); code != 0 || !strings.Contains(out, "enrolment: approved") {
		t.Errorf("sync = %d:\n%s", code, out)
	}
	if out, code := run("", "station", "status"); code != 0 || !strings.Contains(out, "enrolment:    approved, code "+want) || !strings.Contains(out, "sealed:       0") {
		t.Errorf("status = %d:\n%s", code, out)
	}
	if out, code := run("", "station", "serve", "--addr", "0.0.0.0:0"); code == 0 || !strings.Contains(out, "this laptop only") {
		t.Errorf("serve on all interfaces = %d:\n%s", code, out)
	}
}
