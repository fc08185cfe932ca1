package linkage

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// TestPackRoundTrip: a packed record unpacks to exactly what prepare made,
// for the fingerprint probes, synthetic residents and their duplicates, and
// a record with more name tokens than unpacked holds without allocating.
func TestPackRoundTrip(t *testing.T) {
	if n, want := reflect.TypeFor[prepared]().NumField(), 26; n != want {
		t.Fatalf("prepared has %d fields, pack and unpack handle %d: add the new ones to packedStrings and unpack, then update this count", n, want)
	}
	nick := NewNicknames()
	recs := append([]Record(nil), fingerprintProbes...)
	recs = append(recs, Record{GivenNames: strings.Repeat("Ana María José ", 12), FirstSurname: strings.Repeat("García López ", 10),
		SecondSurname: "de la Peña", DateOfBirth: "2001-02-03", Street: "1 Main St", City: "Ciudad de México", Email: "a@b.c"})
	g := synth.New(9)
	for range 2000 {
		p := g.Person()
		recs = append(recs, FromPerson("", p), FromPerson("", g.Duplicate(p)))
	}
	for i := range recs {
		p := prepare(&recs[i], nick)
		var arr [maxPackedStrings]string
		got := unpack(pack(p), &arr)
		if diff := cmp.Diff(p, &got, cmp.AllowUnexported(prepared{}, date{})); diff != "" {
			t.Fatalf("record %d after pack and unpack (-prepared +unpacked):\n%s", i, diff)
		}
	}
}

// TestPackedIndexScreensAsBefore: an index keeping its residents packed
// gives the same candidates, weights and explanations as the same index
// with every resident's prepared record in full (the layout before packing),
// on a synthetic population and second applications, relatives and
// strangers screened against it.
func TestPackedIndexScreensAsBefore(t *testing.T) {
	ix, people, g := loadIndex(t, Options{}, 4000)
	full := unpackedClone(t, ix)
	var apps []Record
	for i := 0; i < len(people); i += 10 {
		apps = append(apps, FromPerson("", g.Duplicate(people[i])), FromPerson("", g.Relative(people[i+1], synth.Sibling)), FromPerson("", g.Person()))
	}
	found := 0
	for k, r := range apps {
		got, want := ix.Screen(r), full.Screen(r)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("application %d: candidates differ (-full +packed):\n%s", k, diff)
		}
		if len(got) > 0 {
			found++
			id := got[0].ID
			ge, err1 := ix.Explain(id, r)
			we, err2 := full.Explain(id, r)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if diff := cmp.Diff(we, ge); diff != "" {
				t.Fatalf("application %d: explanation differs (-full +packed):\n%s", k, diff)
			}
		}
	}
	if found < len(apps)/4 { // the second applications, a third of them
		t.Fatalf("only %d of %d applications had candidates: the comparison shows little", found, len(apps))
	}
	t.Logf("%d applications, %d with candidates", len(apps), found)
}

// unpackedClone returns ix with every resident's record unpacked into a
// prepared of its own: the layout before packing, for comparisons.
func unpackedClone(t testing.TB, ix *Index) *Index {
	full := &Index{opt: ix.opt, sc: ix.sc, slot: ix.slot, ids: ix.ids, postings: ix.postings, coResidents: ix.coResidents,
		entries: make([]entry, len(ix.entries))}
	for i, e := range ix.entries {
		if !e.packed() {
			t.Fatalf("entry %d is not packed", i)
		}
		var arr [maxPackedStrings]string
		p := unpack(e.pk, &arr)
		p.given, p.sur, p.surDM, p.surSp = slices.Clone(p.given), slices.Clone(p.sur), slices.Clone(p.surDM), slices.Clone(p.surSp)
		e.p, e.pk = &p, ""
		full.entries[i] = e
	}
	return full
}

// BenchmarkScreenLayout screens second applications against one index of
// -linkage.residents synthetic residents kept packed and the same index with
// full prepared records: the cost of unpacking, as a ratio in one run.
//
//	go test -run '^$' -bench ScreenLayout ./internal/linkage -args -linkage.residents=100000
func BenchmarkScreenLayout(b *testing.B) {
	ix, people, g := loadIndex(b, Options{}, min(*benchResidents, 200_000))
	full := unpackedClone(b, ix)
	apps := make([]Record, 500)
	for i := range apps {
		apps[i] = FromPerson("", g.Duplicate(people[i*(len(people)/len(apps))]))
	}
	for _, c := range []struct {
		name string
		ix   *Index
	}{{"packed", ix}, {"full", full}, {"packed-again", ix}, {"full-again", full}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				c.ix.Screen(apps[i%len(apps)])
			}
		})
	}
}

// BenchmarkPack packs and unpacks prepared records of synthetic residents.
func BenchmarkPack(b *testing.B) {
	nick := NewNicknames()
	g := synth.New(3)
	var ps []*prepared
	var pks []string
	for range 256 {
		r := FromPerson("", g.Person())
		ps = append(ps, prepare(&r, nick))
		pks = append(pks, pack(ps[len(ps)-1]))
	}
	b.Run("pack", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			pack(ps[i&255])
		}
	})
	b.Run("unpack", func(b *testing.B) {
		var arr [maxPackedStrings]string
		for i := 0; b.Loop(); i++ {
			unpack(pks[i&255], &arr)
		}
	})
}

// TestAddBatchAsAdd: AddBatch gives the index that Adds one by one in the
// same order give — the same slots, model after Train, and candidates —
// including a record given again (replaced) within one batch.
func TestAddBatchAsAdd(t *testing.T) {
	g := synth.New(21)
	var ids []string
	var recs []Record
	var people []person.Person
	for i := range 3000 {
		p := g.Person()
		people = append(people, p)
		ids, recs = append(ids, fmt.Sprintf("r%d", i)), append(recs, FromPerson("", p))
		if i%500 == 7 {
			ids, recs = append(ids, fmt.Sprintf("r%d", i-3)), append(recs, FromPerson("", g.Duplicate(p)))
		}
	}
	one, _ := NewIndex(Options{}, nil)
	for i := range recs {
		one.Add(ids[i], recs[i])
	}
	one.Train(1)
	// One worker (a server that serves while it loads) and several.
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			batch, _ := NewIndex(Options{Workers: workers}, nil)
			for start := 0; start < len(recs); start += 700 {
				end := min(start+700, len(recs))
				batch.AddBatch(ids[start:end], recs[start:end])
			}
			if !slices.Equal(one.ids, batch.ids) || !slices.Equal(one.free, batch.free) {
				t.Fatal("AddBatch put residents in other slots than Add")
			}
			batch.Train(1)
			if diff := cmp.Diff(one.Model(), batch.Model()); diff != "" {
				t.Fatalf("models differ (-Add +AddBatch):\n%s", diff)
			}
			for i := 0; i < len(people); i += 37 {
				r := FromPerson("", g.Duplicate(people[i]))
				if diff := cmp.Diff(one.Screen(r), batch.Screen(r)); diff != "" {
					t.Fatalf("record %d: candidates differ (-Add +AddBatch):\n%s", i, diff)
				}
			}
		})
	}
}

// BenchmarkBuild builds an index of -linkage.residents synthetic residents
// (at most 300,000) with Add one by one, as a rebuild did, and with
// AddBatch of 1,024 records: µs a resident, wall and CPU (the process's,
// all cores): on a quiet machine AddBatch's wall time is about its CPU
// time over the cores.
//
//	go test -run '^$' -bench Build -benchtime 1x ./internal/linkage -args -linkage.residents=300000
func BenchmarkBuild(b *testing.B) {
	n := min(*benchResidents, 300_000)
	g := synth.New(77)
	ids, recs := make([]string, n), make([]Record, n)
	for i := range recs {
		ids[i], recs[i] = fmt.Sprint(i), FromPerson("", g.Person())
	}
	for _, batch := range []bool{false, true} {
		name := "add"
		if batch {
			name = "batch"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				ix, _ := NewIndex(Options{}, nil)
				ix.Reserve(n)
				cpu0 := cpuTime()
				start := time.Now()
				if batch {
					for s := 0; s < n; s += 1024 {
						ix.AddBatch(ids[s:min(s+1024, n)], recs[s:min(s+1024, n)])
					}
				} else {
					for i := range recs {
						ix.Add(ids[i], recs[i])
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "µs/resident")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/resident")
				b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MiB")
				runtime.KeepAlive(ix)
			}
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set (VmHWM), 0 where /proc has
// none: of the whole benchmark so far, so run one sub-benchmark a process
// (-bench Build/batch) to compare settings such as GOGC.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
