package linkage

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// TestIndexHeapProfile writes a heap profile of an index of
// -linkage.residents synthetic residents (built with Add, as a server
// rebuilds it) to $CITYID_HEAP_PROFILE, taken while the index is live: the
// breakdown of where its bytes go (docs/operations.md). Skipped without it.
//
//	CITYID_HEAP_PROFILE=/tmp/ix.mem go test -run TestIndexHeapProfile -linkage.residents 300000 ./internal/linkage
//	go tool pprof -sample_index=inuse_space -top /tmp/ix.mem
func TestIndexHeapProfile(t *testing.T) {
	path := os.Getenv("CITYID_HEAP_PROFILE")
	if path == "" {
		t.Skip("CITYID_HEAP_PROFILE not set")
	}
	runtime.MemProfileRate = 4096
	n := *benchResidents
	g := synth.New(77)
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		var p person.Person = g.Person()
		ix.Add(fmt.Sprint(i), FromPerson("", p))
	}
	ix.Train(1)
	runtime.GC()
	runtime.ReadMemStats(&after)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
	live := float64(after.HeapAlloc - before.HeapAlloc)
	t.Logf("%d residents: heap %.1f MB (%.0f B a resident), estimate %.1f MB", n, live/(1<<20), live/float64(n), float64(ix.MemoryBytes())/(1<<20))
	runtime.KeepAlive(ix)
}
