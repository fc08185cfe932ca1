package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/person"
)

// Community is a naming tradition of the city's residents.
type Community uint8

// Communities of a New England city's ID applicants.
const (
	Hispanic Community = iota
	Anglo
	AfricanAmerican
	Haitian
	Vietnamese
	Arabic
	Other
	numCommunities
)

var communityNames = [numCommunities]string{"hispanic", "anglo", "african_american", "haitian", "vietnamese", "arabic", "other"}

// String names the community.
func (c Community) String() string {
	if c < numCommunities {
		return communityNames[c]
	}
	return fmt.Sprint("community", int(c))
}

// DefaultMix is the share of households of each community among a New
// England city's ID applicants: mostly immigrant families (municipal ID
// programs serve first those without other ID), Hispanic above all.
func DefaultMix() map[Community]float64 {
	return map[Community]float64{Hispanic: 0.42, Anglo: 0.17, AfricanAmerican: 0.07, Haitian: 0.12,
		Vietnamese: 0.08, Arabic: 0.09, Other: 0.05}
}

// CityOptions configure NewCity.
type CityOptions struct {
	// People is how many distinct applicants the city's records hold.
	People int
	// Seed makes the city reproducible.
	Seed uint64
	// Today is the day the records are extracted (default 2025-06-30).
	Today person.Date
	// FirstYear is the program's first year (default 2015).
	FirstYear int
	// Noise scales the chance of each clerk's slip: a typo in a name,
	// street, number, postcode or phone, a birth date mistyped, swapped or
	// left out, an empty box, names in each other's boxes. 2 doubles them;
	// 0 means 1, the rates in forms.go. What people do themselves (move,
	// marry, use a nickname or another spelling) is not scaled.
	Noise float64
	// Mix is the share of households per community (default DefaultMix).
	Mix map[Community]float64
	// Progress, if set, is called now and then with people made so far.
	Progress func(done, total int)
}

// Kinship is how two different applicants, for evaluating how often a
// matcher confuses them.
type Kinship string

// Relations written to the relations file; the household ones share an
// address (at least for some years).
const (
	RelTwin           Kinship = "twin"
	RelParentChild    Kinship = "parent_child"
	RelSameNameParent Kinship = "parent_child_same_name" // Sr. and Jr.
	RelSibling        Kinship = "sibling"
	RelSpouse         Kinship = "spouse"
	RelGrandparent    Kinship = "grandparent"
	RelRoommate       Kinship = "roommate"
	RelNeighbor       Kinship = "neighbor"     // same building, another unit
	RelShelter        Kinship = "same_shelter" // same care-of address
	RelNamesake       Kinship = "namesake"     // same given name and surname, born within two years
)

// Resident is one person of the synthetic city with the truth about them:
// names at birth and by marriage, birth date, household and moves.
type Resident struct {
	ID        int32 // the N of rec-N-…
	Household int32
	Community Community
	Sex       person.Sex
	// Given is the given name(s) as on the person's documents ("María José",
	// "Jean-Baptiste", "Minh"); Middle is a Vietnamese middle name or, for
	// Arabic naming, the father's given name.
	Given, Middle string
	American      string // an American name used too (Vietnamese), or ""
	Sur1, Sur2    string // surnames at birth (Sur2: Hispanic second surname)
	Married       string // surname taken at marriage, or ""
	MarriedYear   int
	DOB           person.Date
	Suffix        string // "Jr" or "Sr"
	// Spelling is the person's habitual Latin spelling of an Arabic given
	// name ("" for Given itself).
	Spelling string
	// addrs is the address history: addrs[i] from years[i] on.
	addrs []address
	years []int
	apps  []int // years of applications
	phone string
}

// address is one dwelling.
type address struct {
	Number, Street, Unit, ZIP, Hood string
	CareOf                          string
	Building                        int32 // id shared by the units of one building
}

// Application is one record in the city's files: a form as a clerk typed
// it, with the truth of who it describes.
type Application struct {
	ID     string // rec-N-org, rec-N-dup-M
	Person int32
	Year   int
	// As written on the form.
	GivenNames, FirstSurname, SecondSurname string
	Sex                                     string
	DateOfBirth                             string // YYYY-MM-DD, or a garbled string
	StreetNumber, Street, Line2             string
	City, PostalCode, State                 string
	Phone, Email                            string
	// Moved reports whether the person lived elsewhere at their first
	// application (truth for "movers" figures).
	Moved bool
}

// City is a synthetic city: residents, their applications (shuffled) and
// the pairs of different residents who look alike.
type City struct {
	Residents    []Resident
	Applications []Application
	Relations    []RelatedPair
}

// RelatedPair is two different residents and how they are related.
type RelatedPair struct {
	A, B     int32
	Relation Kinship
}

// cityGen holds the state of one NewCity run.
type cityGen struct {
	rng       *rand.Rand
	opt       CityOptions
	names     map[Community]*names
	streets   []street
	buildings int32
	city      *City
	mixCum    []float64
	hh        int32
}

type street struct {
	name, short string // "Chapel Street", "Chapel St"
	zip         string
	hoods       []string
	maxNumber   int
}

// NewCity generates a city whose records hold opt.People applicants. It is
// deterministic for opt.Seed.
func NewCity(opt CityOptions) *City {
	if opt.Today.IsZero() {
		opt.Today = person.Date{Year: 2025, Month: time.June, Day: 30}
	}
	if opt.FirstYear == 0 {
		opt.FirstYear = 2015
	}
	if opt.Mix == nil {
		opt.Mix = DefaultMix()
	}
	g := &cityGen{rng: rand.New(rand.NewPCG(opt.Seed, 0xc171)), opt: opt, names: newNames(), city: &City{}}
	var sum float64
	for c := Community(0); c < numCommunities; c++ {
		sum += opt.Mix[c]
		g.mixCum = append(g.mixCum, sum)
	}
	g.makeStreets()
	applicants := 0
	for applicants < opt.People {
		applicants += g.household()
		if opt.Progress != nil && g.hh%1000 == 0 {
			opt.Progress(min(applicants, opt.People), opt.People)
		}
	}
	g.trim(opt.People)
	g.writeForms()
	g.relations()
	g.rng.Shuffle(len(g.city.Applications), func(i, j int) {
		g.city.Applications[i], g.city.Applications[j] = g.city.Applications[j], g.city.Applications[i]
	})
	if opt.Progress != nil {
		opt.Progress(opt.People, opt.People)
	}
	return g.city
}

func (g *cityGen) chance(p float64) bool { return g.rng.Float64() < p }

// noise is the scale of clerks' slips (CityOptions.Noise, 1 when unset).
func (g *cityGen) noise() float64 {
	if g.opt.Noise > 0 {
		return g.opt.Noise
	}
	return 1
}

// slip reports whether a clerk's slip of base rate p happens on this form.
// At noise 1 it draws exactly as chance(p), so the default city stays the
// same city for a seed.
func (g *cityGen) slip(p float64) bool { return g.chance(p * g.noise()) }

func (g *cityGen) makeStreets() {
	names, _ := parseList(cityStreetNames)
	totalType := 0
	for _, t := range streetTypeNames {
		totalType += t.share
	}
	// Scale the city with its applicants: about one street per 150
	// residents, at least the named streets, each name used with a few
	// types ("Elm Street", "Elm Court") when the city is large.
	want := max(len(names), g.opt.People*3/150/2)
	seen := map[string]bool{}
	for len(g.streets) < want && len(seen) < len(names)*len(streetTypeNames) {
		n := names[g.rng.IntN(len(names))]
		x := g.rng.IntN(totalType)
		ti := 0
		for ; x >= streetTypeNames[ti].share; ti++ {
			x -= streetTypeNames[ti].share
		}
		t := streetTypeNames[ti]
		if seen[n+t.long] {
			continue
		}
		seen[n+t.long] = true
		z := cityZIPs[g.rng.IntN(len(cityZIPs))]
		g.streets = append(g.streets, street{name: n + " " + t.long, short: n + " " + t.short, zip: z.zip,
			hoods: z.hoods, maxNumber: 40 + g.rng.IntN(1400)})
	}
}

// newAddress returns a dwelling: mostly in multi-family houses
// (New England's triple-deckers), so that unrelated households share a
// house number and street and differ only in the unit.
func (g *cityGen) newAddress() address {
	s := g.streets[g.rng.IntN(len(g.streets))]
	a := address{Street: s.name, ZIP: s.zip, Hood: s.hoods[g.rng.IntN(len(s.hoods))]}
	// House numbers cluster at the low end of a street.
	n := 1 + int(float64(s.maxNumber)*math.Pow(g.rng.Float64(), 1.6))
	a.Number = fmt.Sprint(n)
	switch x := g.rng.Float64(); {
	case x < 0.40: // single-family or undivided
	case x < 0.80: // two- and three-family houses: floors
		a.Unit = fmt.Sprint(1 + g.rng.IntN(3))
	default: // apartment buildings
		a.Unit = fmt.Sprintf("%d%c", 1+g.rng.IntN(6), 'A'+g.rng.IntN(4))
	}
	g.buildings++
	a.Building = int32(fnvString(s.name + "|" + a.Number))
	return a
}

func fnvString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (g *cityGen) careOf() address {
	c := careOfPlaces[g.rng.IntN(len(careOfPlaces))]
	return address{Number: c.number, Street: c.street, ZIP: c.zip, CareOf: c.org, Building: int32(fnvString(c.street + "|" + c.number))}
}

func (g *cityGen) community() Community {
	x := g.rng.Float64() * g.mixCum[len(g.mixCum)-1]
	for i, c := range g.mixCum {
		if x < c {
			return Community(i)
		}
	}
	return Hispanic
}

// birth returns a birth date for someone aged between lo and hi on Today.
func (g *cityGen) birth(lo, hi int) person.Date {
	age := lo + g.rng.IntN(max(hi-lo+1, 1))
	end := g.opt.Today.Time().AddDate(-age, 0, 0)
	return person.DateOf(end.AddDate(0, 0, -g.rng.IntN(365)))
}

// given draws a given name of the community for sex.
func (g *cityGen) given(c Community, sex person.Sex) string {
	n := g.names[c]
	if sex == person.SexFemale || (sex == person.SexX && g.chance(0.5)) {
		return n.female.draw(g.rng)
	}
	return n.male.draw(g.rng)
}

func (g *cityGen) sex() person.Sex {
	switch x := g.rng.IntN(1000); {
	case x < 495:
		return person.SexFemale
	case x < 993:
		return person.SexMale
	}
	return person.SexX
}

// newResident makes a person of community c; sur1/sur2 as given.
func (g *cityGen) newResident(c Community, sex person.Sex, dob person.Date, sur1, sur2 string) *Resident {
	r := &Resident{Community: c, Sex: sex, DOB: dob, Sur1: sur1, Sur2: sur2}
	// Some immigrants' documents give only a year of birth; forms then
	// carry January 1 — a date shared by many unrelated people.
	if c != Anglo && c != AfricanAmerican && dob.Year < g.opt.Today.Year-25 && g.chance(0.02) {
		r.DOB = person.Date{Year: dob.Year, Month: time.January, Day: 1}
	}
	g.name(r, sex)
	n := g.names[c]
	switch c {
	case Vietnamese:
		if sex == person.SexFemale {
			r.Middle = n.middleF.draw(g.rng)
		} else {
			r.Middle = n.middleM.draw(g.rng)
		}
		// Those born or raised in the US often carry an American name.
		if dob.Year >= 1975 && g.chance(0.3) {
			if sex == person.SexFemale {
				r.American = n.americanF.draw(g.rng)
			} else {
				r.American = n.americanM.draw(g.rng)
			}
		}
	case Anglo, AfricanAmerican, Other:
		// A second given name, which forms write or leave out.
		if g.chance(0.25) {
			if m := g.given(c, sex); m != r.Given && !strings.Contains(m, " ") && !strings.Contains(r.Given, " ") {
				r.Middle = m
			}
		}
	}
	if g.chance(0.55) {
		r.phone = fmt.Sprintf("%03d-%03d-%04d", []int{203, 475, 860}[g.rng.IntN(3)], 200+g.rng.IntN(800), g.rng.IntN(10000))
	}
	return r
}

func (g *cityGen) surname(c Community) string { return g.names[c].surnames.draw(g.rng) }

// household makes one household, its members' lives and applications, and
// returns how many of them applied.
func (g *cityGen) household() int {
	g.hh++
	c := g.community()
	var members []*Resident
	var rels []RelatedPair
	idx := func(r *Resident) int32 { return int32(slices.Index(members, r)) } // position; mapped to ids later
	add := func(r *Resident) *Resident { members = append(members, r); return r }
	relate := func(a, b *Resident, rel Kinship) { rels = append(rels, RelatedPair{idx(a), idx(b), rel}) }
	twoSur := c == Hispanic
	newSurnames := func(cc Community) (string, string) {
		s1 := g.surname(cc)
		s2 := ""
		if cc == Hispanic {
			for s2 == "" || s2 == s1 {
				s2 = g.surname(cc)
			}
		}
		return s1, s2
	}
	kind := g.rng.Float64()
	switch {
	case kind < 0.24: // one adult
		s1, s2 := newSurnames(c)
		add(g.newResident(c, g.sex(), g.birth(18, 85), s1, s2))
	case kind < 0.30: // roommates, unrelated adults of one community
		n := 2 + g.rng.IntN(3)
		for i := 0; i < n; i++ {
			s1, s2 := newSurnames(c)
			r := add(g.newResident(c, g.sex(), g.birth(18, 60), s1, s2))
			for _, o := range members[:len(members)-1] {
				relate(o, r, RelRoommate)
			}
		}
	default: // a family: one or two parents, children, sometimes a grandparent
		single := kind < 0.42
		fs1, fs2 := newSurnames(c)
		father := g.newResident(c, person.SexMale, g.birth(24, 70), fs1, fs2)
		mc := c
		if g.chance(0.08) { // a mixed couple
			mc = g.community()
		}
		ms1, ms2 := newSurnames(mc)
		if mc == Hispanic && c != Hispanic {
			ms2 = ""
		}
		mdob := person.DateOf(father.DOB.Time().AddDate(-4+g.rng.IntN(9), 0, g.rng.IntN(300)))
		if !mdob.Before(g.opt.Today.AddYears(-19)) {
			mdob = g.opt.Today.AddYears(-19 - g.rng.IntN(3))
		}
		mother := g.newResident(mc, person.SexFemale, mdob, ms1, ms2)
		if !single || g.chance(0.2) {
			add(father)
		}
		add(mother)
		married := len(members) == 2
		if married {
			relate(father, mother, RelSpouse)
			g.marry(father, mother, c)
		}
		// Children: surnames by the community's custom.
		kids := 1 + g.geometric(0.45, 5)
		oldest := mother.DOB.Year + 18 + g.rng.IntN(15)
		var children []*Resident
		for k := 0; k < kids; k++ {
			y := oldest + k*(1+g.rng.IntN(4))
			if y > g.opt.Today.Year {
				break
			}
			dob := person.DateOf(time.Date(y, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC))
			if !dob.Before(g.opt.Today) {
				break
			}
			twins := g.chance(0.016) // one birth in ~60 is a twin birth
			for t := 0; t < 1+b2i(twins); t++ {
				s1, s2 := father.Sur1, ""
				switch {
				case twoSur:
					s2 = mother.Sur1
				case !married && (c == Anglo || c == AfricanAmerican || c == Haitian) && g.chance(0.5):
					s1 = mother.Sur1
				}
				if !married && single && g.chance(0.5) {
					s1, s2 = mother.Sur1, mother.Sur2
				}
				sex := g.sex()
				ch := g.newResident(c, sex, dob, s1, s2)
				// Sons named after their father: "Jr." in English-speaking
				// families, the father's (compound) name in Hispanic ones.
				if sex == person.SexMale && father.Sex == person.SexMale && (!single || len(members) > 1) {
					jr := map[Community]float64{Anglo: 0.06, AfricanAmerican: 0.08, Hispanic: 0.07, Haitian: 0.04}[c]
					if g.chance(jr) {
						ch.Given, ch.Middle, ch.Spelling = father.Given, father.Middle, father.Spelling
						if c == Anglo || c == AfricanAmerican || g.chance(0.3) {
							ch.Suffix, father.Suffix = "Jr", "Sr"
						}
					}
				}
				if c == Arabic && (!single || slices.Contains(members, father)) {
					ch.Middle = father.Given // "Ali Hassan": the father's name follows
				}
				// Twins get other names; sisters often share the first
				// of a compound name ("María José", "María Fernanda").
				// Each new draw is checked against every sibling, not only
				// the one it clashed with.
				for tries := 0; tries < 20 && g.clashes(ch, children); tries++ {
					g.name(ch, sex)
				}
				children = append(children, ch)
			}
			k += b2i(twins)
		}
		for _, ch := range children {
			add(ch)
			for _, p := range []*Resident{father, mother} {
				if slices.Contains(members, p) {
					rel := RelParentChild
					if p.Given == ch.Given && p.Sex == ch.Sex {
						rel = RelSameNameParent
					}
					relate(p, ch, rel)
				}
			}
		}
		for i, a := range children {
			for _, b := range children[i+1:] {
				rel := RelSibling
				if a.DOB == b.DOB {
					rel = RelTwin
				}
				relate(a, b, rel)
			}
		}
		if g.chance(0.12) { // a grandparent lives with them
			gp := g.newResident(c, g.sex(), father.DOB.AddYears(-20-g.rng.IntN(15)), "", "")
			if gp.DOB.Before(g.opt.Today.AddYears(-95)) {
				gp.DOB = g.opt.Today.AddYears(-95 + g.rng.IntN(10))
			}
			src := father
			if !slices.Contains(members, father) || g.chance(0.4) {
				src = mother
			}
			// gp is src's father or mother.
			switch {
			case gp.Sex == person.SexMale:
				gp.Sur1 = src.Sur1
				if c == Hispanic {
					gp.Sur2 = g.surname(c)
				}
			case c == Hispanic:
				gp.Sur1, gp.Sur2 = src.Sur2, g.surname(c)
				if gp.Sur1 == "" {
					gp.Sur1 = g.surname(c)
				}
			case c == Anglo || c == AfricanAmerican || c == Haitian:
				gp.Sur1, gp.Married, gp.MarriedYear = g.surname(c), src.Sur1, gp.DOB.Year+21
			default:
				gp.Sur1 = g.surname(c)
			}
			add(gp)
			relate(gp, src, RelParentChild)
			for _, ch := range children {
				relate(gp, ch, RelGrandparent)
			}
		}
	}
	g.live(members)
	// Keep the applicants; ids follow the order of the city's records.
	base := int32(len(g.city.Residents))
	pos := map[int32]int32{}
	n := 0
	for i, r := range members {
		if len(r.apps) == 0 {
			continue
		}
		r.ID = base + int32(n)
		r.Household = g.hh
		pos[int32(i)] = r.ID
		g.city.Residents = append(g.city.Residents, *r)
		n++
	}
	for _, rp := range rels {
		a, okA := pos[rp.A]
		b, okB := pos[rp.B]
		if okA && okB {
			g.city.Relations = append(g.city.Relations, RelatedPair{a, b, rp.Relation})
		}
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// geometric returns a count ≥ 0 with P(k+1)/P(k) = p, at most hi.
func (g *cityGen) geometric(p float64, hi int) int {
	k := 0
	for k < hi && g.chance(p) {
		k++
	}
	return k
}

// name draws r's given name, and for an Arabic name the Latin spelling the
// person habitually writes: a name drawn again (a sibling's clash) gets its
// own spelling, never the spelling of the name it replaced.
func (g *cityGen) name(r *Resident, sex person.Sex) {
	r.Given, r.Spelling = g.given(r.Community, sex), ""
	if r.Community != Arabic {
		return
	}
	if v := g.names[Arabic].variants[r.Given]; len(v) > 0 && g.chance(0.35) {
		r.Spelling = v[g.rng.IntN(len(v))]
	}
}

// clashes reports whether ch's first given name is a sibling's, other
// than two compound names sharing their first part (compoundSibling).
func (g *cityGen) clashes(ch *Resident, siblings []*Resident) bool {
	for _, sib := range siblings {
		if sameFirst(ch.Given, sib.Given) && !g.compoundSibling(ch.Community, ch, sib) {
			return true
		}
	}
	return false
}

func sameFirst(a, b string) bool {
	fa, _, _ := strings.Cut(strings.ReplaceAll(a, "-", " "), " ")
	fb, _, _ := strings.Cut(strings.ReplaceAll(b, "-", " "), " ")
	return fa == fb
}

// compoundSibling accepts siblings sharing the first part of a compound
// name when both names are compounds that differ ("María José" and "María
// Fernanda", "Jean-Robert" and "Jean-Claude"): common, and a hard case.
func (g *cityGen) compoundSibling(c Community, a, b *Resident) bool {
	return a.Given != b.Given && strings.ContainsAny(a.Given, " -") && strings.ContainsAny(b.Given, " -")
}

// marry sets the wife's married surname by the community's custom.
func (g *cityGen) marry(h, w *Resident, c Community) {
	year := max(w.DOB.Year+19+g.rng.IntN(15), h.DOB.Year+19)
	var p float64
	switch c {
	case Anglo, AfricanAmerican:
		p = 0.75
	case Haitian:
		p = 0.6
	case Hispanic:
		p = 0.12 // "de López", or the husband's surname in place of her second one
	case Other:
		p = 0.3
	}
	if g.chance(p) {
		w.Married, w.MarriedYear = h.Sur1, year
	}
}

// live gives a household its addresses over the years and its members
// their applications.
func (g *cityGen) live(members []*Resident) {
	first := g.opt.FirstYear
	last := g.opt.Today.Year
	// Arrival: many households came to the city during the program.
	arrive := first - 1
	if g.chance(0.35) {
		arrive = first + g.rng.IntN(last-first+1)
	}
	home := g.newAddress()
	if g.chance(0.015) {
		home = g.careOf()
	}
	var years []int
	var addrs []address
	years, addrs = append(years, arrive), append(addrs, home)
	// Renters in immigrant neighbourhoods move often: about one household
	// in six each year; a seventh of moves stay in the building.
	for y := arrive + 1; y <= last; y++ {
		if g.chance(0.16) {
			next := g.newAddress()
			cur := addrs[len(addrs)-1]
			if cur.CareOf == "" && g.chance(0.14) {
				next = cur
				for next.Unit == cur.Unit {
					next.Unit = fmt.Sprint(1 + g.rng.IntN(4))
				}
			}
			years, addrs = append(years, y), append(addrs, next)
		}
	}
	for _, r := range members {
		r.years = slices.Clone(years)
		r.addrs = slices.Clone(addrs)
		// Grown children leave home.
		if age := g.opt.Today.Year - r.DOB.Year; age >= 20 && len(members) > 2 && r.MarriedYear == 0 && g.chance(0.25) {
			y := max(r.DOB.Year+19+g.rng.IntN(8), arrive+1)
			if y <= last {
				cut := len(r.years)
				for i, yy := range r.years {
					if yy >= y {
						cut = i
						break
					}
				}
				r.years, r.addrs = append(r.years[:cut], y), append(r.addrs[:cut], g.newAddress())
			}
		}
		g.applications(r, arrive)
	}
}

// applications decides when r applied: a first application once old
// enough (children with a parent, less often), then renewals and
// replacements years apart, and now and then a second application soon
// after the first by someone who forgot or lost the card.
func (g *cityGen) applications(r *Resident, arrive int) {
	first, last := g.opt.FirstYear, g.opt.Today.Year
	minYear := max(first, arrive, r.DOB.Year+10)
	if minYear > last {
		return
	}
	p := 0.8
	if last-r.DOB.Year < 14 {
		p = 0.35
	}
	if !g.chance(p) {
		return
	}
	// Applications crowd the launch years.
	y := minYear
	if g.chance(0.6) {
		y += g.rng.IntN(max(last-minYear+1, 1))
	} else {
		y += g.rng.IntN(max(min(3, last-minYear+1), 1))
	}
	y = min(y, last)
	r.apps = append(r.apps, y)
	for {
		var gap int
		switch x := g.rng.Float64(); {
		case x < 0.48: // renewal: five-year cards
			gap = 5
		case x < 0.61: // lost or stolen: a new application
			gap = 1 + g.rng.IntN(4)
		case x < 0.66: // applied again soon (forgot, or a rejected form)
			gap = 0
		default:
			return
		}
		y += gap
		if y > last {
			return
		}
		r.apps = append(r.apps, y)
	}
}

// trim drops whole households past the wanted number of applicants, so
// the file holds exactly n people.
func (g *cityGen) trim(n int) {
	if len(g.city.Residents) <= n {
		return
	}
	g.city.Residents = g.city.Residents[:n]
	keep := g.city.Relations[:0]
	for _, rp := range g.city.Relations {
		if int(rp.A) < n && int(rp.B) < n {
			keep = append(keep, rp)
		}
	}
	g.city.Relations = keep
}

// addressAt returns where r lived in year y.
func (r *Resident) addressAt(y int) address {
	a := r.addrs[0]
	for i, yy := range r.years {
		if yy <= y {
			a = r.addrs[i]
		}
	}
	return a
}

// relations adds neighbours in one building, residents of one shelter and
// namesakes born within two years of each other.
func (g *cityGen) relations() {
	byBuilding := map[int32][]int32{}
	for i := range g.city.Residents {
		r := &g.city.Residents[i]
		a := r.addressAt(r.apps[0])
		byBuilding[a.Building] = append(byBuilding[a.Building], r.ID)
	}
	for _, ids := range byBuilding {
		if len(ids) > 60 {
			ids = ids[:60]
		}
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				ra, rb := &g.city.Residents[a], &g.city.Residents[b]
				if ra.Household == rb.Household {
					continue
				}
				rel := RelNeighbor
				if ra.addressAt(ra.apps[0]).CareOf != "" {
					rel = RelShelter
				}
				g.city.Relations = append(g.city.Relations, RelatedPair{a, b, rel})
			}
		}
	}
	byName := map[string][]int32{}
	for i := range g.city.Residents {
		r := &g.city.Residents[i]
		k := strings.ToLower(stripAccents(firstToken(r.Given) + "|" + r.Sur1))
		byName[k] = append(byName[k], r.ID)
	}
	for _, ids := range byName {
		if len(ids) < 2 || len(ids) > 2000 {
			continue
		}
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				ra, rb := &g.city.Residents[a], &g.city.Residents[b]
				if ra.Household == rb.Household || absInt(ra.DOB.Year-rb.DOB.Year) > 2 {
					continue
				}
				g.city.Relations = append(g.city.Relations, RelatedPair{a, b, RelNamesake})
			}
		}
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
