package linkage

import (
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
	v := b.sc.compare(&b.entries[i], &b.entries[j])
	if v == allMissing {
		return true
	}
	x, y := &b.entries[i], &b.entries[j]
	ev := b.sc.evidence(x, y, v)
	if ev.used[FactorBirth] && ev.levels[FactorBirth] == Different {
		return true
	}
	// Compound names that share the first part and differ in the rest
	// ("Jean-Rony", "Jean-Claude"): twins joined through a form that gives
	// "Jean" alone.
	return ev.used[FactorGiven] && ev.levels[FactorGiven] == Different && x.gFirst > 0 && y.gFirst > 0 &&
		len(x.gTok) > int(x.gFirst) && len(y.gTok) > int(y.gFirst) && shareAny(x.gTok[:x.gFirst], y.gTok[:y.gFirst])
}

// closePairs adds the pairs implied by transitivity within deduplicated
// groups: if A is B and B is C, then A is C even when A and C, compared
// directly, differ in too many fields (each was mistyped differently). An
// implied pair is kept only if its own probability reaches AutoClear, so a
// single wrong link cannot pull two strangers together, and never if the two
// plainly differ (contradicts). Its probability is
// the weakest link of the group, or its own if that is higher.
func (b *batch) closePairs(pairs []Pair) []Pair {
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
				if have[[2]int{i, j}] {
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
