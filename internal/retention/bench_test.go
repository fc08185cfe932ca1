package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/vault"
)

// BenchmarkPurge measures the purge of 100,000 rejected applications past
// their retention period (each a person with a wrapped data key and an
// application with sealed columns of realistic sizes, random bytes),
// reported as people erased per second.
//
//	go test -run '^$' -bench Purge -benchtime 1x ./internal/retention/
func BenchmarkPurge(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPurge(b, "") })
	b.Run("postgres", func(b *testing.B) {
		url, ok := storetest.PostgresURL(b)
		if !ok {
			b.Skipf("%s not set", storetest.EnvPostgres)
		}
		benchPurge(b, url)
	})
}

const purgeRecords = 100_000

func benchPurge(b *testing.B, dbURL string) {
	var erased int
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, dbURL)
		seedRejected(b, e, purgeRecords)
		e.clock.AddDays(200)
		eng := e.engine(b, defaultPolicy, Options{})
		b.StartTimer()
		t0 := time.Now()
		res, err := eng.Purge(ctx, e.clock.Now())
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if res.Done[store.DueRejected] != purgeRecords {
			b.Fatalf("purged %d, want %d", res.Done[store.DueRejected], purgeRecords)
		}
		erased += res.Done[store.DueRejected]
	}
	b.ReportMetric(float64(erased)/elapsed.Seconds(), "records/s")
}

// seedRejected inserts n rejected applications decided at the env's clock,
// straight through the store (the intake path would take minutes).
func seedRejected(b *testing.B, e *env, n int) {
	b.Helper()
	now := e.clock.Now()
	field := func(size int) []byte {
		buf := make([]byte, size)
		rand.Read(buf)
		return buf
	}
	const perTx = 5000
	for done := 0; done < n; done += perTx {
		err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := done; i < min(done+perTx, n); i++ {
				id := fmt.Sprintf("bench%07d", i)
				if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: "per_" + id, WrappedKey: field(49), KEKID: e.app.Vault.KEKID(), CreatedAt: now}); err != nil {
					return err
				}
				a := enroll.Record{ID: "app_" + id, Reference: "R" + id, PersonID: "per_" + id, SiteID: e.clerk.SiteID,
					ClerkID: e.clerk.StaffID, Status: "rejected", Language: "es", AgeCategory: "adult", DecisionReason: "not_resident",
					NameDOBIndex: field(32),
					Sealed: enroll.Sealed{GivenNames: field(40), FirstSurname: field(36), SecondSurname: field(36), DateOfBirth: field(38),
						Sex: field(29), Address: field(140), Contact: field(70), Extras: field(60), Documents: field(160),
						Photo: field(12_000), Notes: field(50)},
					CreatedAt: now, UpdatedAt: now, SubmittedAt: now, DecidedAt: now}
				if _, err := tx.InsertApplication(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntakeEncryption compares the full intake (Submit through
// internal/enroll: validation, photo, blind index, sealing, SQL, audit)
// with the per-field encryption alone for the same application (a fresh
// data key, wrapped, and the 11 sealed columns with the same photo), and
// reports the encryption's share of intake time and the intake throughput
// ratio with/without it (estimated as intake / (intake − sealing)).
//
//	go test -run '^$' -bench IntakeEncryption -benchtime 300x ./internal/retention/
func BenchmarkIntakeEncryption(b *testing.B) {
	e := newEnv(b, "")
	base := resident(1, "Benchmark")
	jpeg, err := photo.Normalize(bytes.NewReader(base.Photo), photo.DefaultSpec())
	if err != nil {
		b.Fatal(err)
	}
	base.Photo = jpeg
	v := e.app.Vault
	seal := func(row string) {
		dk, _, err := v.NewDataKey()
		if err != nil {
			b.Fatal(err)
		}
		defer dk.Destroy()
		bind := func(c string) vault.Binding { return vault.Binding{Table: "applications", Column: c, Row: row} }
		p := base.Person
		fields := map[string][]byte{"given_names": []byte(p.GivenNames), "first_surname": []byte(p.FirstSurname),
			"second_surname": []byte(p.SecondSurname), "date_of_birth": []byte(p.DateOfBirth.String()), "sex": []byte(p.Sex),
			"address": make([]byte, 120), "contact": make([]byte, 50), "extras": make([]byte, 40), "documents": make([]byte, 140),
			"notes": make([]byte, 30), "photo": jpeg}
		for c, v := range fields {
			if _, err := dk.Seal(bind(c), v); err != nil {
				b.Fatal(err)
			}
		}
	}
	var intake, sealing time.Duration
	for i := 0; i < b.N; i++ {
		in := base
		in.IdempotencyKey = fmt.Sprintf("bench-%d", i)
		t0 := time.Now()
		if _, err := e.app.Enroll.Submit(ctx, e.clerk, "", in); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		seal(fmt.Sprintf("app_%d", i))
		sealing += time.Since(t1)
		intake += t1.Sub(t0)
	}
	b.ReportMetric(float64(b.N)/intake.Seconds(), "intakes/s")
	b.ReportMetric(float64(sealing.Microseconds())/float64(b.N), "µs-sealing/op")
	b.ReportMetric(100*sealing.Seconds()/intake.Seconds(), "%-sealing")
	b.ReportMetric(intake.Seconds()/(intake.Seconds()-sealing.Seconds()), "ratio-with/without")
}
