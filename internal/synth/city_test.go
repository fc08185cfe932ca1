package synth

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// TestCityProportions checks that a generated city has the phenomena the
// linkage engine must handle, in the proportions docs/linkage.md states.
func TestCityProportions(t *testing.T) {
	c := NewCity(CityOptions{People: 20000, Seed: 3})
	if len(c.Residents) != 20000 {
		t.Fatalf("residents = %d, want 20000", len(c.Residents))
	}
	perPerson := float64(len(c.Applications)) / float64(len(c.Residents))
	if perPerson < 1.4 || perPerson > 2.0 {
		t.Errorf("applications per person = %.2f, want 1.4–2.0 (renewals years apart)", perPerson)
	}
	dups, moved := 0, 0
	community := map[Community]int{}
	for _, r := range c.Residents {
		community[r.Community]++
	}
	var compound, script, twoSurnames, swappedDate int
	for _, a := range c.Applications {
		if strings.Contains(a.ID, "-dup-") {
			dups++
			if a.Moved {
				moved++
			}
		}
		if strings.ContainsAny(strings.TrimSpace(a.GivenNames), " -") {
			compound++
		}
		for _, r := range a.GivenNames + a.FirstSurname {
			if unicode.Is(unicode.Arabic, r) {
				script++
				break
			}
		}
		if a.SecondSurname != "" || strings.Contains(strings.TrimSpace(a.FirstSurname), " ") {
			twoSurnames++
		}
	}
	// Swapped day and month: compare each form with the person's truth.
	byID := map[int32]*Resident{}
	for i := range c.Residents {
		byID[c.Residents[i].ID] = &c.Residents[i]
	}
	for _, a := range c.Applications {
		r := byID[a.Person]
		if d := r.DOB; d.Day <= 12 && a.DateOfBirth != "" && a.DateOfBirth != d.String() &&
			a.DateOfBirth == strings.Join([]string{d.String()[:4], d.String()[8:10], d.String()[5:7]}, "-") {
			swappedDate++
		}
	}
	rel := map[Kinship]int{}
	for _, p := range c.Relations {
		rel[p.Relation]++
		if p.A == p.B {
			t.Fatalf("relation %+v pairs a person with themself", p)
		}
	}
	n := len(c.Applications)
	checks := []struct {
		what     string
		got      float64
		lo, hi   float64
		describe string
	}{
		{"movers among later applications", float64(moved) / float64(dups), 0.3, 0.7, "a renewal five years on usually has a new address"},
		{"Hispanic share of residents", float64(community[Hispanic]) / 20000, 0.3, 0.55, ""},
		{"Vietnamese share", float64(community[Vietnamese]) / 20000, 0.04, 0.15, ""},
		{"forms with compound given names", float64(compound) / float64(n), 0.1, 0.5, ""},
		{"forms in Arabic script", float64(script) / float64(n), 0.00005, 0.005, ""},
		{"forms with two surnames", float64(twoSurnames) / float64(n), 0.1, 0.4, ""},
		{"forms with day and month swapped", float64(swappedDate) / float64(n), 0.003, 0.04, ""},
		{"twin pairs per 1,000 residents", float64(rel[RelTwin]) / 20, 1, 12, ""},
		{"Sr./Jr. pairs per 1,000 residents", float64(rel[RelSameNameParent]) / 20, 2, 30, ""},
		{"spouse pairs per 1,000 residents", float64(rel[RelSpouse]) / 20, 80, 300, ""},
		{"namesake pairs per 1,000 residents", float64(rel[RelNamesake]) / 20, 2, 80, ""},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s = %.4f, want %.4g–%.4g %s", c.what, c.got, c.lo, c.hi, c.describe)
		}
	}
	t.Logf("%d people, %d forms (%.2f each), movers %.2f, relations %v", len(c.Residents), n, perPerson, float64(moved)/float64(dups), rel)
}

// TestCityFEBRL writes the FEBRL layout and reads it back: one row per
// application, ids that carry the truth, both surnames in one field.
func TestCityFEBRL(t *testing.T) {
	c := NewCity(CityOptions{People: 2000, Seed: 9})
	var b bytes.Buffer
	if err := c.WriteFEBRL(&b, false, 1); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if lines[0] != FEBRLHeader {
		t.Fatalf("header = %q, want %q", lines[0], FEBRLHeader)
	}
	if len(lines)-1 != len(c.Applications) {
		t.Fatalf("rows = %d, want %d", len(lines)-1, len(c.Applications))
	}
	orgs := 0
	for _, l := range lines[1:] {
		f := strings.Split(l, ", ")
		if len(f) != 11 {
			t.Fatalf("row %q has %d fields, want 11", l, len(f))
		}
		if strings.HasSuffix(f[0], "-org") {
			orgs++
		}
		if d := f[9]; d != "" && (len(d) < 8 || strings.Contains(d, "-")) {
			t.Errorf("date %q in row %q, want YYYYMMDD", d, l)
		}
	}
	if orgs != 2000 {
		t.Errorf("rec-N-org rows = %d, want one per person (2000)", orgs)
	}
	var rb bytes.Buffer
	if err := c.WriteRelations(&rb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&rb).ReadAll()
	if err != nil || len(rows) != len(c.Relations)+1 || rows[0][2] != "relation" {
		t.Fatalf("relations file: %d rows, err %v", len(rows), err)
	}
}

func TestCityDeterministic(t *testing.T) {
	a := NewCity(CityOptions{People: 500, Seed: 5})
	b := NewCity(CityOptions{People: 500, Seed: 5})
	if diff := cmp.Diff(a.Applications, b.Applications); diff != "" {
		t.Fatalf("one seed, two cities (-a +b):\n%s", diff)
	}
	c := NewCity(CityOptions{People: 500, Seed: 6})
	if cmp.Equal(a.Applications[:10], c.Applications[:10]) {
		t.Error("seeds 5 and 6 made the same city")
	}
}

// TestSiblingNames checks what a family would never do: give twins (or a
// brother and sister) one first name, or write on a child's forms the
// spelling of a name the child does not bear. A name drawn again because
// it clashed with one sibling's must not clash with another's, and keeps
// no spelling of the name it replaced ("Fatema" on the forms of a twin
// named Jamila).
func TestSiblingNames(t *testing.T) {
	c := NewCity(CityOptions{People: 60000, Seed: 2})
	var twins, clashes, spellings, wrong int
	for _, p := range c.Relations {
		if p.Relation != RelTwin && p.Relation != RelSibling {
			continue
		}
		a, b := &c.Residents[p.A], &c.Residents[p.B]
		if p.Relation == RelTwin {
			twins++
		}
		if sameFirst(a.Given, b.Given) && !strings.ContainsAny(a.Given, " -") {
			clashes++
			t.Logf("%s siblings share a first name: %q and %q", p.Relation, a.Given, b.Given)
		}
	}
	tables := newNames()
	for _, r := range c.Residents {
		if r.Spelling == "" {
			continue
		}
		spellings++
		if !slices.Contains(tables[Arabic].variants[r.Given], r.Spelling) {
			wrong++
			t.Logf("resident named %q writes %q, not a spelling of that name", r.Given, r.Spelling)
		}
	}
	t.Logf("%d twin pairs; %d residents with their own spelling", twins, spellings)
	if twins == 0 || spellings == 0 {
		t.Fatalf("the city has %d twin pairs and %d residents with a spelling, want some of each", twins, spellings)
	}
	if clashes > 0 || wrong > 0 {
		t.Errorf("%d sibling pairs share a first name, %d residents write another name's spelling", clashes, wrong)
	}
}

// TestNoiseScalesSlips checks --noise: the default is the same city, and
// a larger noise makes clerks' slips (here an empty or mistyped birth
// date) more common in proportion while people stay the same people.
func TestNoiseScalesSlips(t *testing.T) {
	base := NewCity(CityOptions{People: 20000, Seed: 5})
	same := NewCity(CityOptions{People: 20000, Seed: 5, Noise: 1})
	if !slices.Equal(base.Applications, same.Applications) {
		t.Fatal("Noise 1 made another city than the default")
	}
	wrongDate := func(c *City) float64 {
		byID := map[int32]*Resident{}
		for i := range c.Residents {
			byID[c.Residents[i].ID] = &c.Residents[i]
		}
		n := 0
		for _, a := range c.Applications {
			if a.DateOfBirth != byID[a.Person].DOB.String() {
				n++
			}
		}
		return float64(n) / float64(len(c.Applications))
	}
	messy := NewCity(CityOptions{People: 20000, Seed: 5, Noise: 3})
	if len(messy.Residents) != len(base.Residents) {
		t.Fatalf("residents %d at noise 3, %d at 1", len(messy.Residents), len(base.Residents))
	}
	b, m := wrongDate(base), wrongDate(messy)
	if ratio := m / b; ratio < 2.5 || ratio > 3.5 {
		t.Errorf("forms whose birth date is not the person's: %.4f at noise 1, %.4f at noise 3 (×%.2f), want about ×3", b, m, ratio)
	}
}
