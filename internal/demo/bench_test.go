package demo_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/store/storetest"
)

// BenchmarkBulk measures the bulk loader (demo.Bulk, what `cityid demo`
// runs) in residents per second: generation, validation, sealing,
// screening against the in-memory index and batched inserts with audit.
//
//	CITYID_TEST_POSTGRES=… go test -run '^$' -bench Bulk -benchtime 20000x ./internal/demo/
func BenchmarkBulk(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchBulk(b, "") })
	b.Run("postgres", func(b *testing.B) {
		url, ok := storetest.PostgresURL(b)
		if !ok {
			b.Skipf("%s not set", storetest.EnvPostgres)
		}
		benchBulk(b, url)
	})
}

func benchBulk(b *testing.B, dbURL string) {
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(b.TempDir(), "data"), DBURL: dbURL, Create: true, Auth: &opts, Screening: true})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	cpu0 := cpuTime()
	b.ResetTimer()
	res, err := demo.Bulk(ctx, a, demo.Options{Residents: b.N, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if res.Submitted != b.N {
		b.Fatalf("Bulk loaded %d, want %d", res.Submitted, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "residents/s")
	// CPU time of this process (not PostgreSQL's) per resident: on a
	// shared machine the rate depends on the neighbours, this much less.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/resident")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
