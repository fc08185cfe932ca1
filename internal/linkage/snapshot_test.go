package linkage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// snapshotOf writes ix's snapshot with its current model as the base.
func snapshotOf(t testing.TB, ix *Index) []byte {
	t.Helper()
	s, err := ix.Capture()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Write(&buf, ix.Model()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	ix, people, g := loadIndex(t, Options{}, 3000)
	// A removed and a replaced resident: the snapshot holds what is there now.
	ix.Remove("r7")
	ix.Add("r8", FromPerson("", people[9]))
	b := snapshotOf(t, ix)
	// The reader adding alone (a server that serves while it loads), and
	// with two goroutines adding beside it.
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			testSnapshotLoad(t, ix, people, g, b, workers)
		})
	}
}

func testSnapshotLoad(t *testing.T, ix *Index, people []person.Person, g *synth.Generator, b []byte, workers int) {
	loaded, err := NewIndex(Options{Workers: workers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := loaded.LoadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("LoadSnapshot: %v", err)
	}
	if info.Records != ix.Len() || loaded.Len() != ix.Len() {
		t.Fatalf("loaded %d records (info %d), want %d", loaded.Len(), info.Records, ix.Len())
	}
	if diff := cmp.Diff(ix.Model(), loaded.Model()); diff != "" {
		t.Errorf("model after load (-written +loaded):\n%s", diff)
	}
	if loaded.coResidents != ix.coResidents || loaded.ownForms != ix.ownForms {
		t.Errorf("co-residents, own forms = %v, %v; want %v, %v", loaded.coResidents, loaded.ownForms, ix.coResidents, ix.ownForms)
	}
	for i := 0; i < 300; i++ {
		app := FromPerson("", g.Duplicate(people[i]))
		if diff := cmp.Diff(ix.Screen(app), loaded.Screen(app)); diff != "" {
			t.Fatalf("Screen(duplicate of r%d) differs (-rebuilt +from snapshot):\n%s", i, diff)
		}
	}
	if c := loaded.Screen(FromPerson("", people[7])); len(c) > 0 && c[0].ID == "r7" {
		t.Errorf("removed resident r7 came back from the snapshot: %+v", c[0])
	}
	// A record loaded from a snapshot is removed from every block.
	loaded.Remove("r10")
	if c := loaded.Screen(FromPerson("", people[10])); len(c) > 0 && c[0].ID == "r10" {
		t.Errorf("r10 removed after the load is still screened: %+v", c[0])
	}
	loaded.Add("r10", FromPerson("", people[10]))
	// Interned strings: the loaded index holds no more than the original.
	if got, want := loaded.MemoryBytes(), ix.MemoryBytes(); got > want {
		t.Errorf("MemoryBytes from snapshot = %d, want ≤ %d (rebuilt)", got, want)
	}
}

// TestSnapshotFields keeps Write and LoadSnapshot in step with prepared: a
// field added to prepared fails here until both carry it.
func TestSnapshotFields(t *testing.T) {
	if n, want := reflect.TypeFor[prepared]().NumField(), 26; n != want {
		t.Fatalf("prepared has %d fields, the snapshot writes %d: add the new ones to snapWriter.prepared and snapReader.prepared, then update this count", n, want)
	}
	nick := NewNicknames()
	for i := range fingerprintProbes {
		p := prepare(&fingerprintProbes[i], nick)
		var buf bytes.Buffer
		sw := &snapWriter{table: map[string]uint64{}}
		sw.w = bufio.NewWriter(&buf)
		sw.prepared(p)
		sw.w.Flush()
		sr := &snapReader{r: bufio.NewReader(&buf)}
		got := sr.prepared()
		if sr.err != nil {
			t.Fatalf("probe %d: %v", i, sr.err)
		}
		if diff := cmp.Diff(p, got, cmp.AllowUnexported(prepared{}, date{})); diff != "" {
			t.Errorf("probe %d after a round trip (-prepared +read):\n%s", i, diff)
		}
	}
}

func TestSnapshotRefused(t *testing.T) {
	ix, _, _ := loadIndex(t, Options{}, 300)
	good := snapshotOf(t, ix)
	otherBuild := bytes.Clone(good)
	otherBuild[len(snapshotMagic)+1] ^= 1 // the fingerprint's first byte
	cases := map[string][]byte{
		"empty":       nil,
		"not one":     []byte("hello"),
		"truncated":   good[:len(good)/2],
		"no end":      good[:len(good)-2],
		"extra":       append(bytes.Clone(good), 'x'),
		"other build": otherBuild,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			fresh, _ := NewIndex(Options{}, nil)
			if _, err := fresh.LoadSnapshot(bytes.NewReader(b)); !errors.Is(err, ErrSnapshot) {
				t.Errorf("LoadSnapshot = %v, want ErrSnapshot", err)
			}
		})
	}
	bloom, _ := NewIndex(Options{Mode: ModeBloom, Key: testKey()}, nil)
	if _, err := bloom.Capture(); !errors.Is(err, ErrMode) {
		t.Errorf("Capture of a Bloom index = %v, want ErrMode", err)
	}
	if _, err := ix.LoadSnapshot(bytes.NewReader(good)); err == nil {
		t.Error("LoadSnapshot into a non-empty index succeeded")
	}
}

// FuzzLoadSnapshot: any bytes give records or ErrSnapshot, never a panic
// or a huge allocation.
func FuzzLoadSnapshot(f *testing.F) {
	ix, _, _ := loadIndex(f, Options{}, 20)
	f.Add(snapshotOf(f, ix))
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		fresh, _ := NewIndex(Options{}, nil)
		info, err := fresh.LoadSnapshot(bytes.NewReader(b))
		if err != nil && !errors.Is(err, ErrSnapshot) {
			t.Fatalf("LoadSnapshot = %v, want nil or ErrSnapshot", err)
		}
		if err == nil && info.Records != fresh.Len() {
			t.Fatalf("%d records reported, %d loaded", info.Records, fresh.Len())
		}
	})
}

// benchIndex builds a trained index of n synthetic residents.
func benchIndex(b *testing.B, n int) *Index {
	g := synth.New(77)
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		ix.Add(fmt.Sprint(i), FromPerson("", g.Person()))
	}
	ix.Train(1)
	return ix
}

// BenchmarkSnapshot builds an index of -linkage.residents synthetic
// residents, writes its snapshot and loads it into a new index; it reports
// the snapshot's size, the time to write and to load it, and the heap of
// the index rebuilt by Add against the one loaded from the snapshot.
func BenchmarkSnapshot(b *testing.B) {
	n := *benchResidents
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	h0 := heap()
	ix := benchIndex(b, n)
	built := heap() - h0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var buf bytes.Buffer
		s, err := ix.Capture()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Write(&buf, ix.Model()); err != nil {
			b.Fatal(err)
		}
		write := time.Since(t0)
		size := buf.Len()
		s = nil
		h1 := heap()
		t1 := time.Now()
		loaded, _ := NewIndex(Options{}, nil)
		loaded.Reserve(n)
		if _, err := loaded.LoadSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		load := time.Since(t1)
		buf = bytes.Buffer{}
		b.ReportMetric(float64(size)/(1<<20), "snapshot-MB")
		b.ReportMetric(write.Seconds(), "write-s")
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(float64(heap()-h1)/(1<<20), "loaded-heap-MB")
		b.ReportMetric(float64(built)/(1<<20), "built-heap-MB")
		runtime.KeepAlive(loaded)
	}
}

// BenchmarkLoadWhileServing loads a snapshot of -linkage.residents
// synthetic residents (at most 300,000) while "requests" arrive every
// 5 ms, each eight rounds of a 0.5 ms wait (a database round trip) and
// 0.1 ms of work, as a server that serves while its index loads sees
// them. It reports the requests' p50 and p99 and the load's seconds, with
// Workers GOMAXPROCS (the default: the reader and GOMAXPROCS-1 adding
// goroutines) and one fewer. Compare within one run: the machine's other
// work moves every figure.
func BenchmarkLoadWhileServing(b *testing.B) {
	n := min(*benchResidents, 300_000)
	snap := snapshotOf(b, benchIndex(b, n))
	request := func() time.Duration {
		start := time.Now()
		for range 8 {
			time.Sleep(500 * time.Microsecond)
			for t := time.Now(); time.Since(t) < 100*time.Microsecond; {
			}
		}
		return time.Since(start)
	}
	for _, workers := range []int{runtime.GOMAXPROCS(0), max(1, runtime.GOMAXPROCS(0)-1)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for range b.N {
				runtime.GC()
				loaded, _ := NewIndex(Options{Workers: workers}, nil)
				loaded.Reserve(n)
				done := make(chan time.Duration)
				go func() {
					t0 := time.Now()
					if _, err := loaded.LoadSnapshot(bytes.NewReader(snap)); err != nil {
						b.Error(err)
					}
					done <- time.Since(t0)
				}()
				var mu sync.Mutex
				var lat []time.Duration
				var wg sync.WaitGroup
				tick := time.NewTicker(5 * time.Millisecond)
				var load time.Duration
			loop:
				for {
					select {
					case load = <-done:
						break loop
					case <-tick.C:
						wg.Go(func() {
							d := request()
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
						})
					}
				}
				tick.Stop()
				wg.Wait()
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(load.Seconds(), "load-s")
				b.ReportMetric(pct(0.5), "req-p50-ms")
				b.ReportMetric(pct(0.99), "req-p99-ms")
				b.ReportMetric(float64(len(lat)), "requests")
			}
		})
	}
}
