package linkage

import (
	"slices"
	"strings"
)

// Vector holds one Level per field, 4 bits each.
type Vector uint64

// Get returns the level of field f.
func (v Vector) Get(f Field) Level { return Level(v >> (4 * f) & 0xF) }

func (v *Vector) set(f Field, l Level) {
	*v = *v&^(0xF<<(4*f)) | Vector(l)<<(4*f)
}

// Similarity cut-offs for the fuzzy levels (Jaro–Winkler on folded text).
const (
	strongJW = 0.94
	weakJW   = 0.84
)

func jwLevel(s float64) Level { return simLevel(s, strongJW, weakJW) }

// simLevel maps a similarity in [0, 1] to Strong, Weak or Different.
func simLevel(s, strong, weak float64) Level {
	switch {
	case s >= strong:
		return Strong
	case s >= weak:
		return Weak
	}
	return Different
}

// comparePlain compares two prepared records field by field.
func comparePlain(a, b *prepared, nick Nicknames) Vector {
	var v Vector
	g, s := compareGiven(a, b, nick), compareSurname(a.sur, a.surFull, a.surNoSp, a.surDM, a.surSp, b.sur, b.surFull, b.surNoSp, b.surDM, b.surSp)
	if a.arabic != b.arabic {
		s = compareScripts(a.surFull, b.surFull)
	}
	// Given name and surname written in each other's boxes. A swap fits
	// better only if a cross comparison is at least as good as the better
	// straight one, so where that is Exact (most candidate pairs share a
	// surname) only a cross comparison that is Exact can win: the strings
	// equal.
	if (g > Strong || s > Strong) && (min(g, s) != Exact || a.givenFull == b.surFull || b.givenFull == a.surFull) {
		gx := compareNameCross(a.given, a.givenFull, a.givenDM, a.givenSp, b.sur, b.surFull, b.surDM, b.surSp)
		sx := compareNameCross(b.given, b.givenFull, b.givenDM, b.givenSp, a.sur, a.surFull, a.surDM, a.surSp)
		// Only when both fit better swapped: "Jean Frantz Jean-Louis" and
		// "Jean Jean-Baptiste" are not a swap.
		if betterSwapped(g, s, gx, sx) {
			g, s = swappedLevels(gx, sx)
		}
	}
	v.set(GivenName, g)
	v.set(Surname, s)
	v.set(BirthDate, compareDate(a.dob, b.dob))
	v.set(SexField, compareExact(a.sex, b.sex))
	v.set(StreetNumber, compareCode(a.num, b.num))
	st := compareStreet(a.street, a.streetNS, b.street, b.streetNS)
	l2 := compareText(a.line2, b.line2)
	if st >= Weak && l2 >= Weak {
		// Street and second line swapped between the two forms.
		stx := compareText(a.street, b.line2)
		l2x := compareText(a.line2, b.street)
		if stx != Missing && l2x != Missing && stx+l2x < st+l2 {
			st, l2 = stx, l2x
		}
	}
	v.set(StreetName, st)
	v.set(Line2, l2)
	c := compareText(a.city, b.city)
	if c == Different && a.citySp != "" && a.citySp == b.citySp {
		c = Phonetic
	}
	v.set(City, c)
	v.set(PostalCode, compareCode(a.post, b.post))
	v.set(State, compareExact(a.state, b.state))
	v.set(Email, compareText(a.email, b.email))
	v.set(Phone, compareCode(a.phone, b.phone))
	v.set(Suffix, compareExact(a.suffix, b.suffix))
	return v
}

// betterSwapped reports whether the cross comparisons gx, sx of a pair's
// name boxes fit better than the straight ones g, s: both at least as well
// and one better, taken in either order — which box of the cross pair is
// the given name is swappedLevels' choice, so the answer must not depend
// on which record came first.
func betterSwapped(g, s, gx, sx Level) bool {
	if gx == Missing || sx == Missing {
		return false
	}
	fits := func(x, y Level) bool { return x <= g && y <= s && (x < g || y < s) }
	return fits(gx, sx) || fits(sx, gx)
}

// swappedLevels assigns the two cross comparisons of a pair whose name
// boxes were swapped on one form. Which form was swapped cannot be told
// from the two forms alone: if it was a's, a's given-name box against b's
// surname is the surnames' comparison; if b's, it is the given names'. The
// worse of the two is taken as the given names': a wholly different given
// name is what tells a brother ("NGUYEN, Cuong" in the wrong boxes) from
// one person, and one person's forms agree on both anyway.
func swappedLevels(x, y Level) (given, surname Level) {
	return max(x, y), min(x, y)
}

// compareScripts compares names when one record writes them in Arabic
// script and the other in Latin letters: a transliteration is Strong.
func compareScripts(a, b string) Level {
	switch {
	case a == "" || b == "":
		return Missing
	case Skeleton(a) == Skeleton(b):
		return Strong
	}
	return Different
}

func compareExact(a, b string) Level {
	switch {
	case a == "" || b == "":
		return Missing
	case a == b:
		return Exact
	}
	return Different
}

func compareText(a, b string) Level {
	switch {
	case a == "" || b == "":
		return Missing
	case a == b:
		return Exact
	}
	return jwLevel(JaroWinkler(a, b))
}

// compareCode compares digit strings (house numbers, postcodes, phones)
// where one typo is strong and two is weak.
func compareCode(a, b string) Level {
	switch {
	case a == "" || b == "":
		return Missing
	case a == b:
		return Exact
	}
	switch d := editWithin(a, b, 2); {
	case d == 1:
		return Strong
	case d == 2 && len(a) >= 4:
		return Weak
	}
	return Different
}

func compareStreet(a, ans, b, bns string) Level {
	if l := compareText(a, b); l != Different && l != Weak {
		return l
	}
	if ans == bns {
		return Strong // "hampto n cct" and "hampton cct"
	}
	return compareText(a, b)
}

func compareDate(a, b date) Level {
	switch {
	case a.zero() || b.zero():
		return Missing
	case a.Digits == b.Digits:
		return Exact
	case a.Y == b.Y && a.M == b.D && a.D == b.M:
		return Strong // day and month swapped
	}
	// Each fact is worked out only where the level depends on it: this
	// runs for every compared pair of a batch.
	d := editWithin(a.Digits, b.Digits, 2)
	oneImpossible := d <= 2 && a.possible() != b.possible()
	twoParts := false
	if d > 2 {
		same := 0
		for _, eq := range [3]bool{a.Y == b.Y, a.M == b.M, a.D == b.D} {
			if eq {
				same++
			}
		}
		twoParts = same == 2
	}
	return keystrokeLevel(d, oneImpossible, a.M == b.M && a.D == b.D, twoParts)
}

// keystrokeLevel is the level of two birth dates, neither equal nor with day
// and month swapped, d keystrokes apart (more than 2 for any d over 2), in
// plain mode and in Bloom mode alike (encodedDateLevel). oneImpossible: one
// of them is no date at all; sameMonthDay: only the year differs; twoParts:
// two of year, month and day agree.
func keystrokeLevel(d int, oneImpossible, sameMonthDay, twoParts bool) Level {
	switch {
	case d <= 2 && oneImpossible:
		// One of the two is no date at all (month 13, day 00, year
		// 2603): it was mistyped, for certain, and few real dates are
		// within two keystrokes of it (its impossible digit must be
		// one of them) — about as few as are within one keystroke of a
		// real date, Strong's share among strangers. Weighed as Weak, a
		// renewal whose first form said 2603-03-30 was missed.
		return Strong
	case d == 1 && sameMonthDay:
		// One keystroke in the year, the same day of the year: a typo, or
		// brothers and sisters born on one day years apart.
		return Weak
	case d == 1:
		return Strong
	case d == 2:
		return Weak
	case twoParts:
		// Two of year, month and day: a wrong day or month, or two people
		// born in the same month. Its own level, so that EM weighs it
		// apart from two-keystroke typos.
		return Phonetic
	}
	return Different
}

// compareGiven compares given names: exact, nicknames, a dropped middle
// name, an initial, typos and sound.
func compareGiven(a, b *prepared, nick Nicknames) Level {
	if len(a.given) == 0 || len(b.given) == 0 {
		return Missing
	}
	if a.arabic != b.arabic {
		return compareScripts(a.givenFull, b.givenFull)
	}
	if a.givenFull == b.givenFull {
		if a.foldGiven != b.foldGiven && strings.ContainsRune(a.foldGiven+b.foldGiven, 'ñ') {
			return Strong
		}
		return Exact
	}
	a0, b0 := a.given[0], b.given[0]
	if subset(a.given, b.given) || subset(b.given, a.given) {
		if laterPart(a.given, b.given) || laterPart(b.given, a.given) {
			return Weak
		}
		return Strong // a name dropped or the order changed: "María", "María José"
	}
	if runTogether(a.given, a.givenNoSp, b.givenNoSp, b.given) || runTogether(b.given, b.givenNoSp, a.givenNoSp, a.given) {
		return Strong // "Thi Khanh" and "Thikhanh", "Kim" and "Hoaikim"
	}
	if a0 == b0 || nick.Same(a0, b0) {
		if len(a.given) > 1 && len(b.given) > 1 && !restAgrees(a.given[1:], b.given[1:], nick) {
			// "María José" and "María Fernanda", "Jean-Claude" and
			// "Jean-Robert": sisters and brothers (twins too) share the
			// first part; one person does not change the second. The
			// names differ, as wholly as "Ali" and "Fatima" do.
			return Different
		}
		return Strong
	}
	// A single name against a later name of the other form (or its
	// nickname): "Lupe" and "María Guadalupe". Weak (see laterPart).
	// Sharing only a middle name ("María José", "Ana María") is weaker
	// still: siblings often do. Only when one form has a single given
	// name: "María Concepción" and "Dolores María" are more likely sisters.
	if len(a.given) == 1 {
		for _, y := range b.given[1:] {
			if a0 == y || nick.Same(a0, y) {
				return Weak
			}
		}
	}
	if len(b.given) == 1 {
		for _, x := range a.given[1:] {
			if x == b0 || nick.Same(x, b0) {
				return Weak
			}
		}
	}
	shared := false
	for _, x := range a.given {
		for _, y := range b.given {
			shared = shared || x == y
		}
	}
	if shared && siblingCompounds(a.given, b.given, nick) {
		return Different
	}
	sim := JaroWinkler(a0, b0)
	if len(a.given) > 1 || len(b.given) > 1 {
		sim = max(sim, JaroWinkler(a.givenFull, b.givenFull))
	}
	l := jwLevel(sim)
	if l != Different {
		return l
	}
	if shared {
		return Weak
	}
	if len(a0) >= 3 && len(b0) >= 3 && editWithin(a0, b0, 1) == 1 {
		return Weak // one letter off in a short name: "Wei", "Wci"
	}
	if (len(a0) == 1 && b0[0] == a0[0]) || (len(b0) == 1 && a0[0] == b0[0]) {
		return Weak // an initial
	}
	if a.givenSp != "" && (a.givenSp == b.givenSp || a.givenDM == b.givenDM) {
		return Phonetic
	}
	return Different
}

// laterPart reports whether a is a single name that is a later part of
// b's compound name, not its first: "María" and "Ana María", "José" and
// "Juan José", "Dwayne" and "DeShawn Dwayne". One person's forms drop the
// second part of a compound name far more often than the first, while a
// twin or a sister named "María" beside an "Ana María", or a son "José"
// beside a father "Juan José", is common; so this is Weak, not Strong —
// still agreement (its m learned like the other levels': many do go by
// their second name), but one that a shared birth date and address do not
// lift above the household class on their own (issue 12: twins linked).
func laterPart(a, b []string) bool {
	return len(a) == 1 && len(b) > 1 && a[0] != b[0]
}

// runTogether reports whether the names of a, written without spaces,
// are those of b or end with one of them (a middle name run into the given
// name, as US systems often store Vietnamese names: "Văn Minh" as
// "Vanminh").
// aNS and bNS are a and b joined without spaces (prepared.givenNoSp).
func runTogether(a []string, aNS, bNS string, b []string) bool {
	if len(a) != 1 {
		return aNS == bNS
	}
	joined := a[0]
	if joined == bNS {
		return true
	}
	for _, t := range b {
		if len(t) >= 2 && len(joined) >= len(t)+2 && strings.HasSuffix(joined, t) {
			return true
		}
	}
	return false
}

// restAgrees reports whether the later parts of two compound given names
// could be one name: a shared part, a nickname, or a typo.
func restAgrees(a, b []string, nick Nicknames) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y || nick.Same(x, y) || JaroWinkler(x, y) >= weakJW ||
				(len(x) == 1 && len(y) > 0 && y[0] == x[0]) || (len(y) == 1 && len(x) > 0 && x[0] == y[0]) {
				return true // the same, a nickname, a typo or an initial ("María J.")
			}
		}
	}
	return false
}

// siblingCompounds reports whether two compound given names share a part
// only in another place, and differ wholly in the rest: "Marie-Michelle"
// and "Rose-Marie", "José Manuel" and "María José", "Thanh Xuân" and "Châu
// Thanh". Sisters, brothers and twins are named so, as with a shared first
// part; one person's forms keep their names' order or swap them (a subset,
// compared before), and one who takes another first name keeps the rest in
// its place ("Ngọc Lan", "Cindy Lan"). The rest must not be a nickname, a
// typo or an initial of each other ("Kim Lua", "iKm Lua").
func siblingCompounds(a, b []string, nick Nicknames) bool {
	if len(a) < 2 || len(b) < 2 {
		return false
	}
	for i, x := range a {
		if i < len(b) && b[i] == x {
			return false // a part shared in its place
		}
	}
	ra, rb := unshared(a, b), unshared(b, a)
	if restAgrees(ra, rb, nick) {
		return false
	}
	for _, x := range ra {
		for _, y := range rb {
			if editWithin(x, y, 1) <= 1 {
				return false
			}
		}
	}
	return true
}

// unshared returns the tokens of a that are not in b.
func unshared(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// subset reports whether every token of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(a) > 0
}

// compareSurname handles two-surname order: swapped, one dropped, run
// together, hyphenated; then typos and sound.
func compareSurname(a []string, aFull, aNS string, aDM, aSp []string, b []string, bFull, bNS string, bDM, bSp []string) Level {
	if len(a) == 0 || len(b) == 0 {
		return Missing
	}
	if aFull == bFull || aNS == bNS || (len(a) == len(b) && subset(a, b)) {
		return Exact
	}
	shared, joined := false, 0
	for _, x := range a {
		for _, y := range b {
			if x == y {
				shared = true
			} else if sameBesideArticle(x, y) {
				shared = true
				joined++
			}
		}
	}
	if joined > 0 && len(a) == len(b) && joined == len(a) {
		return Exact // "Alhassan" and "Al-Hassan"
	}
	if shared && (len(a) == 1 || len(b) == 1) {
		return Strong // second surname dropped on one form
	}
	best := JaroWinkler(aFull, bFull)
	if len(a) > 1 || len(b) > 1 {
		best = max(best, JaroWinkler(aNS, bNS), JaroWinkler(a[0], b[0]))
	}
	l := jwLevel(best)
	if shared {
		return Weak // one surname in common, the other differs: maybe kin
	}
	if l != Different {
		return l
	}
	for i := range a {
		for j := range b {
			if (aSp[i] != "" && aSp[i] == bSp[j]) || (aDM[i] != "" && aDM[i] == bDM[j]) {
				return Phonetic
			}
		}
	}
	return Different
}

// sameBesideArticle reports whether two surname tokens are one surname
// with its particle joined on one form and apart (dropped as a particle)
// on the other: the Arabic article ("alhassan" and "hassan" from
// "Al-Hassan", "elsayed" and "sayed") and the Spanish, Portuguese, French
// and Dutch particles ("dejesus" and "jesus" from "De Jesús", "delarosa",
// "dasilva", "leblanc", "vandenberg"). What follows the particle must be
// four letters or more, so that "Allen" and "Len" or "Ellis" and "Lis"
// stay two names.
func sameBesideArticle(x, y string) bool {
	if len(x) < len(y) {
		x, y = y, x
	}
	if len(y) < 4 || !strings.HasSuffix(x, y) {
		return false
	}
	return joinedParticles[x[:len(x)-len(y)]]
}

// joinedParticles are the particles (and runs of them) that sameBesideArticle
// finds joined to a surname.
var joinedParticles = map[string]bool{
	"al": true, "el": true, "de": true, "del": true, "dela": true, "delos": true, "delas": true,
	"da": true, "das": true, "do": true, "dos": true, "di": true, "du": true, "le": true,
	"la": true, "van": true, "vande": true, "vander": true, "vanden": true, "von": true,
}

// compareNameCross compares a given name with a surname, for forms where
// the two were swapped.
func compareNameCross(given []string, g, gDM, gSp string, sur []string, s string, sDM, sSp []string) Level {
	if len(given) == 0 || len(sur) == 0 {
		return Missing
	}
	if g == s {
		return Exact
	}
	if subset(given, sur) || subset(sur, given) {
		return Strong // "Tuyet" and "Thi Tuyet" in the surname box
	}
	l := jwLevel(max(JaroWinkler(given[0], sur[0]), JaroWinkler(g, s)))
	if l == Different && gSp != "" && (gSp == sSp[0] || gDM == sDM[0]) {
		return Phonetic
	}
	return l
}
