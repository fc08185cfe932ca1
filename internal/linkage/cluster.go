package linkage

import (
	"math"
	"slices"
)

// maxCluster bounds the groups that transitive closure expands: a chain of
// twenty links is more likely a run of errors than one person.
const maxCluster = 20

// unionFind is a disjoint-set forest over record indexes.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

func (u unionFind) find(i int) int {
	for int(u[i]) != i {
		u[i] = u[u[i]]
		i = int(u[i])
	}
	return i
}

func (u unionFind) union(a, b int) {
	if ra, rb := u.find(a), u.find(b); ra != rb {
		u[ra] = int32(rb)
	}
}

// contradicts reports whether records i and j, compared directly, are
// plainly two people: wholly different birth dates. Two forms of one
// person mistyped in different places still agree nearly on the date; a
// father and son of one name linked through a form without a birth date
// do not; nor do compound given names that share only the first part.
// (Other different given names are not a contradiction here: "Ana Lucía"
// writes "Ana" on one form and "Lucía" on another, and the group joins
// them.)
//
// Only in a population of families: where there are none (FEBRL's files,
// whose duplicates often give a wholly other date), nothing but a typo
// explains a different date, and the group may join them.
func (b *batch) contradicts(i, j int) bool {
	if _, birth := b.sc.model.familyBounds(); birth > 0.02 {
		return false
	}
	x, y := b.sc.unpackPair(&b.entries[i], &b.entries[j]) // a batch's records are packed
	v := b.sc.compareResolved(x, y)
	if v == allMissing {
		return true
	}
	ev := b.sc.evidence(x, y, v)
	if ev.used[FactorBirth] && ev.levels[FactorBirth] == Different {
		return true
	}
	if ev.used[FactorGiven] && ev.levels[FactorGiven] == Different && ev.used[FactorAddress] && ev.levels[FactorAddress] == Exact {
		// Wholly different given names at one address: two people of one
		// household (twins, when the date agrees too) joined through a
		// third form; one person's forms seldom do this.
		return true
	}
	return compoundSiblings(x, y, &ev)
}

// compoundSiblings reports whether two records give compound given names
// that share the first part and differ in the rest ("Jean-Rony",
// "Jean-Claude"): twins joined through a form that gives "Jean" alone.
func compoundSiblings(x, y *entry, ev *classEvidence) bool {
	return ev.used[FactorGiven] && ev.levels[FactorGiven] == Different && x.gFirst > 0 && y.gFirst > 0 &&
		int(x.gLen) > int(x.gFirst) && int(y.gLen) > int(y.gFirst) && shareAny(x.gTok()[:x.gFirst], y.gTok()[:y.gFirst])
}

// plainlyTwo is contradicts made strict enough to take a link away (not
// only to refuse to add one): compound names that share only the first
// part, or birth dates at least four keystrokes apart, with day and month
// either way round (a father and his son of one name). One person's forms
// with a typo each in the date ("1996-09-01", "1936-09-01",
// "1996-01-09") stay together.
func (b *batch) plainlyTwo(i, j int) bool {
	if _, birth := b.sc.model.familyBounds(); birth > 0.02 {
		return false
	}
	x, y := b.sc.unpackPair(&b.entries[i], &b.entries[j])
	v := b.sc.compareResolved(x, y)
	if v == allMissing {
		return false
	}
	ev := b.sc.evidence(x, y, v)
	if compoundSiblings(x, y, &ev) {
		return true
	}
	if x.p == nil || y.p == nil || x.p.dob.zero() || y.p.dob.zero() || ev.levels[FactorBirth] != Different {
		return false
	}
	a, c := x.p.dob.Digits, y.p.dob.Digits
	far := editWithin(a, c, 3) > 3
	if len(c) == 8 {
		far = far && editWithin(a, c[:4]+c[6:]+c[4:6], 3) > 3
	}
	return far
}

// splitContradicted resolves records linked to two records that are
// plainly two people (plainlyTwo): a form that gives only "Jean" links to
// both "Jean-Claude" and his twin "Jean-Rony", or a form without a birth
// date to a father and his son of one name. One form is one person, so it
// keeps its links to one side only: its links are taken from the strongest
// down, and a link to a record that contradicts one already kept (and is
// not itself linked to it) is dropped. A form without a birth date at the
// address where both sides live (undatedAtHome) fits a father and his son
// of one name alike, and there the sides compete for it: a link keeps
// o / (1 + o + o_rival), o being the odds of each link alone, so a form
// that fits both alike is linked to neither (both fall under the review
// threshold) and one that fits one side far better keeps that link, less
// sure. A pair alone cannot tell the twin from one person dropping half a
// compound name; the third record can. It returns the pairs kept (at
// their new probabilities) and those dropped (which closePairs must not
// add back).
func (b *batch) splitContradicted(pairs []Pair) ([]Pair, map[[2]int]bool) {
	dropped := map[[2]int]bool{}
	if len(pairs) == 0 {
		return pairs, dropped
	}
	if _, birth := b.sc.model.familyBounds(); birth > 0.02 {
		return pairs, dropped // contradicts finds nothing
	}
	prob := make(map[[2]int]float64, len(pairs))
	nb := map[int][]int{}
	for _, p := range pairs {
		prob[[2]int{p.Left, p.Right}] = p.Probability
		nb[p.Left] = append(nb[p.Left], p.Right)
		nb[p.Right] = append(nb[p.Right], p.Left)
	}
	key := func(i, j int) [2]int {
		if j < i {
			i, j = j, i
		}
		return [2]int{i, j}
	}
	recs := make([]int, 0, len(nb))
	for i, ns := range nb {
		if len(ns) >= 2 {
			recs = append(recs, i)
		}
	}
	slices.Sort(recs) // the same result whatever the map's order
	type link struct {
		j int
		w float64 // log2 odds
	}
	var links []link
	var kept []int
	var clash []bool
	lowered := map[[2]int]float64{}
	for _, i := range recs {
		links = links[:0]
		for _, j := range nb[i] {
			if !dropped[key(i, j)] {
				links = append(links, link{j, logit2(min(max(prob[key(i, j)], 1e-9), 1-1e-9))})
			}
		}
		if len(links) < 2 {
			continue
		}
		slices.SortFunc(links, func(x, y link) int {
			if x.w != y.w {
				if x.w > y.w {
					return -1
				}
				return 1
			}
			return x.j - y.j
		})
		n := len(links)
		clash = slices.Grow(clash[:0], n*n)[:n*n]
		for x := range links {
			for y := x + 1; y < n; y++ {
				c := false
				if _, ok := prob[key(links[x].j, links[y].j)]; !ok {
					c = b.plainlyTwo(links[x].j, links[y].j)
				}
				clash[x*n+y], clash[y*n+x] = c, c
			}
		}
		kept = kept[:0]
		for x, l := range links {
			rival, ry := math.Inf(-1), -1
			for y := range links {
				if clash[x*n+y] && links[y].w > rival {
					rival, ry = links[y].w, links[y].j
				}
			}
			drop := false
			for _, k := range kept {
				drop = drop || clash[k*n+x]
			}
			p := 1.0
			if !drop && ry >= 0 && b.undatedAtHome(i, l.j, ry) {
				// o / (1 + o + o_rival), in log2: the chance that the
				// form is this side's, not the rival's nor a third
				// person's.
				p = math.Exp2(l.w - logSum2(0, logSum2(l.w, rival)))
				drop = p < b.opt.Thresholds.Review
			}
			if drop {
				dropped[key(i, l.j)] = true
				continue
			}
			kept = append(kept, x)
			if k := key(i, l.j); p < 1 {
				if q, ok := lowered[k]; !ok || p < q {
					lowered[k] = p
				}
			}
		}
	}
	if len(dropped) == 0 && len(lowered) == 0 {
		return pairs, dropped
	}
	out := pairs[:0]
	for _, p := range pairs {
		k := [2]int{p.Left, p.Right}
		if dropped[k] {
			continue
		}
		if q, ok := lowered[k]; ok && q < p.Probability {
			p.Probability = q
		}
		out = append(out, p)
	}
	return out, dropped
}

// undatedAtHome reports whether form i gives no birth date and shares its
// address with j and with j's rival k: a form of one household that fits
// a father and his son of one name alike.
func (b *batch) undatedAtHome(i, j, k int) bool {
	e := b.entries
	return k >= 0 && e[i].dobKey == 0 && e[i].addrKey != 0 && e[i].addrKey == e[j].addrKey && e[i].addrKey == e[k].addrKey
}

// closePairs adds the pairs implied by transitivity within deduplicated
// groups: if A is B and B is C, then A is C even when A and C, compared
// directly, differ in too many fields (each was mistyped differently). An
// implied pair is kept only if its own probability reaches AutoClear, so a
// single wrong link cannot pull two strangers together, and never if the two
// plainly differ (contradicts), nor a pair splitContradicted dropped
// (refused). Its probability is the weakest link of the group, or its own
// if that is higher.
func (b *batch) closePairs(pairs []Pair, refused map[[2]int]bool) []Pair {
	if len(pairs) == 0 {
		return pairs
	}
	u := newUnionFind(len(b.entries))
	have := make(map[[2]int]bool, len(pairs))
	for _, p := range pairs {
		u.union(p.Left, p.Right)
		have[[2]int{p.Left, p.Right}] = true
	}
	groups := map[int][]int{}
	weakest := map[int]float64{}
	for _, p := range pairs {
		r := u.find(p.Left)
		if w, ok := weakest[r]; !ok || p.Probability < w {
			weakest[r] = p.Probability
		}
	}
	for i := range b.entries {
		if r := u.find(i); weakest[r] > 0 {
			groups[r] = append(groups[r], i)
		}
	}
	floor := logit2(b.opt.Thresholds.AutoClear)
	for r, g := range groups {
		if len(g) < 3 || len(g) > maxCluster {
			continue
		}
		for x := 0; x < len(g); x++ {
			for y := x + 1; y < len(g); y++ {
				i, j := g[x], g[y]
				if have[[2]int{i, j}] || refused[[2]int{i, j}] {
					continue
				}
				if b.contradicts(i, j) {
					continue
				}
				_, w := b.sc.score(&b.entries[i], &b.entries[j])
				if w < floor {
					continue
				}
				pairs = append(pairs, Pair{Left: i, Right: j, Probability: max(weakest[r], fromLogit2(w))})
			}
		}
	}
	slices.SortFunc(pairs, func(x, y Pair) int {
		if x.Left != y.Left {
			return x.Left - y.Left
		}
		return x.Right - y.Right
	})
	return pairs
}
