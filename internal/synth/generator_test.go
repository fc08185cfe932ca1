package synth

import (
	"testing"

	"github.com/cityid/cityid/internal/person"
	"github.com/google/go-cmp/cmp"
)

var today = person.Date{Year: 2025, Month: 1, Day: 1}

func TestPersonValidates(t *testing.T) {
	g := New(1)
	ages := map[string]int{}
	langs := map[string]int{}
	for i := 0; i < 5000; i++ {
		p := g.Person()
		if errs := p.Validate(today, Languages()); errs != nil {
			t.Fatalf("Person() #%d = %+v, Validate = %v, want no errors", i, p, errs)
		}
		if p.Address.CareOf == "" && (p.Address.PostalCode[:3] != "065" || p.Address.City != "New Haven") {
			t.Errorf("Person() #%d address = %+v, want a New Haven 065xx address", i, p.Address)
		}
		switch age := p.DateOfBirth.AgeOn(today); {
		case age < 18:
			ages["child"]++
		case age >= 65:
			ages["senior"]++
		default:
			ages["adult"]++
		}
		langs[p.Language]++
	}
	if ages["child"] < 500 || ages["senior"] < 400 {
		t.Errorf("age spread = %v, want at least 500 children and 400 seniors in 5000", ages)
	}
	if langs["es"] < 500 || langs["en"] < 2500 {
		t.Errorf("languages = %v, want a Spanish-speaking minority and an English majority", langs)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := New(42), New(42)
	for i := 0; i < 100; i++ {
		pa, pb := a.Person(), b.Person()
		if diff := cmp.Diff(pa, pb); diff != "" {
			t.Fatalf("Person() #%d differs for one seed (-a +b):\n%s", i, diff)
		}
		if diff := cmp.Diff(a.Duplicate(pa), b.Duplicate(pb)); diff != "" {
			t.Fatalf("Duplicate() #%d differs for one seed (-a +b):\n%s", i, diff)
		}
	}
	if New(1).Person() == New(2).Person() {
		t.Error("seeds 1 and 2 gave the same first person")
	}
}

func TestDuplicateValidatesAndDiffers(t *testing.T) {
	g := New(7)
	same := 0
	for i := 0; i < 2000; i++ {
		p := g.Person()
		d := g.Duplicate(p)
		if errs := d.Validate(today, Languages()); errs != nil {
			t.Fatalf("Duplicate(%+v) = %+v, Validate = %v, want no errors", p, d, errs)
		}
		if d == p {
			same++
		}
	}
	if same > 400 {
		t.Errorf("Duplicate returned an identical person %d times in 2000, want most to differ", same)
	}
}

func TestRelative(t *testing.T) {
	g := New(3)
	for i := 0; i < 500; i++ {
		p := g.Person()
		for _, rel := range []Relation{Twin, Junior, Sibling, Namesake} {
			r := g.Relative(p, rel)
			if errs := r.Validate(today, Languages()); errs != nil {
				t.Fatalf("Relative(%+v, %d) = %+v, Validate = %v", p, rel, r, errs)
			}
			switch rel {
			case Twin:
				if r.DateOfBirth != p.DateOfBirth || r.FirstSurname != p.FirstSurname || firstToken(r.GivenNames) == firstToken(p.GivenNames) {
					t.Errorf("Twin of %+v = %+v, want same surname and birth date, another given name", p, r)
				}
			case Junior:
				if r.GivenNames != p.GivenNames || r.Address != p.Address || r.DateOfBirth == p.DateOfBirth {
					t.Errorf("Junior of %+v = %+v, want same name and address, another birth date", p, r)
				}
			case Sibling:
				if r.FirstSurname != p.FirstSurname || r.DateOfBirth.Year == p.DateOfBirth.Year {
					t.Errorf("Sibling of %+v = %+v, want same surname, another birth year", p, r)
				}
			case Namesake:
				if r.GivenNames != p.GivenNames || r.FirstSurname != p.FirstSurname || r.DateOfBirth.Year == p.DateOfBirth.Year {
					t.Errorf("Namesake of %+v = %+v, want same name, another birth year", p, r)
				}
			}
		}
	}
}
