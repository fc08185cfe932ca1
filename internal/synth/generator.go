// Package synth generates synthetic residents of New Haven, CT, realistic
// second applications by the same people (typos, OCR errors, swapped or
// dropped surnames, nicknames, moves, transposed dates) and hard negatives
// (twins, parents and children who share names and an address, unrelated
// namesakes). It is deterministic for a seed: tests, benchmarks and the demo
// get the same people every run. No real person's data is used.
package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/person"
)

// Generator makes synthetic people. It is not safe for concurrent use.
type Generator struct {
	rng   *rand.Rand
	today person.Date
	names map[Community]*names
}

// referenceDay is the "today" of New: every date of birth is before it, so
// generated people validate on any later day.
var referenceDay = person.Date{Year: 2025, Month: time.January, Day: 1}

// New returns a generator for seed whose people are all born before 2025.
func New(seed int64) *Generator { return NewAt(seed, referenceDay) }

// NewAt returns a generator for seed whose people are born before today.
func NewAt(seed int64, today person.Date) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(uint64(seed), 0xc17f1d)), today: today, names: newNames()}
}

// Languages returns the language codes generated people use.
func Languages() []string { return []string{"en", "es"} }

// pick draws from list with a mild Zipf-like skew: the first entries are the
// most common.
func (g *Generator) pick(list []string) string {
	n := len(list)
	// Square of a uniform variable: index 0 is ~√n times as likely as the last.
	u := g.rng.Float64()
	return list[int(u*u*float64(n))]
}

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *Generator) origin() *origin {
	total := 0
	for _, o := range origins {
		total += o.share
	}
	x := g.rng.IntN(total)
	for i := range origins {
		if x < origins[i].share {
			return &origins[i]
		}
		x -= origins[i].share
	}
	return &origins[0]
}

// Person returns a new resident who passes person.Validate.
func (g *Generator) Person() person.Person {
	o := g.origin()
	var p person.Person
	switch x := g.rng.IntN(100); {
	case x < 49:
		p.Sex = person.SexFemale
	case x < 98:
		p.Sex = person.SexMale
	case x < 99:
		p.Sex = person.SexX
	}
	p.GivenNames = g.given(o, p.Sex)
	sur := g.names[o.community].surnames
	p.FirstSurname = sur.draw(g.rng)
	if g.chance(o.twoSurnames) {
		for p.SecondSurname == "" || p.SecondSurname == p.FirstSurname {
			p.SecondSurname = sur.draw(g.rng)
		}
	}
	p.DateOfBirth = g.birthDate()
	p.Address = g.address()
	if g.chance(0.02) {
		c := careOf[g.rng.IntN(len(careOf))]
		p.Address = person.Address{CareOf: c.org, Line1: c.line1, City: "New Haven", State: "CT", PostalCode: c.zip}
	}
	p.Language = "en"
	if g.chance(o.spanish) {
		p.Language = "es"
	}
	if g.chance(0.6) {
		p.Phone = fmt.Sprintf("203-555-%04d", g.rng.IntN(10000))
	}
	if g.chance(0.3) {
		p.Email = strings.ToLower(asciiOnly(firstToken(p.GivenNames))+"."+asciiOnly(p.FirstSurname)) +
			fmt.Sprintf("%d@example.org", g.rng.IntN(100))
	}
	p.PrintSex = p.Sex != person.SexNotShown && g.chance(0.7)
	p.PrintAddress = g.chance(0.5)
	return p
}

func (g *Generator) given(o *origin, sex person.Sex) string {
	n := g.names[o.community]
	pool, middle := n.male, n.middleM
	if sex == person.SexFemale || (sex != person.SexMale && g.chance(0.5)) {
		pool, middle = n.female, n.middleF
	}
	name := pool.draw(g.rng)
	if middle != nil {
		return middle.draw(g.rng) + " " + name // Vietnamese: "Văn Minh", "Thị Lan"
	}
	if g.chance(o.middle) {
		if second := pool.draw(g.rng); second != name && !strings.Contains(name, " ") {
			name += " " + second
		}
	}
	return name
}

// birthDate spreads ages like a city's: about a fifth children, a sixth over 65.
func (g *Generator) birthDate() person.Date {
	var age int
	switch x := g.rng.IntN(100); {
	case x < 22:
		age = g.rng.IntN(18)
	case x < 85:
		age = 18 + g.rng.IntN(47)
	default:
		age = 65 + g.rng.IntN(35)
	}
	end := g.today.Time().AddDate(-age, 0, -1)
	d := end.AddDate(0, 0, -g.rng.IntN(365))
	return person.DateOf(d)
}

func (g *Generator) address() person.Address {
	s := streets[g.rng.IntN(len(streets))]
	a := person.Address{
		Line1:      fmt.Sprintf("%d %s", 1+g.rng.IntN(1500), s.name),
		City:       "New Haven",
		State:      "CT",
		PostalCode: s.zip,
	}
	if g.chance(0.35) {
		a.Line2 = fmt.Sprintf("Apt %d%s", 1+g.rng.IntN(12), string(rune('A'+g.rng.IntN(4))))
	}
	return a
}

// Duplicate returns a second application by the same person as p: one to
// three realistic differences, such as a typo, an OCR error, a nickname,
// swapped or dropped surnames, a move or a transposed date. The result
// still passes person.Validate.
func (g *Generator) Duplicate(p person.Person) person.Person {
	d := p
	changes := 1 + g.rng.IntN(3)
	for i := 0; i < changes; i++ {
		g.perturb(&d)
	}
	if d.GivenNames == "" {
		d.GivenNames = p.GivenNames
	}
	if d.FirstSurname == "" {
		d.FirstSurname = p.FirstSurname
	}
	return d
}

func (g *Generator) perturb(d *person.Person) {
	switch g.rng.IntN(14) {
	case 0:
		d.GivenNames = g.typo(d.GivenNames)
	case 1:
		d.FirstSurname = g.typo(d.FirstSurname)
	case 2:
		d.GivenNames, d.FirstSurname = g.ocr(d.GivenNames), g.ocr(d.FirstSurname)
	case 3: // swapped surnames
		if d.SecondSurname != "" {
			d.FirstSurname, d.SecondSurname = d.SecondSurname, d.FirstSurname
		} else {
			d.FirstSurname = g.typo(d.FirstSurname)
		}
	case 4: // second surname dropped, or both in one box
		if d.SecondSurname != "" {
			if g.chance(0.5) {
				d.SecondSurname = ""
			} else {
				sep := " "
				if g.chance(0.4) {
					sep = "-"
				}
				d.FirstSurname, d.SecondSurname = d.FirstSurname+sep+d.SecondSurname, ""
			}
		} else {
			d.GivenNames = g.typo(d.GivenNames)
		}
	case 5: // nickname or short form
		first, rest, _ := strings.Cut(d.GivenNames, " ")
		if nn, ok := nicknames[first]; ok {
			d.GivenNames = g.pick(nn)
		} else if rest != "" {
			d.GivenNames = first // middle name dropped
		} else {
			d.GivenNames = g.typo(d.GivenNames)
		}
	case 6: // moved within the city
		d.Address = g.address()
	case 7: // new apartment, same building
		d.Address.Line2 = fmt.Sprintf("Apt %d", 1+g.rng.IntN(20))
	case 8: // day and month transposed, when both could be months
		if dob := d.DateOfBirth; dob.Day <= 12 && dob.Day != int(dob.Month) {
			d.DateOfBirth = person.Date{Year: dob.Year, Month: time.Month(dob.Day), Day: int(dob.Month)}
		} else {
			d.DateOfBirth = g.dateTypo(dob)
		}
	case 9:
		d.DateOfBirth = g.dateTypo(d.DateOfBirth)
	case 10: // accents left out
		d.GivenNames, d.FirstSurname, d.SecondSurname = stripAccents(d.GivenNames), stripAccents(d.FirstSurname), stripAccents(d.SecondSurname)
	case 11: // case and spacing
		d.GivenNames, d.FirstSurname = strings.ToUpper(d.GivenNames), strings.ToUpper(d.FirstSurname)
	case 12: // street written differently
		d.Address.Line1 = strings.NewReplacer("Street", "St", "Avenue", "Ave.", "Road", "Rd").Replace(d.Address.Line1)
	case 13: // phone or e-mail changed or left out
		d.Phone, d.Email = "", ""
	}
}

// typo inserts, deletes, substitutes or transposes one letter.
func (g *Generator) typo(s string) string { return typo(g.rng, s, 0, "aeiourlnstmcdh") }

// typo inserts, deletes, substitutes (with one of letters) or transposes
// one letter of s; the first letter is kept except with chance first, as
// it is in most typing errors.
func typo(rng *rand.Rand, s string, first float64, letters string) string {
	r := []rune(s)
	if len(r) < 3 {
		return s
	}
	i := 1 + rng.IntN(len(r)-2)
	if first > 0 && rng.Float64() < first {
		i = 0
	}
	if !unicode.IsLetter(r[i]) || !unicode.IsLetter(r[i+1]) {
		return s
	}
	c := rune(letters[rng.IntN(len(letters))])
	if unicode.IsUpper(r[i]) {
		c = unicode.ToUpper(c)
	}
	switch rng.IntN(4) {
	case 0:
		r = append(r[:i], append([]rune{c}, r[i:]...)...)
	case 1:
		r = append(r[:i], r[i+1:]...)
	case 2:
		r[i] = c
	default:
		r[i], r[i+1] = r[i+1], r[i]
	}
	return string(r)
}

// ocr makes the confusions of scanned forms.
func (g *Generator) ocr(s string) string {
	pairs := [][2]string{{"rn", "m"}, {"m", "rn"}, {"cl", "d"}, {"li", "h"}, {"e", "c"}, {"a", "o"}, {"u", "v"}}
	p := pairs[g.rng.IntN(len(pairs))]
	if i := strings.Index(s, p[0]); i > 0 {
		return s[:i] + p[1] + s[i+len(p[0]):]
	}
	return s
}

func (g *Generator) dateTypo(d person.Date) person.Date {
	for range 10 {
		var c person.Date
		switch g.rng.IntN(3) {
		case 0:
			c = person.Date{Year: d.Year, Month: d.Month, Day: 1 + g.rng.IntN(28)}
		case 1:
			c = person.Date{Year: d.Year, Month: time.Month(1 + g.rng.IntN(12)), Day: d.Day}
		default:
			c = person.Date{Year: d.Year + []int{-10, -1, 1, 10}[g.rng.IntN(4)], Month: d.Month, Day: d.Day}
		}
		if valid(c) && c.Before(g.today) && c != d {
			return c
		}
	}
	return d
}

func valid(d person.Date) bool {
	t := d.Time()
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// Relation is how a hard negative relates to a resident.
type Relation int

// Relations that make two different people look alike.
const (
	// Twin: same surnames, date of birth and address; another given name.
	Twin Relation = iota
	// Junior: same full name and address, born 18–40 years later (or
	// earlier, as Senior, when the resident is young).
	Junior
	// Sibling: same surnames and address, born a few years apart.
	Sibling
	// Namesake: an unrelated resident with the same given name and first
	// surname ("José García"), elsewhere in the city, born another year.
	Namesake
)

// Relative returns a different person related to p as rel says.
func (g *Generator) Relative(p person.Person, rel Relation) person.Person {
	r := g.Person()
	r.Language = p.Language
	switch rel {
	case Twin:
		r.FirstSurname, r.SecondSurname = p.FirstSurname, p.SecondSurname
		r.DateOfBirth, r.Address = p.DateOfBirth, p.Address
		o := g.originOf(p)
		for r.GivenNames == p.GivenNames || firstToken(r.GivenNames) == firstToken(p.GivenNames) {
			r.GivenNames = g.given(o, r.Sex)
		}
	case Junior:
		r = p
		// Born 18–40 years later (or earlier when p is young), on another day.
		years := 18 + g.rng.IntN(23)
		shift := 1 + g.rng.IntN(300)
		dob := person.DateOf(p.DateOfBirth.Time().AddDate(years, 0, shift))
		if !dob.Before(g.today) {
			dob = person.DateOf(p.DateOfBirth.Time().AddDate(-years, 0, shift))
		}
		r.DateOfBirth = dob
		r.Phone, r.Email = "", ""
		if r.SecondSurname != "" && g.chance(0.5) {
			// A child's second surname is the other parent's.
			r.SecondSurname = g.names[g.originOf(p).community].surnames.draw(g.rng)
		}
	case Sibling:
		r.FirstSurname, r.SecondSurname, r.Address = p.FirstSurname, p.SecondSurname, p.Address
		for {
			dob := p.DateOfBirth.AddYears([]int{-6, -4, -3, -2, 2, 3, 4, 6}[g.rng.IntN(8)])
			if dob.Before(g.today) {
				r.DateOfBirth = dob
				break
			}
		}
		for firstToken(r.GivenNames) == firstToken(p.GivenNames) {
			r.GivenNames = g.given(g.originOf(p), r.Sex)
		}
	case Namesake:
		r.GivenNames, r.FirstSurname, r.Sex, r.PrintSex = p.GivenNames, p.FirstSurname, p.Sex, p.PrintSex
		for r.DateOfBirth.Year == p.DateOfBirth.Year {
			r.DateOfBirth = g.birthDate()
		}
	}
	return r
}

// originOf guesses the naming tradition of p from its surname.
func (g *Generator) originOf(p person.Person) *origin {
	for i := range origins {
		sur := g.names[origins[i].community].surnames
		if slices.Contains(sur.names, p.FirstSurname) || slices.Contains(sur.tail, p.FirstSurname) {
			return &origins[i]
		}
	}
	return &origins[0]
}

func firstToken(s string) string {
	f, _, _ := strings.Cut(s, " ")
	return f
}

// stripAccents removes diacritics from Latin letters, as a keyboard without
// them would.
func stripAccents(s string) string {
	r := strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ü", "u",
		"Á", "A", "É", "E", "Í", "I", "Ó", "O", "Ú", "U", "Ñ", "N", "è", "e", "ç", "c", "ễ", "e", "ầ", "a")
	return r.Replace(s)
}

func asciiOnly(s string) string {
	s = stripAccents(s)
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "resident"
	}
	return b.String()
}
