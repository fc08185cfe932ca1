package dedup_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/person"
)

// TestScreenTwinsNamedApart: twin brothers Hassan and Hussein Saad, born
// the same day, living in one flat. Hussein's application is not flagged as
// a duplicate of his brother's record (the names differ only in their
// vowels, and one person's forms do not write both), and the review page's
// row for the given name says "different"; Hassan's own second application
// from a new address is flagged. In a city where both names are common, as
// they are in the city's Arab families.
func TestScreenTwinsNamedApart(t *testing.T) {
	sc, err := dedup.New(config.Linkage{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	home := person.Address{Line1: "1 Bishop Lane", Line2: "Apt 1", City: "New Haven", State: "CT", PostalCode: "06511"}
	hassan := person.Person{GivenNames: "Hassan", FirstSurname: "Saad", DateOfBirth: person.Date{Year: 2008, Month: 7, Day: 9},
		Sex: person.SexMale, Address: home}
	sc.Add("hassan", hassan, 0)
	// Other residents named Hassan and Hussein: both are common names.
	for i := range 8 {
		for _, given := range []string{"Hassan", "Hussein"} {
			sc.Add(fmt.Sprintf("%s-%d", given, i), person.Person{GivenNames: given, FirstSurname: []string{"Haddad", "Khalil", "Mansour", "Nasser"}[i%4],
				DateOfBirth: person.Date{Year: 1960 + 5*i, Month: time.Month(1 + i), Day: 3 + 2*i}, Sex: person.SexMale,
				Address: person.Address{Line1: fmt.Sprintf("%d Chapel Street", 10+i), City: "New Haven", State: "CT", PostalCode: "06510"}}, 0)
		}
	}
	hussein := hassan
	hussein.GivenNames = "Hussein"
	got, err := sc.Screen(context.Background(), "", hussein)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.ID == "hassan" {
			t.Errorf("Hussein's application flagged as a duplicate of his twin Hassan (p %.3f)", m.Probability)
		}
	}
	ex, err := sc.Explain("hassan", hussein)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ex.Fields {
		if f.Field == "given_name" && f.Level != "different" {
			t.Errorf("review row for the given names Hassan/Hussein says %q, want \"different\"", f.Level)
		}
	}
	moved := hassan
	moved.Address = person.Address{Line1: "300 Whalley Avenue", City: "New Haven", State: "CT", PostalCode: "06511"}
	got, err = sc.Screen(context.Background(), "", moved)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range got {
		found = found || m.ID == "hassan"
	}
	if !found {
		t.Errorf("Hassan's second application from a new address: matches %v, want his record flagged", got)
	}
}
