package aamva

import (
	"testing"
	"time"

	"github.com/cityid/cityid/internal/person"
	"github.com/google/go-cmp/cmp"
)

func TestFromPerson(t *testing.T) {
	addr := person.Address{Line1: "123 Main St", City: "New Haven", State: "CT", PostalCode: "06511"}
	p := person.Person{
		GivenNames: "María  José", FirstSurname: "García", SecondSurname: "López",
		DateOfBirth: d(1990, time.January, 2), Sex: person.SexX, Address: addr, Veteran: true,
	}
	tests := []struct {
		name string
		mod  func(*person.Person)
		want func(*Record)
	}{
		{"nothing optional printed", func(*person.Person) {}, func(r *Record) {
			r.NoAddress, r.Address = true, person.Address{City: "New Haven", State: "CT"}
		}},
		{"sex and address printed", func(p *person.Person) { p.PrintSex, p.PrintAddress = true, true }, func(r *Record) {
			r.Sex, r.Address = person.SexX, addr
		}},
		{"address chosen but none given", func(p *person.Person) { p.PrintAddress, p.NoAddress = true, true }, func(r *Record) {
			r.NoAddress, r.Address = true, person.Address{City: "New Haven", State: "CT"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := p
			tt.mod(&in)
			want := Record{FamilyName: "García López", FirstName: "María", MiddleNames: "José", BirthDate: p.DateOfBirth, Veteran: true}
			tt.want(&want)
			if diff := cmp.Diff(want, FromPerson(in)); diff != "" {
				t.Errorf("FromPerson() (-want +got):\n%s", diff)
			}
		})
	}
}
