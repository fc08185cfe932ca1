package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
)

// BenchmarkStaffPages measures page latency with 1 and 50 signed-in
// clerks on loopback, each cycling through the dashboard, the site's
// application list (100 rows) and the intake form, against a real
// SQLite-backed server.
//
//	go test -run=^$ -bench=StaffPages -benchtime=3000x ./internal/web/
func BenchmarkStaffPages(b *testing.B) {
	for _, clerks := range []int{1, 50} {
		b.Run(fmt.Sprintf("clerks=%d", clerks), func(b *testing.B) { benchPages(b, clerks) })
	}
}

func benchPages(b *testing.B, clerks int) {
	e := newEnv(b)
	ctx := context.Background()
	clients := make([]*client, clerks)
	for i := range clerks {
		name := fmt.Sprintf("clerk%02d", i)
		st := e.addStaff(b, name, auth.RoleClerk, e.siteA.ID)
		clients[i] = e.signIn(b, name, testPassword)
		if i == 0 {
			// Some history on the list page: 100 drafts.
			actor := auth.Actor{StaffID: st.ID, Username: name, Role: auth.RoleClerk, SiteID: e.siteA.ID}
			for j := range 100 {
				_, err := e.app.Enroll.SaveDraft(ctx, actor, "", enroll.Intake{Person: person.Person{
					GivenNames: "Ana", FirstSurname: fmt.Sprintf("Bench%c%c", rune('a'+j/26), rune('a'+j%26)), Language: "en"}})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	pages := []string{"/staff", "/staff/applications", "/staff/intake"}
	var mu sync.Mutex
	var lat []time.Duration
	next := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range clerks {
		wg.Add(1)
		go func(c *client) {
			defer wg.Done()
			var mine []time.Duration
			for n := range next {
				path := pages[n%len(pages)]
				t0 := time.Now()
				r := c.get(b, path)
				d := time.Since(t0)
				if r.Status != http.StatusOK {
					b.Errorf("GET %s = %d", path, r.Status)
				}
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(clients[i])
	}
	for n := range b.N {
		next <- n
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
