package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// A scrape counts applications and cards by status: exact at every scrape
// while counting is quick, and at most once a minute once it is slow (a
// scan of 1.5 million rows on every scrape of every server is what the
// kept counts spare the database).
func TestCountsKeptOnceSlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			name      string
			slow      time.Duration
			wantCalls []int // after each of the scrapes below
		}{
			{"quick counts stay exact", time.Hour, []int{2, 4, 6}},
			{"slow counts are kept a minute", 0, []int{2, 2, 4}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
				calls := 0
				c := &dbCollector{m: New(db), now: func() time.Time { return now }, slow: tc.slow, keep: time.Minute,
					count: func(ctx context.Context, table string) (map[string]int, error) {
						calls++
						return db.CountBy(ctx, table)
					}}
				reg := prometheus.NewRegistry()
				reg.MustRegister(c)
				scrape := func(step int, advance time.Duration) {
					now = now.Add(advance)
					fams, err := reg.Gather()
					if err != nil {
						t.Fatal(err)
					}
					up := -1.0
					for _, f := range fams {
						if f.GetName() == "cityid_database_up" {
							up = f.GetMetric()[0].GetGauge().GetValue()
						}
					}
					if up != 1 {
						t.Errorf("scrape %d: cityid_database_up = %v, want 1", step, up)
					}
					if calls != tc.wantCalls[step] {
						t.Errorf("scrape %d: %d counts run, want %d", step, calls, tc.wantCalls[step])
					}
				}
				scrape(0, 0)
				scrape(1, 15*time.Second)
				scrape(2, time.Minute)
			})
		}
	})
}

// A database that does not answer is reported down, kept counts or not.
func TestDatabaseDownReported(t *testing.T) {
	db := storetest.SQLite(t)
	c := &dbCollector{m: New(db), now: time.Now, count: db.CountBy, slow: 0, keep: time.Hour}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "cityid_database_up" {
			if v := f.GetMetric()[0].GetGauge().GetValue(); v != 0 {
				t.Errorf("cityid_database_up = %v with the database closed, want 0", v)
			}
			return
		}
	}
	t.Error("no cityid_database_up")
}
