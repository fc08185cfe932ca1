package linkage

import "testing"

// TestMoverKinds splits a city's movers as issue 12's held-out check
// counts them (the same name and date at another address; a second
// surname dropped or swapped) and by what else changed.
func TestMoverKinds(t *testing.T) {
	org := Record{GivenNames: "María José", FirstSurname: "García", SecondSurname: "Quizhpi",
		DateOfBirth: "1980-03-07", StreetNumber: "12", Street: "Chapel Street", Truth: "p"}
	cases := []struct {
		name string
		edit func(r *Record)
		want string
	}{
		{"moved only, accents and case", func(r *Record) { r.GivenNames, r.FirstSurname = "MARIA JOSE", "GARCIA" }, MoverSameNameAndDate},
		{"second surname dropped", func(r *Record) { r.SecondSurname = "" }, MoverSecondSurname},
		{"surnames swapped in one box", func(r *Record) { r.FirstSurname, r.SecondSurname = "Quizhpi García", "" }, MoverSecondSurname},
		{"day and month swapped", func(r *Record) { r.DateOfBirth = "1980-07-03" }, MoverDateDayMonthSwapped},
		{"a digit of the date", func(r *Record) { r.DateOfBirth = "1980-03-08"; r.SecondSurname = "" }, MoverDateOtherwise},
		{"no date", func(r *Record) { r.DateOfBirth = "" }, MoverDateOtherwise},
		{"married", func(r *Record) { r.FirstSurname, r.SecondSurname = "Pérez", "" }, MoverSurnameChanged},
		{"another given name", func(r *Record) { r.GivenNames = "Lupe" }, MoverGivenNameChanged},
		{"a part of the given name", func(r *Record) { r.GivenNames = "María" }, MoverNameTypo},
		{"a typo in the surname", func(r *Record) { r.FirstSurname = "Garcia"; r.SecondSurname = "Quishpi" }, MoverNameTypo},
		{"married and a date typo", func(r *Record) { r.FirstSurname, r.SecondSurname, r.DateOfBirth = "Pérez", "", "1980-03-08" }, MoverSeveral},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			moved := org
			moved.StreetNumber, moved.Street = "40", "Grand Avenue"
			c.edit(&moved)
			recs := []Record{org, moved}
			for _, linked := range []bool{false, true} {
				res := &Result{}
				if linked {
					res.Pairs = []Pair{{Left: 0, Right: 1, Probability: 0.9}}
				}
				bd := EvaluateBreakdown(recs, res, nil)
				got := bd.MoverKinds[c.want]
				if bd.Movers.Pairs != 1 || got.Pairs != 1 || got.Linked != bd.Movers.Linked || len(bd.MoverKinds) != 1 {
					t.Errorf("EvaluateBreakdown(%+v, linked %v).MoverKinds = %+v (movers %+v), want one pair of kind %s", moved, linked, bd.MoverKinds, bd.Movers, c.want)
				}
			}
		})
	}
}
