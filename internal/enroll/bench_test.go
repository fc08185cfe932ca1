package enroll_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/store/storetest"
)

// BenchmarkIntake measures complete applications per second through the
// service layer: create with documents, photo and fee, submit, approve.
//
//	go test -run '^$' -bench Intake -benchtime 2000x ./internal/enroll/
func BenchmarkIntake(b *testing.B) { benchEach(b, benchIntake) }

// benchEach runs a benchmark on SQLite and, when configured, PostgreSQL.
func benchEach(b *testing.B, run func(b *testing.B, dbURL string)) {
	b.Run("sqlite", func(b *testing.B) { run(b, "") })
	b.Run("postgres", func(b *testing.B) {
		url, ok := storetest.PostgresURL(b)
		if !ok {
			b.Skipf("%s not set", storetest.EnvPostgres)
		}
		run(b, url)
	})
}

func benchIntake(b *testing.B, dbURL string) {
	e := newEnv(b, dbURL)
	base := intake(b, "Benchmark", "Resident")
	// The photo as a workstation camera sends it: already near ID size.
	jpeg, err := photo.Normalize(bytesReader(base.Photo), photo.DefaultSpec())
	if err != nil {
		b.Fatal(err)
	}
	base.Photo = jpeg
	var n atomic.Int64
	b.ResetTimer()
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := base
			in.IdempotencyKey = fmt.Sprintf("bench-%d", n.Add(1))
			a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
			if err != nil {
				b.Error(err)
				return
			}
			if err := e.app.Enroll.Approve(ctx, e.supervisor, a.ID, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "applications/s")
}

// BenchmarkReceiptRead is the receipt's audited read of a just-submitted
// application, with the sealed photo (Get) and without (GetWithoutPhoto).
//
//	go test -run '^$' -bench ReceiptRead/postgres -benchtime 2000x -count 3 ./internal/enroll/
func BenchmarkReceiptRead(b *testing.B) {
	run := func(b *testing.B, dbURL string) {
		e := newEnv(b, dbURL)
		in := intake(b, "Receipt", "Reader")
		a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			get  func() (*enroll.Application, error)
		}{
			{"photo", func() (*enroll.Application, error) {
				return e.app.Enroll.Get(ctx, e.clerkA, a.ID, enroll.PurposeReceipt)
			}},
			{"without_photo", func() (*enroll.Application, error) {
				return e.app.Enroll.GetWithoutPhoto(ctx, e.clerkA, a.ID, enroll.PurposeReceipt)
			}},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := c.get(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	benchEach(b, run)
}

// BenchmarkCheck is the live evidence evaluation the intake form calls.
func BenchmarkCheck(b *testing.B) {
	e := newEnv(b, "")
	in := intake(b, "Check", "Live")
	in.Photo = nil
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _, _ := e.app.Enroll.Check(in)
		if !res.OK {
			b.Fatal("evidence not OK")
		}
	}
}

var _ = enroll.StatusDraft
