package synth

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/cityid/cityid/internal/person"
)

// Rates of what happens between a person and a typed form. Each is the
// chance per form (per field where it says so); they are the generator's
// model of a city's records, documented in docs/linkage.md.
const (
	rateTypoName     = 0.025 // per name field
	rateTypoStreet   = 0.03
	rateTypoNumber   = 0.02
	rateTypoZIP      = 0.015
	rateDateSwap     = 0.04 // day and month swapped (immigrants used to DD/MM), when day ≤ 12
	rateDateSwapUS   = 0.01
	rateDateTypo     = 0.015
	rateDateYear     = 0.006 // year off by one
	rateDateMissing  = 0.005
	rateNameSwap     = 0.008 // given name and surname in each other's boxes
	rateNameSwapVN   = 0.05
	rateNickname     = 0.04
	rateNicknameUS   = 0.07
	rateUnitMissing  = 0.2
	rateZIPMissing   = 0.02
	rateCityMissing  = 0.05
	rateArabicScript = 0.004
)

// writeForms turns each resident's applications into records.
func (g *cityGen) writeForms() {
	for i := range g.city.Residents {
		r := &g.city.Residents[i]
		first := r.addressAt(r.apps[0])
		for k, y := range r.apps {
			a := g.form(r, y)
			a.Person = r.ID
			a.Year = y
			if k == 0 {
				a.ID = fmt.Sprintf("rec-%d-org", r.ID)
			} else {
				a.ID = fmt.Sprintf("rec-%d-dup-%d", r.ID, k-1)
				now := r.addressAt(y)
				a.Moved = now.Building != first.Building || now.Unit != first.Unit
			}
			g.city.Applications = append(g.city.Applications, a)
		}
	}
}

// form is one application by r in year y, as a clerk typed it.
func (g *cityGen) form(r *Resident, y int) Application {
	var a Application
	a.GivenNames = g.writtenGiven(r)
	a.FirstSurname, a.SecondSurname = g.writtenSurnames(r, y)
	if r.Suffix != "" && g.chance(0.35) {
		if g.chance(0.6) {
			a.GivenNames += " " + r.Suffix
		} else {
			a.FirstSurname += " " + r.Suffix
		}
	}
	swap := rateNameSwap
	if r.Community == Vietnamese {
		swap = rateNameSwapVN
	}
	if g.slip(swap) {
		a.GivenNames, a.FirstSurname, a.SecondSurname = strings.TrimSpace(a.FirstSurname+" "+a.SecondSurname), a.GivenNames, ""
	}
	if r.Community == Arabic && g.chance(rateArabicScript) {
		// A form filled in the applicant's own script, where we know it.
		n := g.names[Arabic]
		if s, ok := n.script[r.Given]; ok {
			a.GivenNames = s
		}
		if s, ok := n.script[r.Sur1]; ok {
			a.FirstSurname = s
		}
	}
	if g.slip(rateTypoName) {
		a.GivenNames = g.clerkTypo(a.GivenNames)
	}
	if g.slip(rateTypoName) {
		a.FirstSurname = g.clerkTypo(a.FirstSurname)
	}
	if r.Sex != person.SexNotShown && !g.chance(0.03) {
		a.Sex = string(r.Sex)
	}
	a.DateOfBirth = g.writtenDate(r)
	g.writtenAddress(&a, r.addressAt(y))
	if r.phone != "" && g.chance(0.7) {
		a.Phone = r.phone
		if g.slip(0.02) {
			a.Phone = g.digitTypo(a.Phone)
		}
	}
	// How the whole form was keyed: without accents (an English keyboard
	// or an older system), in capitals, in lower case.
	strip := 0.4
	switch r.Community {
	case Vietnamese:
		strip = 0.85
	case Hispanic, Haitian:
		strip = 0.45
	}
	if g.chance(strip) {
		a.GivenNames, a.FirstSurname, a.SecondSurname = foldAccents(a.GivenNames), foldAccents(a.FirstSurname), foldAccents(a.SecondSurname)
		a.Street, a.City = foldAccents(a.Street), foldAccents(a.City)
	}
	switch x := g.rng.Float64(); {
	case x < 0.12:
		a.GivenNames, a.FirstSurname, a.SecondSurname = strings.ToUpper(a.GivenNames), strings.ToUpper(a.FirstSurname), strings.ToUpper(a.SecondSurname)
		a.Street, a.Line2, a.City = strings.ToUpper(a.Street), strings.ToUpper(a.Line2), strings.ToUpper(a.City)
	case x < 0.2:
		a.GivenNames, a.FirstSurname, a.SecondSurname = strings.ToLower(a.GivenNames), strings.ToLower(a.FirstSurname), strings.ToLower(a.SecondSurname)
	}
	return a
}

// writtenGiven is the given-name box: the name as the person gives it
// this time (compound or not, a nickname, a transliteration, an American
// name, a middle name).
func (g *cityGen) writtenGiven(r *Resident) string {
	n := g.names[r.Community]
	given := r.Given
	if r.Spelling != "" && g.chance(0.75) {
		given = r.Spelling
	} else if v := n.variants[r.Given]; len(v) > 0 && g.chance(0.12) {
		given = v[g.rng.IntN(len(v))]
	}
	switch r.Community {
	case Vietnamese:
		if r.American != "" && g.chance(0.6) {
			given = r.American
			if g.chance(0.25) {
				given += " " + r.Given
			}
			return given
		}
		switch x := g.rng.Float64(); {
		case x < 0.45:
		case x < 0.75:
			given = r.Middle + " " + r.Given
		case x < 0.9:
			given = r.Given + " " + r.Middle
		default:
			if g.chance(0.3) {
				given = r.Middle + r.Given // run together: "Vanminh"
				given = string(unicode.ToUpper([]rune(given)[0])) + strings.ToLower(string([]rune(given)[1:]))
			}
		}
		return given
	case Arabic:
		if r.Middle != "" && g.chance(0.2) {
			given += " " + r.Middle
		}
	case Anglo, AfricanAmerican, Other:
		if r.Middle != "" {
			switch x := g.rng.Float64(); {
			case x < 0.25:
				given += " " + r.Middle
			case x < 0.35:
				given += " " + r.Middle[:1] + "."
			}
		}
	}
	// Compound given names: in full, the first part, the second part (many
	// "María X" go by X), or with the hyphen changed.
	if sep := strings.IndexAny(given, " -"); sep > 0 && r.Community != Arabic {
		firstPart, rest := given[:sep], given[sep+1:]
		for _, particle := range []string{"de los ", "de las ", "de la ", "del ", "de "} {
			rest = strings.TrimPrefix(rest, particle) // "María del Carmen" goes by "Carmen"
		}
		second := 0.03
		if firstPart == "María" || firstPart == "José" || firstPart == "Juan" || firstPart == "Jean" || firstPart == "Marie" || firstPart == "Ana" {
			second = 0.12
		}
		switch x := g.rng.Float64(); {
		case x < 0.14:
			given = firstPart
		case x < 0.14+second:
			given = rest
		case x < 0.3+second && given[sep] == '-':
			given = firstPart + " " + rest
		case x < 0.33+second && given[sep] == ' ' && r.Community == Haitian:
			given = firstPart + "-" + rest
		}
	}
	rate := rateNickname
	if r.Community == Anglo || r.Community == AfricanAmerican {
		rate = rateNicknameUS
	}
	if nn := n.nicknames[firstToken(strings.ReplaceAll(given, "-", " "))]; len(nn) > 0 && g.chance(rate) {
		given = nn[g.rng.IntN(len(nn))]
	}
	return given
}

// writtenSurnames are the surname boxes (the second for Hispanic names;
// FEBRL-style files put both in one).
func (g *cityGen) writtenSurnames(r *Resident, y int) (string, string) {
	s1, s2 := r.Sur1, r.Sur2
	if r.Married != "" && y >= r.MarriedYear {
		switch r.Community {
		case Hispanic:
			switch x := g.rng.Float64(); {
			case x < 0.3:
				s2 = "de " + r.Married
			case x < 0.8:
				s2 = r.Married
			}
		default:
			switch x := g.rng.Float64(); {
			case x < 0.8:
				s1, s2 = r.Married, ""
			case x < 0.9:
				s1, s2 = r.Sur1+"-"+r.Married, ""
			}
		}
	}
	s1 = g.surnameSpelling(r.Community, s1)
	if s2 != "" {
		s2 = g.surnameSpelling(r.Community, s2)
		switch x := g.rng.Float64(); {
		case x < 0.30: // both in the one box
			return s1 + " " + s2, ""
		case x < 0.55:
			return s1, s2
		case x < 0.83: // second dropped: US forms have one surname box
			return s1, ""
		case x < 0.89:
			return s1 + "-" + s2, ""
		case x < 0.93: // order swapped
			return s2 + " " + s1, ""
		case x < 0.95: // the mother's only
			return s2, ""
		default:
			return s1 + " y " + s2, ""
		}
	}
	return s1, ""
}

// surnameSpelling varies how one surname is written: particles, hyphens,
// the Arabic article, transliterations.
func (g *cityGen) surnameSpelling(c Community, s string) string {
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "de la ") || strings.HasPrefix(low, "del ") || strings.HasPrefix(low, "de "):
		rest := s[strings.LastIndex(s, " ")+1:]
		switch x := g.rng.Float64(); {
		case x < 0.1:
			return rest
		case x < 0.2:
			return strings.ReplaceAll(s, " ", "")
		case x < 0.35:
			return titleWords(s)
		}
	case c == Arabic:
		if v := g.names[Arabic].variants[s]; len(v) > 0 && g.chance(0.3) {
			return v[g.rng.IntN(len(v))]
		}
		if strings.HasPrefix(s, "Al-") || strings.HasPrefix(s, "El-") {
			switch x := g.rng.Float64(); {
			case x < 0.1:
				return s[3:]
			case x < 0.2:
				return s[:2] + " " + s[3:]
			case x < 0.25:
				return s[:2] + strings.ToLower(s[3:])
			}
		}
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		switch x := g.rng.Float64(); {
		case x < 0.25:
			return a + " " + b
		case x < 0.3:
			return a + strings.ToLower(b)
		case x < 0.34:
			return b
		}
	}
	if c == Hispanic && g.chance(0.015) {
		return g.spanishMisspelling(s)
	}
	return s
}

// spanishMisspelling writes a Spanish name as it sounds to an English
// speaker or as a hurried clerk spells it: b/v, s/z, ll/y, a silent h.
func (g *cityGen) spanishMisspelling(s string) string {
	for _, p := range [][2]string{{"v", "b"}, {"b", "v"}, {"z", "s"}, {"s", "z"}, {"ll", "y"}, {"y", "ll"}, {"H", ""}, {"qu", "k"}, {"c", "s"}} {
		if i := strings.Index(s, p[0]); i >= 0 && g.chance(0.5) {
			return s[:i] + p[1] + s[i+len(p[0]):]
		}
	}
	return s
}

// titleWords capitalizes every word: "de la Cruz" → "De La Cruz".
func titleWords(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		r := []rune(x)
		w[i] = string(unicode.ToUpper(r[0])) + string(r[1:])
	}
	return strings.Join(w, " ")
}

// writtenDate is the date-of-birth box.
func (g *cityGen) writtenDate(r *Resident) string {
	if g.slip(rateDateMissing) {
		return ""
	}
	d := r.DOB
	swap := rateDateSwap
	if r.Community == Anglo || r.Community == AfricanAmerican {
		swap = rateDateSwapUS
	}
	switch x := g.rng.Float64() / g.noise(); {
	case x < swap:
		if d.Day <= 12 && d.Day != int(d.Month) {
			d = person.Date{Year: d.Year, Month: time.Month(d.Day), Day: int(d.Month)}
		}
	case x < swap+rateDateYear:
		d.Year += []int{-1, 1}[g.rng.IntN(2)]
	case x < swap+rateDateYear+rateDateTypo:
		s := d.String()
		return g.digitTypo(s)
	}
	return d.String()
}

// writtenAddress fills the address boxes from where r lived.
func (g *cityGen) writtenAddress(a *Application, ad address) {
	a.StreetNumber = ad.Number
	if g.slip(rateTypoNumber) {
		a.StreetNumber = g.digitTypo(a.StreetNumber)
	}
	if g.slip(0.01) {
		a.StreetNumber = ""
	}
	st := ad.Street
	if g.chance(0.5) {
		for _, t := range streetTypeNames {
			if strings.HasSuffix(st, " "+t.long) {
				st = strings.TrimSuffix(st, t.long) + t.short
				if g.chance(0.3) {
					st += "."
				}
				break
			}
		}
	}
	if g.slip(rateTypoStreet) {
		st = g.clerkTypo(st)
	}
	a.Street = st
	switch {
	case ad.CareOf != "":
		if g.chance(0.5) {
			a.Line2 = "c/o " + ad.CareOf
		}
	case ad.Unit != "" && !g.slip(rateUnitMissing):
		a.Line2 = g.unitForm(ad.Unit)
	}
	switch x := g.rng.Float64(); {
	case x < rateCityMissing*g.noise():
	case x < rateCityMissing*g.noise()+0.05:
		a.City = ad.Hood
	case x < rateCityMissing*g.noise()+0.07:
		a.City = []string{"N Haven", "New Haven CT", "Newhaven"}[g.rng.IntN(3)]
	default:
		a.City = "New Haven"
	}
	switch x, zm, zt := g.rng.Float64(), rateZIPMissing*g.noise(), rateTypoZIP*g.noise(); {
	case x < zm:
	case x < zm+zt:
		a.PostalCode = g.digitTypo(ad.ZIP)
	case x < zm+zt+0.015:
		a.PostalCode = fmt.Sprintf("%s-%04d", ad.ZIP, g.rng.IntN(10000))
	default:
		a.PostalCode = ad.ZIP
	}
	switch x := g.rng.Float64(); {
	case x < 0.05:
	case x < 0.1:
		a.State = "Connecticut"
	default:
		a.State = "CT"
	}
}

// unitForm writes a unit as forms do: "Apt 2", "#2", "2nd Floor", "Unit 2".
func (g *cityGen) unitForm(u string) string {
	floor := len(u) == 1
	switch x := g.rng.Float64(); {
	case x < 0.35:
		return "Apt " + u
	case x < 0.45:
		return "Apt. " + u
	case x < 0.6:
		return "#" + u
	case x < 0.7:
		return "Unit " + u
	case x < 0.85 && floor:
		return ordinal(u) + []string{" Floor", " Fl", " fl"}[g.rng.IntN(3)]
	case x < 0.9 && floor:
		return "Fl " + u
	}
	return u
}

func ordinal(u string) string {
	switch u {
	case "1":
		return "1st"
	case "2":
		return "2nd"
	case "3":
		return "3rd"
	}
	return u + "th"
}

// clerkTypo is a typing error anywhere on the keyboard, now and then in
// the first letter.
func (g *cityGen) clerkTypo(s string) string {
	return typo(g.rng, s, 0.08, "qwertyuiopasdfghjklzxcvbnm")
}

// digitTypo changes or transposes one digit.
func (g *cityGen) digitTypo(s string) string {
	r := []rune(s)
	var pos []int
	for i, c := range r {
		if c >= '0' && c <= '9' {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return s
	}
	i := pos[g.rng.IntN(len(pos))]
	if g.chance(0.4) && len(pos) > 1 {
		j := pos[g.rng.IntN(len(pos))]
		r[i], r[j] = r[j], r[i]
	} else {
		r[i] = rune('0' + g.rng.IntN(10))
	}
	return string(r)
}

// foldAccents removes diacritics, as an English keyboard or an old system
// does: "Nguyễn" → "Nguyen", "Peña" → "Pena", "Désir" → "Desir".
func foldAccents(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(baseLetter(r))
	}
	return b.String()
}

// baseLetter maps a Latin letter with diacritics to its base letter.
func baseLetter(r rune) rune {
	if r < 0x80 {
		return r
	}
	const from = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÑñÇçÝýÿĐđƠơƯư"
	const to = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuNnCcYyyDdOoUu"
	fr, tr := []rune(from), []rune(to)
	for i, f := range fr {
		if f == r {
			return tr[i]
		}
	}
	// Vietnamese letters with two marks (ễ, ầ, ộ…): decompose by range.
	switch {
	case r >= 0x1EA0 && r <= 0x1EB7:
		return pick(r, 'A', 'a')
	case r >= 0x1EB8 && r <= 0x1EC7:
		return pick(r, 'E', 'e')
	case r >= 0x1EC8 && r <= 0x1ECB:
		return pick(r, 'I', 'i')
	case r >= 0x1ECC && r <= 0x1EE3:
		return pick(r, 'O', 'o')
	case r >= 0x1EE4 && r <= 0x1EF1:
		return pick(r, 'U', 'u')
	case r >= 0x1EF2 && r <= 0x1EF9:
		return pick(r, 'Y', 'y')
	}
	return r
}

// pick returns upper for even code points (capitals come first in the
// Latin Extended Additional block) and lower for odd ones.
func pick(r, upper, lower rune) rune {
	if r%2 == 0 {
		return upper
	}
	return lower
}
