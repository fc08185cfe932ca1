package linkage

import (
	"context"
	"fmt"
	"testing"
)

// TestDistinctNames: two common names that only look alike are two
// people's names — a twin's or a sister's — unless one person could write
// both (a transliteration, a nickname, a shortening).
func TestDistinctNames(t *testing.T) {
	nick := NewNicknames()
	names := []string{"Hassan", "Hussein", "Husain", "Francisco", "Francisca", "Mario", "María",
		"Daniel", "Daniela", "Jean", "Jeanne", "José", "Josefina", "Huda", "Houda", "Fatima", "Fatema",
		"Ann", "Anna", "Dieu", "Dieudonné", "Alex", "Sandra", "Louis", "Louise", "Michael", "Michelle"}
	s := &scorer{nick: nick, tf: newTermFreq()}
	entries := map[string]*entry{}
	for _, n := range names {
		r := Record{GivenNames: n, FirstSurname: "Saad"}
		e := plainEntry(&r, nick)
		entries[n] = &e
		for range 10 { // each name common in the population
			s.tf.add(&e, 1)
		}
	}
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"Hassan", "Hussein", true},      // both known, in no group together
		{"Hussein", "Husain", false},     // one name transliterated twice
		{"Francisco", "Francisca", true}, // a man's and a woman's form
		{"Mario", "María", true},
		{"Michael", "Michelle", true},
		{"Daniel", "Daniela", true},
		{"Louis", "Louise", true},
		{"Jean", "Jeanne", true},
		{"José", "Josefina", true},
		{"Huda", "Houda", false},     // vowels only: one name
		{"Fatima", "Fatema", false},  // the table's transliterations
		{"Ann", "Anna", false},       // one name in the table, though it looks gendered
		{"Dieu", "Dieudonné", false}, // a shortening
		{"Alex", "Sandra", false},    // nicknames of one name (Alexandra)
	} {
		if got := s.distinctNames(entries[tt.a], entries[tt.b]); got != tt.want {
			t.Errorf("distinctNames(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := s.distinctNames(entries[tt.b], entries[tt.a]); got != tt.want {
			t.Errorf("distinctNames(%q, %q) = %v, want %v (the other way round)", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestSuffixJrSr: "Jr" on one form and "Sr" on the other are a son and
// his father, even where suffixes are too rare in the city for training to
// count the factor as filled in.
func TestSuffixJrSr(t *testing.T) {
	nick := NewNicknames()
	m := DefaultModel()
	m.PriorM, m.PriorH = 1e-4, 1e-4
	m.Used[FactorSuffix] = false // as a city's training leaves it
	s := &scorer{nick: nick}
	s.setModel(m)
	score := func(a, b Record) float64 {
		x, y := plainEntry(&a, nick), plainEntry(&b, nick)
		_, w := s.score(&x, &y)
		return fromLogit2(w)
	}
	father := Record{GivenNames: "Joel Sr", FirstSurname: "Torres", StreetNumber: "51", Street: "Arch Avenue", PostalCode: "06511"}
	son := Record{GivenNames: "Joel", FirstSurname: "Torres Jr", DateOfBirth: "1990-01-14", StreetNumber: "51", Street: "Arch Ave", PostalCode: "06511"}
	plain := son
	plain.FirstSurname = "Torres"
	t.Logf("Jr/Sr %.4f, one suffix %.4f", score(father, son), score(father, plain))
	if p := score(father, son); p >= DefaultReview {
		t.Errorf("Jr against Sr: p = %.3f, want below the review threshold %.2f", p, DefaultReview)
	}
	if p := score(father, plain); p < DefaultReview {
		t.Errorf("one suffix only: p = %.3f, want at least %.2f (one person may write it once)", p, DefaultReview)
	}
}

// TestExplainDistinctNames: the review screen's row for the given name
// says what the score counted — "Hassan" and "Hussein" look alike letter
// by letter, but they are two names, and the row must not say "similar"
// while the score weighs them as different.
func TestExplainDistinctNames(t *testing.T) {
	nick := NewNicknames()
	s := &scorer{nick: nick, tf: newTermFreq()}
	m := DefaultModel()
	m.PriorM, m.PriorH = 1e-4, 1e-4
	s.setModel(m)
	mk := func(given string) *entry {
		r := Record{GivenNames: given, FirstSurname: "Saad", DateOfBirth: "2008-07-09", StreetNumber: "1", Street: "Bishop Lane", PostalCode: "06511"}
		e := plainEntry(&r, nick)
		return &e
	}
	hassan, hussein, husain := mk("Hassan"), mk("Hussein"), mk("Husain")
	for range 10 {
		s.tf.add(hassan, 1)
		s.tf.add(hussein, 1)
		s.tf.add(husain, 1)
	}
	level := func(ex Explanation, field string) string {
		for _, f := range ex.Fields {
			if f.Field == field {
				return f.Level
			}
		}
		return ""
	}
	factor := func(ex Explanation, name string) string {
		for _, f := range ex.Factors {
			if f.Factor == name {
				return f.Level
			}
		}
		return ""
	}
	ex := s.explain(hassan, hussein, Defaults())
	if got := level(ex, "given_name"); got != "different" || factor(ex, "given_name") != "different" {
		t.Errorf("Hassan/Hussein: given-name row %q, factor %q, want both \"different\"", got, factor(ex, "given_name"))
	}
	if ex.Decision != DecisionClear && ex.Decision != DecisionPossible {
		t.Errorf("Hassan/Hussein, twins at one address: decision %s (p %.3f), want below review", ex.Decision, ex.Probability)
	}
	ex = s.explain(hussein, husain, Defaults())
	if got := level(ex, "given_name"); got == "different" {
		t.Errorf("Hussein/Husain (one name transliterated twice): given-name row %q, want alike", got)
	}
}

// TestJoinedArticle: an Arabic surname written with its article joined
// ("Alhassan") and apart ("Al-Hassan", "El Sayed") is one surname, as is a
// Spanish one with its particle ("Dejesús", "De Jesús"), and a
// man who moved and wrote it the other way is still found; names that only
// begin like an article stay apart.
func TestJoinedArticle(t *testing.T) {
	nick := NewNicknames()
	level := func(a, b string) Level {
		x, y := Record{GivenNames: "Khaled", FirstSurname: a}, Record{GivenNames: "Khaled", FirstSurname: b}
		return comparePlain(prepare(&x, nick), prepare(&y, nick), nick).Get(Surname)
	}
	for _, tt := range []struct {
		a, b string
		want Level
	}{
		{"Alhassan", "Al-Hassan", Exact},
		{"ALHASSAN", "al hassan", Exact},
		{"Elsayed", "Al-Sayed", Exact},
		{"Alnajjar", "El Najjar", Exact},
		{"Alhassan Haddad", "Al-Hassan", Strong}, // the second surname dropped too
		{"Dejesús", "De Jesús", Exact},           // a Spanish particle joined
		{"Delarosa", "de la Rosa", Exact},
		{"Dasilva", "Da Silva", Exact},
		{"Jesus", "Torasa Dejesus", Strong}, // and a second surname dropped
		{"Dean", "An", Different},           // "de" + "an": too short a rest
		{"Allen", "Len", Different},         // too short to be a name after an article
		{"Ellis", "Lis", Different},
		{"Alhassan", "Hussein", Different},
	} {
		if got := level(tt.a, tt.b); got != tt.want {
			t.Errorf("surnames %q and %q: %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := level(tt.b, tt.a); got != tt.want {
			t.Errorf("surnames %q and %q: %v, want %v (the other way round)", tt.b, tt.a, got, tt.want)
		}
	}

	// Through a batch, in a city of 8,000 people: a mover of the 100k city
	// (seed 1) whom the joined article made missed.
	recs := []Record{
		{ID: "a", Truth: "1", GivenNames: "Khaled", FirstSurname: "Alhassan", DateOfBirth: "1976-02-25", StreetNumber: "185", Street: "Acorn Ter", PostalCode: "06511", City: "New Haven"},
		{ID: "b", Truth: "1", GivenNames: "Khalid", FirstSurname: "Al-Hassan", DateOfBirth: "1976-02-25", StreetNumber: "322", Street: "Upson Dr.", Line2: "Unit 2", PostalCode: "06513", City: "New Haven"},
	}
	city, _ := generatedCity(t, 8000, 5)
	recs = append(recs, city...)
	res, err := Dedup(context.Background(), recs, Options{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range res.Pairs {
		found = found || (p.Left == 0 && p.Right == 1)
	}
	if !found {
		t.Error("Khaled Alhassan and Khalid Al-Hassan, one birth date, two addresses: not linked")
	}
}

// TestSwappedNameOrderIsCommon: "Nguyen Hang" written with Nguyen in the
// given-name box on both forms is the common name Hang Nguyen in the
// other order, not a rare given name and a rare surname; two such forms
// weigh no more than two "Hang Nguyen" forms do. Weighed by how rare each
// box's value is in its own box, the swapped pair counted 13.7 bits for
// "hang" as a surname on the 100k city and linked two women born seven
// years apart.
func TestSwappedNameOrderIsCommon(t *testing.T) {
	nick := NewNicknames()
	s := &scorer{nick: nick, tf: newTermFreq()}
	s.setModel(DefaultModel())
	add := func(given, sur string, n int) {
		for i := range n {
			r := Record{GivenNames: given, FirstSurname: sur, DateOfBirth: fmt.Sprintf("19%02d-01-01", 50+i%40)}
			e := plainEntry(&r, nick)
			s.tf.add(&e, 1)
		}
	}
	add("Hang", "Nguyen", 40) // the name in its usual order
	add("Nguyen", "Hang", 1)  // and swapped, now and then
	for i := range 2000 {     // the rest of the city
		add(fmt.Sprintf("Given%d", i), fmt.Sprintf("Surname%d", i%500), 1)
	}
	weigh := func(given, sur string) float64 {
		a := Record{GivenNames: given, FirstSurname: sur, DateOfBirth: "1990-11-27", StreetNumber: "57", Street: "Lincoln Ave", PostalCode: "06510"}
		b := Record{GivenNames: given, FirstSurname: sur, DateOfBirth: "1997-11-28", StreetNumber: "465", Street: "Water Rd", PostalCode: "06512"}
		x, y := plainEntry(&a, nick), plainEntry(&b, nick)
		w := 0.0
		for _, f := range s.explain(&x, &y, Defaults()).Factors {
			if f.Factor == FactorGiven.String() || f.Factor == FactorSurname.String() {
				w += f.Weight
			}
		}
		return w
	}
	usual, swapped := weigh("Hang", "Nguyen"), weigh("Nguyen", "Hang")
	t.Logf("name weight: usual order %.2f bits, swapped %.2f", usual, swapped)
	if swapped > usual+0.01 {
		t.Errorf("two forms of Nguyen Hang in swapped order weigh %.2f bits on the names, more than the usual order's %.2f", swapped, usual)
	}
}
