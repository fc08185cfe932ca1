package linkage

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// synthPopulation returns n residents, a duplicate application for every
// tenth, and a hard negative (twin, junior/senior, sibling or namesake) for
// every tenth other; kind[i] says what record i is.
func synthPopulation(seed int64, n int) (recs []Record, kind []string) {
	g := synth.New(seed)
	add := func(p person.Person, truth, k string) {
		recs = append(recs, FromPerson(fmt.Sprint(len(recs)), p))
		recs[len(recs)-1].Truth = truth
		kind = append(kind, k)
	}
	rels := []synth.Relation{synth.Twin, synth.Junior, synth.Sibling, synth.Namesake}
	relNames := []string{"twin", "junior", "sibling", "namesake"}
	for i := 0; i < n; i++ {
		p := g.Person()
		add(p, fmt.Sprint(i), "resident")
		switch i % 10 {
		case 0:
			add(g.Duplicate(p), fmt.Sprint(i), "duplicate")
		case 5:
			r := (i / 10) % len(rels)
			add(g.Relative(p, rels[r]), fmt.Sprintf("%d-%s", i, relNames[r]), relNames[r])
		}
	}
	return recs, kind
}

// TestSyntheticHardNegatives checks recall on realistic duplicates and
// precision on the people most easily confused: twins, parent and child with
// one name, siblings and namesakes.
func TestSyntheticHardNegatives(t *testing.T) {
	recs, kind := synthPopulation(11, 20000)
	for _, mode := range []Mode{ModePlain, ModeBloom} {
		t.Run(mode.String(), func(t *testing.T) {
			res, err := Dedup(context.Background(), recs, Options{Mode: mode, Key: testKey()})
			if err != nil {
				t.Fatal(err)
			}
			ev := Evaluate(recs, nil, res)
			falseByKind := map[string]int{}
			for _, p := range res.Pairs {
				if recs[p.Left].Truth != recs[p.Right].Truth {
					falseByKind[kind[p.Left]+"/"+kind[p.Right]]++
				}
			}
			t.Logf("%s: P=%.4f R=%.4f F1=%.4f PC=%.4f RR=%.6f false=%v", mode, ev.Precision, ev.Recall, ev.F1, ev.PairCompleteness, ev.ReductionRatio, falseByKind)
			if ev.Recall < 0.92 {
				t.Errorf("recall on synthetic duplicates = %.4f, want ≥ 0.92", ev.Recall)
			}
			if ev.Precision < 0.96 {
				t.Errorf("precision with hard negatives = %.4f, want ≥ 0.96 (false pairs by kind: %v)", ev.Precision, falseByKind)
			}
		})
	}
}

func testKey() []byte {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	return key
}

// generatedCity makes a synthetic city of people and returns its
// applications read back from the FEBRL layout, with the generator's
// relations between different people.
func generatedCity(t *testing.T, people int, seed uint64) ([]Record, []Relation) {
	t.Helper()
	c := synth.NewCity(synth.CityOptions{People: people, Seed: seed})
	var febrl, rels bytes.Buffer
	if err := c.WriteFEBRL(&febrl, false, seed); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteRelations(&rels); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadCSV(&febrl, FEBRLMapping())
	if err != nil {
		t.Fatal(err)
	}
	relations, err := ReadRelations(&rels)
	if err != nil {
		t.Fatal(err)
	}
	return recs, relations
}

// TestCityLookAlikes runs a dedup of a generated city (households, twins,
// fathers and sons of one name, moves) and checks what a supervisor would
// notice: twins and a parent and child of one name are almost never
// linked, while people who moved still are. Seed 2 holds twins whose
// names are nicknames of others' ("Pamela" and "Patricia", "Joe" and
// "Joel"), a transliterated "Fatema" beside "Widad", and fathers and sons
// of one name whose forms carry "Jr" and "Sr" in either name box.
func TestCityLookAlikes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and deduplicates a city of 6,000 people")
	}
	recs, relations := generatedCity(t, 6000, 2)
	res, err := Dedup(context.Background(), recs, Options{Transitive: true})
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(recs, nil, res)
	bd := EvaluateBreakdown(recs, res, relations)
	twins, jr := bd.Related["twin"], bd.Related["parent_child_same_name"]
	t.Logf("P=%.4f R=%.4f F1=%.4f movers %d/%d twins %d/%d parent/child of one name %d/%d", ev.Precision, ev.Recall, ev.F1,
		bd.Movers.Linked, bd.Movers.Pairs, twins.Linked, twins.Pairs, jr.Linked, jr.Pairs)
	if twins.Pairs == 0 || jr.Pairs == 0 {
		t.Fatalf("the city has %d twin and %d parent/child pairs, want some of each", twins.Pairs, jr.Pairs)
	}
	if r := float64(twins.Linked+jr.Linked) / float64(twins.Pairs+jr.Pairs); r > 0.01 {
		t.Errorf("twins and parent/child of one name linked: %d/%d and %d/%d (%.1f%%), want ≤ 1%%",
			twins.Linked, twins.Pairs, jr.Linked, jr.Pairs, 100*r)
	}
	// One twin pair may be: "Joe" and "Joel", which one person's forms
	// give as well (a letter dropped).
	if twins.Linked > 1 {
		t.Errorf("twins linked: %d/%d record pairs, want at most one in this city", twins.Linked, twins.Pairs)
	}
	if bd.Movers.Rate < 0.95 {
		t.Errorf("movers linked: %d/%d, want ≥ 95%%", bd.Movers.Linked, bd.Movers.Pairs)
	}
	if ev.F1 < 0.95 {
		t.Errorf("F1 = %.4f, want ≥ 0.95", ev.F1)
	}
}
