package enroll_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
)

// BenchmarkAuditedReads is the staff application page's read (Get, with
// the photo) by 50 clerks at once: every read writes its audit event before
// the record is returned, so the readers meet on the audit chain. It reports
// reads per second and the readers' p50 and p99 latency. "busy" runs the
// reads beside GOMAXPROCS goroutines of CPU work that yield every 64 steps,
// as a server does in its first minute while its screening index loads.
//
//	go test ./internal/enroll -run '^$' -bench 'AuditedReads/postgres' -benchtime 3000x -count 3
func BenchmarkAuditedReads(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "busy"
		}
		b.Run(name, func(b *testing.B) {
			benchEach(b, func(b *testing.B, dbURL string) { benchAuditedReads(b, dbURL, busy) })
		})
	}
}

// auditedReaders is the number of clerks reading at once.
const auditedReaders = 50

func benchAuditedReads(b *testing.B, dbURL string, busy bool) {
	e := newEnv(b, dbURL)
	// Ten records, so readers of the same record meet as clerks do.
	ids := make([]string, 10)
	for i := range ids {
		a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(b, fmt.Sprintf("Reader%c", 'A'+i), "Audited"))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = a.ID
	}
	stop := make(chan struct{})
	var hogs sync.WaitGroup
	var spun atomic.Uint64
	if busy {
		for range runtime.GOMAXPROCS(0) {
			hogs.Go(func() { spun.Add(spin(stop)) })
		}
	}
	lat := make([][]time.Duration, auditedReaders)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for r := range auditedReaders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t0 := time.Now()
				if _, err := e.app.Enroll.Get(ctx, e.clerkA, ids[int(i)%len(ids)], enroll.PurposeReview); err != nil {
					b.Error(err)
					return
				}
				lat[r] = append(lat[r], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	hogs.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	q := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "reads/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// spin burns CPU in steps of a few microseconds, yielding every 64 steps
// as an index load does, until stop is closed.
func spin(stop <-chan struct{}) uint64 {
	x := uint64(1)
	for i := 0; ; i++ {
		for range 20000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if i%64 == 63 {
			select {
			case <-stop:
				return x
			default:
			}
			runtime.Gosched()
		}
	}
}
