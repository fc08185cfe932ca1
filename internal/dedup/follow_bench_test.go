package dedup_test

import (
	"fmt"
	"testing"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store/storetest"
	"github.com/cityid/cityid/internal/synth"
)

// BenchmarkFollowRead is what following the change feed costs a server for
// another server's applications: reading them (lean columns and wrapped
// key) and decrypting what screening needs, 100 at a time as a poll under
// load would. With -cpuprofile it splits the database read from the
// decryption.
//
//	go test -run '^$' -bench FollowRead -benchtime 50x -cpuprofile cpu.out ./internal/dedup/
func BenchmarkFollowRead(b *testing.B) {
	url, ok := storetest.PostgresURL(b)
	if !ok {
		b.Skipf("%s not set", storetest.EnvPostgres)
	}
	srvA, srvB, e := twoServers(b, url)
	g := synth.New(50)
	var ids []string
	for i := range 100 {
		ids = append(ids, e.submit(b, g.Person(), fmt.Sprintf("bench-%d", i)).ID)
	}
	_ = srvA
	n := 0
	for b.Loop() {
		err := srvB.Enroll.ScreeningState(ctx, ids, func(_, _ string, p *person.Person) error {
			if p != nil {
				n++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if n != 100*b.N {
		b.Fatalf("%d of %d applications opened", n, 100*b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/application")
}
