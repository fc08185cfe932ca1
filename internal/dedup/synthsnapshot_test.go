package dedup_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/synth"
)

// TestSyntheticSnapshot is a measuring aid, not a check, and runs only when
// asked: CITYID_SYNTH_SNAPSHOT=N with CITYID_SYNTH_DATA (a data directory)
// and CITYID_SYNTH_DB (its database) loads that city's screening index,
// adds synthetic residents until it holds N, and writes the snapshot, so
// that a server's start and RSS with N residents in its index can be
// measured without loading N residents into the database first
// (docs/operations.md "Server start to ready"). The synthetic residents are
// in the snapshot only: a rebuild drops them.
func TestSyntheticSnapshot(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CITYID_SYNTH_SNAPSHOT"))
	if n <= 0 {
		t.Skip("CITYID_SYNTH_SNAPSHOT not set: a measuring aid")
	}
	a, err := app.Open(ctx, app.Options{DataDir: os.Getenv("CITYID_SYNTH_DATA"), DBURL: os.Getenv("CITYID_SYNTH_DB")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sc, err := dedup.New(a.Settings.Linkage, a.DB, a.Keys.MatchKey())
	if err != nil {
		t.Fatal(err)
	}
	sc.UseSnapshots(a.Vault, time.Now, rand.Reader)
	st, err := sc.Load(ctx, a.Enroll)
	if err != nil {
		t.Fatal(err)
	}
	g := synth.New(1500)
	for i := sc.Len(); i < n; i++ {
		sc.Add(fmt.Sprintf("syn_%08d", i), g.Person(), 0)
	}
	ws, err := sc.WriteSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d (snapshot %q), wrote %+v", st.Records, st.Snapshot, ws)
}
