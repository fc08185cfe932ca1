package linkage

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

var benchResidents = flag.Int("linkage.residents", 1_000_000, "residents in the screening and batch benchmarks")

// BenchmarkScreen builds an index of synthetic residents and screens second
// applications against it; it reports the p95 latency of one screening, the
// index's heap (measured and estimated) and the share of duplicates found.
func BenchmarkScreen(b *testing.B) {
	n := *benchResidents
	g := synth.New(77)
	people := make([]person.Person, n)
	for i := range people {
		people[i] = g.Person()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ix.Add(fmt.Sprint(i), FromPerson("", people[i]))
			}
		}(w)
	}
	wg.Wait()
	ix.Train(1)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	apps := make([]Record, 1000)
	for i := range apps {
		apps[i] = FromPerson("", g.Duplicate(people[i*(n/len(apps))]))
	}
	lat := make([]time.Duration, 0, b.N)
	found, compared, aboveClear := 0, 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(apps)
		t0 := time.Now()
		c := ix.Screen(apps[k])
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		e := ix.entryOf(&apps[k])
		_, nc := ix.screen(&e)
		compared += nc
		if ex, err := ix.Explain(fmt.Sprint(k*(n/len(apps))), apps[k]); err == nil && ex.Probability >= DefaultAutoClear {
			aboveClear++
		}
		b.StartTimer()
		if len(c) > 0 && c[0].ID == fmt.Sprint(k*(n/len(apps))) {
			found++
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(ix.MemoryBytes())/(1<<20), "estimate-MB")
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(float64(found)/float64(b.N), "found")
	b.ReportMetric(float64(compared)/float64(b.N), "compared")
	// Share of originals whose pair with the application scores above
	// auto-clear: what a lower review threshold could reach.
	b.ReportMetric(float64(aboveClear)/float64(b.N), "above-autoclear")
}

// BenchmarkScreenResident screens residents of an index against the others
// down to the auto-clear threshold, as a spot-check draw does (one call per
// resident screened): ns/op is one resident, band-pairs how many pairs under
// the review threshold each had on average.
func BenchmarkScreenResident(b *testing.B) {
	n := *benchResidents
	g := synth.New(77)
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, n)
	recs := make([]Record, n)
	for i := range n {
		ids[i] = fmt.Sprint(i)
		p := g.Person()
		if i%10 == 9 {
			p = g.Duplicate(g.Person()) // some residents with a second form somewhere
		}
		recs[i] = FromPerson("", p)
	}
	ix.AddBatch(ids, recs)
	ix.Train(1)
	band := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs, err := ix.ScreenResident(ids[(i*7919)%n], DefaultAutoClear)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			if c.Probability < DefaultReview {
				band++
			}
		}
	}
	b.ReportMetric(float64(band)/float64(b.N), "band-pairs")
}

// BenchmarkDedup deduplicates synthetic residents plus a duplicate for one
// in ten, on every core; it reports seconds per run and the F1.
func BenchmarkDedup(b *testing.B) {
	recs, _ := synthPopulation(99, *benchResidents)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := Dedup(context.Background(), recs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "run-s")
		ev := Evaluate(recs, nil, res)
		b.ReportMetric(ev.F1, "F1")
		b.ReportMetric(ev.Precision, "precision")
		b.ReportMetric(ev.Recall, "recall")
		b.ReportMetric(ev.PairCompleteness, "PC")
		b.ReportMetric(res.Model.PriorM*1e9, "prior-e9")
		b.ReportMetric(float64(ev.Candidates)/float64(len(recs)), "cands/rec")
	}
}

// BenchmarkCompare measures one plaintext comparison of two prepared records.
func BenchmarkCompare(b *testing.B) {
	nick := NewNicknames()
	g := synth.New(3)
	var ps []*prepared
	for i := 0; i < 256; i++ {
		r := FromPerson("", g.Person())
		ps = append(ps, prepare(&r, nick))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		comparePlain(ps[i&255], ps[(i*7+3)&255], nick)
	}
}
