package linkage

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// crowdedCity has one person entered twice whose every shared block is over
// the cap: María García born 1980, first with 1980-03-04 and no address, then
// with the day and month mistyped (1980-07-09), among many Garcías born in
// 1980, many María Garcías born in other years and many Marías born in 1980.
func crowdedCity() []Record {
	var recs []Record
	given := []string{"Ana", "Lucia", "Carmen", "Rosa", "Elena", "Pilar", "Sofia", "Isabel", "Teresa", "Dolores",
		"Juana", "Beatriz", "Irene", "Julia", "Marta", "Sara", "Silvia", "Raquel", "Noemi", "Alicia", "Ines", "Olga",
		"Paula", "Clara", "Eva"}
	surnames := []string{"Lopez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz",
		"Morales", "Ortiz", "Gutierrez", "Chavez", "Ramos", "Ruiz", "Alvarez", "Mendoza", "Castillo", "Jimenez",
		"Moreno", "Romero", "Herrera", "Medina", "Aguilar"}
	for i := range 25 {
		recs = append(recs,
			Record{ID: fmt.Sprintf("g%d", i), GivenNames: given[i], FirstSurname: "Garcia", DateOfBirth: fmt.Sprintf("1980-%02d-%02d", 1+i%12, 1+i), Truth: fmt.Sprintf("g%d", i)},
			Record{ID: fmt.Sprintf("y%d", i), GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: fmt.Sprintf("%d-%02d-%02d", 1950+i, 1+i%12, 1+i), Truth: fmt.Sprintf("y%d", i)},
			Record{ID: fmt.Sprintf("m%d", i), GivenNames: "Maria", FirstSurname: surnames[i], DateOfBirth: fmt.Sprintf("1980-%02d-%02d", 1+i%12, 2+i), Truth: fmt.Sprintf("m%d", i)})
	}
	return append(recs,
		Record{ID: "a", GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: "1980-03-04", Truth: "maria"},
		Record{ID: "b", GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: "1980-07-09", Truth: "maria"})
}

func TestOversizedBlocksIntersected(t *testing.T) {
	recs := crowdedCity()
	for _, only := range []bool{true, false} {
		res, err := Dedup(context.Background(), recs, Options{MaxBlock: 20, BlockingOnly: only, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.SkippedBlocks == 0 {
			t.Fatalf("BlockingOnly=%v: no block over the cap; the test city is not crowded enough", only)
		}
		if res.Stats.CandidateMatches != 1 {
			t.Errorf("BlockingOnly=%v: %d true pairs among the candidates, want 1 (María García 1980 twice, compared in the intersection of her oversized blocks)",
				only, res.Stats.CandidateMatches)
		}
		if only && len(res.Pairs) != 0 {
			t.Errorf("BlockingOnly: %d pairs, want none (nothing compared)", len(res.Pairs))
		}
	}
}

func TestIntersectionWithinItsCap(t *testing.T) {
	// 30 identical María Garcías born 1980 on different days: the
	// intersection of their blocks is itself over the cap and is skipped,
	// so the number of candidates stays bounded.
	var recs []Record
	for i := range 30 {
		recs = append(recs, Record{ID: fmt.Sprint(i), GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: fmt.Sprintf("1980-%02d-%02d", 1+i%12, 1+i%28)})
	}
	res, err := Dedup(context.Background(), recs, Options{MaxBlock: 20, BlockingOnly: true, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Only birth-date blocks (at most 3 of the same date) remain.
	if res.Stats.Candidates > 30 {
		t.Errorf("%d candidates among 30 look-alikes over the cap, want only those sharing a birth date", res.Stats.Candidates)
	}
}

// Screening an application against the index finds, like a batch run, the
// resident whose every shared block is over the cap, through the
// intersection of those blocks; and it compares no crowd.
func TestScreenIntersectsOversizedBlocks(t *testing.T) {
	recs := crowdedCity()
	ix, err := NewIndex(Options{MaxBlock: 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:len(recs)-1] { // all but "b", the new application
		ix.Add(r.ID, r)
	}
	// The untrained default model of so small an index does not score the
	// pair above review (a batch's trained one does); what is tested here is
	// that screening compares her at all.
	app := ix.entryOf(&recs[len(recs)-1])
	if _, n := ix.screen(&app); n == 0 || n > crossCap(20) {
		t.Errorf("compared %d residents, want María García 1980-03-04 among at most %d: her blocks are all over the cap and must be intersected", n, crossCap(20))
	}
	// Thirty identical look-alikes: their intersection is over its own cap,
	// so the application is compared with none of them.
	ix2, err := NewIndex(Options{MaxBlock: 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		ix2.Add(fmt.Sprint(i), Record{GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: fmt.Sprintf("1980-%02d-%02d", 1+i%12, 1+i%28)})
	}
	if _, n := ix2.screen(ptr(ix2.entryOf(&Record{GivenNames: "Maria", FirstSurname: "Garcia", DateOfBirth: "1980-12-30"}))); n > 3 {
		t.Errorf("compared %d of 30 look-alikes over the cap, want only those of the same birth date", n)
	}
}

func ptr[T any](v T) *T { return &v }

// TestBlockPairsOnce: comparing block by block yields every candidate pair
// exactly once — the pairs that share a block within the cap or an
// intersection of oversized blocks, as taking each record with the union
// of its blocks does — both when deduplicating and when linking two files.
func TestBlockPairsOnce(t *testing.T) {
	recs, _ := synthPopulation(5, 3000)
	recs = append(recs, crowdedCity()...)
	// One key twice: both surnames alike.
	recs = append(recs, Record{GivenNames: "Ana", FirstSurname: "Garcia", SecondSurname: "Garcia", DateOfBirth: "1980-03-04"},
		Record{GivenNames: "Ana", FirstSurname: "Garcia", SecondSurname: "Garcia", DateOfBirth: "1980-03-04"})
	for _, split := range []int{0, 1700} {
		opt := Options{MaxBlock: 20, BlockingOnly: true, Workers: 2}
		if err := opt.defaults(); err != nil {
			t.Fatal(err)
		}
		b := &batch{opt: opt, split: split}
		if err := b.prepare(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		b.index()
		if b.cross == nil || b.skipped == 0 {
			t.Fatalf("split %d: no oversized block or no intersection kept; the population is not crowded enough", split)
		}
		// Each record with the union of its blocks.
		want := map[[2]int]bool{}
		for i := range b.entries {
			if split > 0 && i >= split {
				continue
			}
			keys := append(slices.Clone(b.entries[i].keys), b.cross[i]...)
			for _, k := range keys {
				for _, j32 := range b.blocks[k] {
					if j := int(j32); (split > 0 && j >= split) || (split == 0 && j > i) {
						want[[2]int{i, j}] = true
					}
				}
			}
		}
		b.compact()
		got := map[[2]int]int{}
		for k := range b.kept.len() {
			ids := b.kept.block(k)
			b.pairs(k, func(x, y int) { got[[2]int{int(ids[x]), int(ids[y])}]++ })
		}
		for p, n := range got {
			if n != 1 {
				t.Errorf("split %d: pair %v yielded %d times, want once", split, p, n)
			}
			if !want[p] {
				t.Errorf("split %d: pair %v yielded, but the records share no block", split, p)
			}
		}
		for p := range want {
			if got[p] == 0 {
				t.Errorf("split %d: pair %v sharing a block never yielded", split, p)
			}
		}
		if len(want) < 2000 {
			t.Errorf("split %d: %d candidate pairs, want a test over more", split, len(want))
		}
	}
}
