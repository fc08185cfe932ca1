package metrics

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dbCollector reads the database's state at each scrape, bounded by a
// timeout so a slow database slows no scrape for long. The counts by status
// are a scan of every application and card: nothing in a small program,
// about a second at 1.5 million residents. Once a count takes longer than
// slowCount, its result is kept for keepCounts and scrapes in between
// report it (a program that size does not change much in a minute); a
// small program's counts stay exact at every scrape. cityid_database_up
// comes from a ping and the small reads, not from the counts.
type dbCollector struct {
	m     *Metrics
	now   func() time.Time
	count func(ctx context.Context, table string) (map[string]int, error) // the store's CountBy
	slow  time.Duration                                                   // a count this slow is kept…
	keep  time.Duration                                                   // …for this long

	mu   sync.Mutex
	kept map[string]keptCounts // by table
}

type keptCounts struct {
	at     time.Time
	counts map[string]int
}

const (
	slowCount  = 100 * time.Millisecond
	keepCounts = time.Minute
)

// countBy returns the counts of table by status, from the kept ones when
// they are fresh enough.
func (c *dbCollector) countBy(ctx context.Context, table string) (map[string]int, error) {
	now := c.now()
	c.mu.Lock()
	k, ok := c.kept[table]
	c.mu.Unlock()
	if ok && now.Sub(k.at) >= 0 && now.Sub(k.at) < c.keep {
		return maps.Clone(k.counts), nil
	}
	counts, err := c.count(ctx, table)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kept == nil {
		c.kept = map[string]keptCounts{}
	}
	if took := c.now().Sub(now); took >= c.slow {
		c.kept[table] = keptCounts{at: now, counts: maps.Clone(counts)}
	} else {
		delete(c.kept, table)
	}
	return counts, nil
}

var (
	descApps     = prometheus.NewDesc("cityid_applications", "Applications by workflow status.", []string{"status"}, nil)
	descCards    = prometheus.NewDesc("cityid_cards", "Cards by status.", []string{"status"}, nil)
	descPurge    = prometheus.NewDesc("cityid_purge_last_start_timestamp_seconds", "Start of the last retention purge.", nil, nil)
	descPurgeOK  = prometheus.NewDesc("cityid_purge_last_finished", "1 when the last retention purge finished, 0 when it was interrupted or is running.", nil, nil)
	descPurged   = prometheus.NewDesc("cityid_purge_last_people", "People the last purge erased or reduced.", []string{"kind"}, nil)
	descBackup   = prometheus.NewDesc("cityid_backup_last_success_timestamp_seconds", "Time of the last verified backup (audited backup.made).", nil, nil)
	descLeader   = prometheus.NewDesc("cityid_jobs_leader", "1 when this server runs the background jobs.", nil, nil)
	descUp       = prometheus.NewDesc("cityid_database_up", "1 when the database answered this scrape.", nil, nil)
	descPoolOpen = prometheus.NewDesc("cityid_db_pool_connections", "Database pool connections by state.", []string{"state"}, nil)
	descPoolWait = prometheus.NewDesc("cityid_db_pool_wait_total", "Times a query waited for a free connection.", nil, nil)
	descPoolSecs = prometheus.NewDesc("cityid_db_pool_wait_seconds_total", "Time spent waiting for a free connection.", nil, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descApps, descCards, descPurge, descPurgeOK, descPurged, descBackup, descLeader, descUp, descPoolOpen, descPoolWait, descPoolSecs} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	db := c.m.db
	st := db.PoolStats()
	ch <- prometheus.MustNewConstMetric(descPoolOpen, prometheus.GaugeValue, float64(st.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(descPoolOpen, prometheus.GaugeValue, float64(st.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(descPoolOpen, prometheus.GaugeValue, float64(st.MaxOpenConnections), "max")
	ch <- prometheus.MustNewConstMetric(descPoolWait, prometheus.CounterValue, float64(st.WaitCount))
	ch <- prometheus.MustNewConstMetric(descPoolSecs, prometheus.CounterValue, st.WaitDuration.Seconds())
	leading := 0.0
	if c.m.leading.Load() {
		leading = 1
	}
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, leading)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	up := 1.0
	if err := db.Ping(ctx); err != nil {
		up = 0
	}
	for _, t := range []struct {
		table string
		desc  *prometheus.Desc
	}{{"applications", descApps}, {"cards", descCards}} {
		counts, err := c.countBy(ctx, t.table)
		if err != nil {
			continue // a slow count is no sign the database is down
		}
		for status, n := range counts {
			if knownStatus[status] {
				ch <- prometheus.MustNewConstMetric(t.desc, prometheus.GaugeValue, float64(n), status)
			}
		}
	}
	if runs, err := db.RetentionRuns(ctx, 1); err != nil {
		up = 0
	} else if len(runs) == 1 {
		r := runs[0]
		ch <- prometheus.MustNewConstMetric(descPurge, prometheus.GaugeValue, float64(r.StartedAt.Unix()))
		ok := 0.0
		if !r.FinishedAt.IsZero() {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(descPurgeOK, prometheus.GaugeValue, ok)
		ch <- prometheus.MustNewConstMetric(descPurged, prometheus.GaugeValue, float64(r.Erased), "erased")
		ch <- prometheus.MustNewConstMetric(descPurged, prometheus.GaugeValue, float64(r.Reduced), "reduced")
	}
	if at, err := db.LastAudited(ctx, "backup_key", "backup.made"); err != nil {
		up = 0
	} else if !at.IsZero() {
		ch <- prometheus.MustNewConstMetric(descBackup, prometheus.GaugeValue, float64(at.Unix()))
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
}

// knownStatus are the workflow statuses of applications and cards (a
// fixed set: a value outside it is not a label).
var knownStatus = map[string]bool{
	"draft": true, "submitted": true, "needs_review": true, "approved": true, "rejected": true, "issued": true,
	"active": true, "suspended": true, "revoked": true, "expired": true, "replaced": true,
}
