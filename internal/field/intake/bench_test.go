package intake_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store/storetest"
)

// BenchmarkImport measures the server's import rate: stations' backlogs
// uploaded packet by packet, each checked (enrolment, signature), opened
// and submitted through the normal intake path with duplicate screening
// on, as serve runs; stations=4 uploads from four stations at once.
// Sealing is done before the timer starts.
//
//	go test -run '^$' -bench Import -benchtime 300x ./internal/field/intake/
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("sqlite/stations=%d", n), func(b *testing.B) { benchImport(b, "", n) })
		b.Run(fmt.Sprintf("postgres/stations=%d", n), func(b *testing.B) {
			url, ok := storetest.PostgresURL(b)
			if !ok {
				b.Skipf("%s not set", storetest.EnvPostgres)
			}
			benchImport(b, url, n)
		})
	}
}

func benchImport(b *testing.B, dbURL string, stations int) {
	ctx := context.Background()
	ao := auth.DefaultOptions()
	ao.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(b.TempDir(), "data"), DBURL: dbURL, Create: true, Auth: &ao, Screening: true})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	st := apptest.Site(b, a, "St. Rose church", site.KindPartner)
	sup := apptest.Staff(b, a, "super", auth.RoleSupervisor, st.ID)
	ss := make([]*apptest.Station, stations)
	for i := range ss {
		ss[i] = apptest.EnrolStation(b, a, fmt.Sprintf("Laptop %d", i+1), &sup, st.ID)
	}
	base := apptest.FieldIntake(b, "Bench")
	// The station sends its photo already normalized.
	if base.Photo, err = photo.Normalize(bytes.NewReader(base.Photo), photo.DefaultSpec()); err != nil {
		b.Fatal(err)
	}
	packets := make([][]byte, b.N)
	sealedAt := time.Now().Add(-time.Hour)
	for i := range packets {
		in := base
		in.Person.GivenNames = fmt.Sprintf("Bench%c%c%c", 'A'+i%26, 'A'+i/26%26, 'A'+i/676%26)
		in.Person.DateOfBirth.Year = 1940 + i%60
		ref, err := enroll.NewReference(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		packets[i] = ss[i%stations].Seal(b, in, sealedAt, ref)
	}
	var next atomic.Int64
	b.ResetTimer()
	if stations == 1 {
		for _, p := range packets {
			up, err := a.Field.Receive(ctx, p)
			if err != nil || up.Result != wire.ResultImported {
				b.Fatalf("Receive = %+v, %v", up, err)
			}
		}
	} else {
		b.SetParallelism((stations + 1) / 2) // GOMAXPROCS 2: two goroutines per unit
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				up, err := a.Field.Receive(ctx, packets[next.Add(1)-1])
				if err != nil || up.Result != wire.ResultImported {
					b.Errorf("Receive = %+v, %v", up, err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "applications/s")
}
