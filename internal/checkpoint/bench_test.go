package checkpoint

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// BenchmarkAppend measures audit appends (one event per transaction, as the
// services write them) with a signer following the log in the background,
// checkpointing every 1000 events, against appends with no signer.
func BenchmarkAppend(b *testing.B) {
	for _, dbc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		for _, withCheckpoints := range []bool{false, true} {
			name := dbc.name + "/plain"
			if withCheckpoints {
				name = dbc.name + "/checkpoints"
			}
			b.Run(name, func(b *testing.B) {
				db := dbc.open(b)
				ctx := context.Background()
				var s *Service
				done := make(chan error)
				rctx, cancel := context.WithCancel(ctx)
				defer cancel()
				if withCheckpoints {
					s = New(db, newVault(b), Options{Every: 1000, Poll: time.Second})
					go func() { done <- s.Run(rctx) }()
				}
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					err := db.InTx(ctx, func(tx *store.Tx) error {
						return tx.AppendAudit(ctx, audit.Event{Actor: "stf_bench", Action: "application.read",
							RecordType: "application", RecordID: "app_bench", Purpose: "review"})
					})
					if err != nil {
						b.Fatal(err)
					}
					if s != nil {
						s.Notify()
					}
				}
				if s != nil {
					// Count the signer's catching up with the last events.
					if _, err := s.Tick(ctx); err != nil {
						b.Fatal(err)
					}
				}
				elapsed := time.Since(start)
				b.StopTimer()
				cancel()
				if s != nil {
					<-done
					cps, _ := db.AuditCheckpoints(ctx)
					b.ReportMetric(float64(len(cps)), "checkpoints")
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkVerifyLog measures `cityid audit verify` over a log with
// checkpoints every 1000 events.
func BenchmarkVerifyLog(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	const n = 20000
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for range n {
			if err := tx.AppendAudit(ctx, audit.Event{Actor: "stf_bench", Action: "auth.login"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := New(db, newVault(b), Options{Every: 1000}).Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := VerifyLog(ctx, db, nil, nil)
		if err != nil || r.Problem != nil || r.Events != n {
			b.Fatalf("VerifyLog = %+v, %v", r, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFollow measures how fast a signer catches up with a log of
// 10,000 events it has not seen (reading, checking links, hashing the tree
// and signing a checkpoint every 1000 events): the work a checkpoint costs,
// free of the append contention in BenchmarkAppend.
func BenchmarkFollow(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	const n = 10000
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for range n {
			if err := tx.AppendAudit(ctx, audit.Event{Actor: "stf_bench", Action: "auth.login"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	v := newVault(b)
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for b.Loop() {
		b.StopTimer()
		if _, err := raw.Exec("DELETE FROM audit_checkpoints"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cps, err := New(db, v, Options{Every: 1000}).Tick(ctx)
		if err != nil || len(cps) != n/1000 {
			b.Fatalf("Tick = %d checkpoints, %v", len(cps), err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
