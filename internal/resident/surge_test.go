package resident

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
)

// surgeResult is what a rush produced.
type surgeResult struct {
	attempts, booked, full, other int
	p50, p99                      time.Duration
	elapsed                       time.Duration
}

// surge publishes `slots` one-person slots at a new site, makes `people`
// pre-applications, and fires people+retries booking POSTs over loopback
// from 200 concurrent clients: person p aims at slot p mod slots (as if the
// crowd spread over the list), and the first `retries` people send a
// second request with a new key (a second tab, an impatient tap). It then
// checks the invariants in the database.
func surge(t testing.TB, postgres bool, people, retries, slots int) surgeResult {
	t.Helper()
	e := newEnv(t, postgres, Options{Limits: Limits{FormsPerMinute: 1 << 30, FormsBurst: 1 << 30, LookupsPerMinute: 1 << 30, LookupsBurst: 1 << 30}})
	ctx := context.Background()
	st, err := e.app.Sites.Create(ctx, auth.System(), site.Site{Name: "Surge Hall", Kind: site.KindCityHall, Address: "1 Rush Sq"})
	if err != nil {
		t.Fatal(err)
	}
	perDay := min(slots, 100)
	days := (slots + perDay - 1) / perDay
	r := booking.DefaultRules()
	end := 9*60 + perDay*5
	day := []booking.Hours{{Open: "09:00", Close: fmt.Sprintf("%02d:%02d", end/60, end%60)}}
	r.Weekly = map[string][]booking.Hours{"sun": day, "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day}
	r.SlotMinutes, r.Capacity = 5, 1
	if err := e.site.Booking().SetRules(ctx, st.ID, r); err != nil {
		t.Fatal(err)
	}
	first := person.DateOf(e.clk.Now().AddDate(0, 0, 1))
	n, err := e.site.Booking().Publish(ctx, st.ID, first, person.DateOf(e.clk.Now().AddDate(0, 0, days)))
	if err != nil || n != slots {
		t.Fatalf("Publish = %d, %v; want %d", n, err, slots)
	}
	open, err := e.site.Booking().Open(ctx, st.ID, 0)
	if err != nil || len(open) != slots {
		t.Fatalf("Open = %d, %v; want %d", len(open), err, slots)
	}

	// People: distinct names (one live booking each is keyed on name + birth date).
	codes := make([]string, people)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for p := range people {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pp := person.Person{GivenNames: fmt.Sprintf("Persona%d", p), FirstSurname: "Prueba", DateOfBirth: person.Date{Year: 1980 + p%30, Month: time.Month(1 + p%12), Day: 1 + p%28}, Language: "es"}
			_, code, err := e.site.Preapps().Create(ctx, pp, nil, "", "")
			if err != nil {
				t.Error(err)
			}
			codes[p] = code
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	type attempt struct {
		person int
		form   url.Values
	}
	var attempts []attempt
	for p := range people + retries {
		who := p % people
		c, err := e.site.pow.challenge()
		if err != nil {
			t.Fatal(err)
		}
		f := url.Values{"step": {"book"}, "code": {codes[who]}, "site": {st.ID}, "slot": {open[who%slots].ID},
			"request_key": {fmt.Sprintf("req-%d", p)}, "pow_challenge": {c}, "pow_nonce": {Solve(c, e.site.pow.bits)}}
		attempts = append(attempts, attempt{who, f})
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 200}}
	lat := make([]time.Duration, len(attempts))
	outcome := make([]string, len(attempts))
	jobs := make(chan int)
	start := time.Now()
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				res, err := client.PostForm(e.ts.URL+"/es/book", attempts[i].form)
				if err != nil {
					outcome[i] = "error: " + err.Error()
					continue
				}
				var b strings.Builder
				buf := make([]byte, 32<<10)
				for {
					n, err := res.Body.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
				}
				res.Body.Close()
				lat[i] = time.Since(t0)
				body := b.String()
				switch {
				case res.StatusCode == http.StatusOK && strings.Contains(body, "Su cita quedó reservada."):
					outcome[i] = "booked"
				case res.StatusCode == http.StatusConflict && strings.Contains(body, "alguien acaba de tomar ese horario"):
					outcome[i] = "full"
				default:
					outcome[i] = fmt.Sprintf("status %d", res.StatusCode)
				}
			}
		}()
	}
	for i := range attempts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	res := surgeResult{attempts: len(attempts), elapsed: time.Since(start)}
	winners := map[int]bool{}
	for i, o := range outcome {
		switch o {
		case "booked":
			res.booked++
			winners[attempts[i].person] = true
		case "full":
			res.full++
		default:
			res.other++
			if res.other < 5 {
				t.Errorf("attempt %d: %s", i, o)
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]

	// Invariants, from the database.
	after, err := e.app.DB.Slots(ctx, storeFilter(st.ID))
	if err != nil {
		t.Fatal(err)
	}
	seats := 0
	for _, sl := range after {
		if sl.Booked > sl.Capacity {
			t.Errorf("slot %s holds %d of %d", sl.ID, sl.Booked, sl.Capacity)
		}
		seats += sl.Booked
	}
	live, persons, bookedSlots, err := e.app.DB.BookingCounts(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if live != slots || persons != slots || bookedSlots != slots || seats != slots || len(winners) != slots {
		t.Errorf("after the rush: %d bookings, %d people, %d slots, %d seats counted, %d people told 'booked'; want %d each",
			live, persons, bookedSlots, seats, len(winners), slots)
	}
	if res.other != 0 {
		t.Errorf("%d attempts got neither 'booked' nor 'full'", res.other)
	}
	return res
}

// TestSurgeSmall is the everyday version of the rush: 500 attempts for 50 slots.
func TestSurgeSmall(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			r := surge(t, pg, 400, 100, 50)
			t.Logf("%d attempts: %d booked answers, %d full; p50 %v p99 %v; %v", r.attempts, r.booked, r.full, r.p50, r.p99, r.elapsed)
		})
	}
}

// BenchmarkSurge is the launch-day rush: 5,000 booking attempts (4,000
// people, 1,000 of them twice) for 500 slots over loopback HTTP.
// Run: go test -run '^$' -bench Surge -benchtime 1x ./internal/resident
func BenchmarkSurge(b *testing.B) {
	for _, pg := range []bool{false, true} {
		b.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(b *testing.B) {
			var r surgeResult
			for range b.N {
				r = surge(b, pg, 4000, 1000, 500)
			}
			b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(r.attempts)/r.elapsed.Seconds(), "attempts/s")
			b.ReportMetric(float64(r.booked), "booked-answers")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func storeFilter(siteID string) store.SlotFilter { return store.SlotFilter{SiteID: siteID} }
