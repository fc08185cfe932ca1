package linkage

import (
	"context"
	"math"
	"slices"
	"unicode/utf8"
)

// Households move together. When a pair of records linked as one person
// with some confidence (moveLinkMin) gives two buildings, A on one form and
// B on the other, somebody moved from A to B, and the people who lived with
// them at A most likely live with them at B now. So in a batch the records
// at A and at B are compared again — some for the first time, as blocking
// may never have put them together — with the address weighed as one
// household's: the level two forms giving one address get. The model then
// weighs them as it should:
//   - a stranger is seldom at both ends of someone else's move, so a woman
//     whose renewal gives her family's new address and a new surname, or a
//     mistyped birth date, keeps the weight her old address would have
//     given her;
//   - two people of one household (twins, a father and a son of one name)
//     are weighed as a household at one address, as they were before the
//     move: the household class explains them as it does there.
//
// A pair's score is only ever raised: a pair already linked stays linked.
// Pairs added so are counted in Stats.MoveLinks.

// moveLinkMin is the least probability of a link whose two buildings are
// taken as a household's move (or the review threshold, if higher). On the
// synthetic city of 1,000,000 people, links from 0.8 gave 309,211 of
// 325,386 movers' pairs against 308,906 from 0.95, and from 0.5 309,370 with
// 358 more namesakes linked (docs/linkage.md "Households move together").
const moveLinkMin = 0.8

// moveBuildingCap bounds the records of a building taken at either end of a
// move: a large block of flats holds many households, and two of its
// residents are no more one household than two of a street's. At 1,000,000
// people 100 found 154 movers' pairs more than 40 did (seed 1), for 4 more
// brothers and sisters linked.
const moveBuildingCap = 100

// moveChainCap bounds the records of a chain of buildings (moveChains)
// compared together. At 1,000,000 people chains found 248 movers' pairs
// more (seed 1; 255 with seed 2) for 85 more namesakes linked.
const moveChainCap = 200

// moveChains returns the groups of three buildings or more that moves join
// (union–find), each sorted; the order of groups follows the moves'.
func moveChains(moves []move) [][]uint64 {
	parent := map[uint64]uint64{}
	var find func(x uint64) uint64
	find = func(x uint64) uint64 {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	var order []uint64
	for _, m := range moves {
		for _, k := range m {
			if _, ok := parent[k]; !ok {
				parent[k] = k
				order = append(order, k)
			}
		}
		if rx, ry := find(m[0]), find(m[1]); rx != ry {
			parent[max(rx, ry)] = min(rx, ry)
		}
	}
	groups := map[uint64][]uint64{}
	var roots []uint64
	for _, k := range order {
		r := find(k)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], k)
	}
	var out [][]uint64
	for _, r := range roots {
		if bs := groups[r]; len(bs) >= 3 {
			slices.Sort(bs)
			out = append(out, bs)
		}
	}
	return out
}

// move is a pair of buildings (entry.addrKey), the smaller key first.
type move [2]uint64

// householdMoves adds to pairs (the scored pairs, at or over the review
// threshold, before transitivity) the pairs that reach it once the
// household's move is known, and says how many it added.
func (b *batch) householdMoves(ctx context.Context, pairs []Pair) ([]Pair, int, error) {
	minLink := logit2(max(moveLinkMin, b.opt.Thresholds.Review))
	threshold := logit2(b.opt.Thresholds.Review)
	linked := make(map[[2]int32]struct{}, len(pairs))
	moves := map[move]struct{}{}
	for _, p := range pairs {
		linked[orderedIdx(p.Left, p.Right)] = struct{}{}
		if logit2(p.Probability) < minLink {
			continue
		}
		x, y := b.entries[p.Left].addrKey, b.entries[p.Right].addrKey
		if x != 0 && y != 0 && x != y {
			moves[move{min(x, y), max(x, y)}] = struct{}{}
		}
	}
	if len(moves) == 0 {
		return pairs, 0, nil
	}
	ends := map[uint64][]int32{}
	for m := range moves {
		ends[m[0]], ends[m[1]] = nil, nil
	}
	for i := range b.entries {
		if k := b.entries[i].addrKey; k != 0 {
			if at, ok := ends[k]; ok {
				ends[k] = append(at, int32(i))
			}
		}
	}
	list := make([]move, 0, len(moves))
	for m := range moves {
		if len(ends[m[0]]) <= moveBuildingCap && len(ends[m[1]]) <= moveBuildingCap {
			list = append(list, m)
		}
	}
	// Chains: a household that moved twice (A to B, then B to C) joins A
	// and C though nobody's two forms may give both. Buildings joined so,
	// in groups of at most moveChainCap records, are compared across the
	// pairs of buildings that are not one move's two ends.
	jobs := make([][2][]int32, 0, len(list))
	for _, m := range list {
		jobs = append(jobs, [2][]int32{ends[m[0]], ends[m[1]]})
	}
	for _, bs := range moveChains(list) {
		n := 0
		for _, k := range bs {
			n += len(ends[k])
		}
		if n > moveChainCap {
			continue
		}
		for x := range bs {
			for y := x + 1; y < len(bs); y++ {
				if _, ok := moves[move{bs[x], bs[y]}]; !ok { // bs is sorted
					jobs = append(jobs, [2][]int32{ends[bs[x]], ends[bs[y]]})
				}
			}
		}
	}
	// A record has one building, so each pair belongs to one job: no pair
	// is found twice.
	found := make([][]Pair, b.opt.Workers)
	scratch := make([][2]blockScratch, b.opt.Workers)
	err := b.parallel(ctx, "household moves", len(jobs), func(w, k int) {
		as, cs := jobs[k][0], jobs[k][1]
		ea := scratch[w][0].unpack(b.entries, as)
		ec := scratch[w][1].unpack(b.entries, cs)
		for x, i := range as {
			for y, j := range cs {
				if b.split > 0 && (int(i) < b.split) == (int(j) < b.split) {
					continue // linking two files: only pairs across them
				}
				if _, ok := linked[orderedIdx(int(i), int(j))]; ok {
					continue
				}
				if wt := b.sc.scoreOneHousehold(&ea[x], &ec[y]); wt >= threshold {
					found[w] = append(found[w], Pair{Left: int(min(i, j)), Right: int(max(i, j)), Probability: fromLogit2(wt)})
				}
			}
		}
	})
	if err != nil {
		return nil, 0, err
	}
	added := 0
	for _, f := range found {
		pairs = append(pairs, f...)
		added += len(f)
	}
	if added > 0 {
		sortPairs(pairs)
	}
	return pairs, added, nil
}

// addressFields are the fields factorLevels reads for the address.
var addressFields = [...]Field{StreetNumber, StreetName, Line2, PostalCode, City}

// scoreOneHousehold is the match weight of a pair whose two addresses are
// the two ends of a household's move, weighed as if both forms gave one
// address (householdMoves). The entries must be unpacked.
func (s *scorer) scoreOneHousehold(a, b *entry) float64 {
	v := s.compareResolved(a, b)
	if v == allMissing || !lookAlike(v) {
		return math.Inf(-1)
	}
	for _, f := range addressFields {
		v.set(f, Exact)
	}
	ev := s.evidence(a, b, v)
	w, _ := s.weight(&ev)
	return w
}

// dateInitialKeys are blocking keys a batch adds to blockKeys': the birth
// date (day and month in either order) with the initial of the first given
// name, and with the initial of the first surname. At 1,000,000 people a
// birth date holds ~80 records, over a batch's block cap, so forms that
// share only their date — a renewal with a new surname and a given name
// mistyped past its sound, or a new given name and a surname so — were
// never compared: the keys raise pair completeness at 1,000,000 from 0.9892
// to 0.9913 for a fifth more candidates. An index, which screens one
// application at a time, does not add them: at 1,500,000 residents they
// would be some three million more postings to keep in memory.
func dateInitialKeys(p *prepared) []uint64 {
	names := dateInitialKeyNames(p)
	keys := make([]uint64, len(names))
	for i, k := range names {
		keys[i] = fnv64(k)
	}
	return keys
}

// dateInitialKeyNames returns dateInitialKeys before hashing.
func dateInitialKeyNames(p *prepared) []string {
	if p.dob.zero() {
		return nil
	}
	d := p.dob.eitherOrder()
	var keys []string
	if len(p.given) > 0 && p.given[0] != "" {
		r, _ := utf8.DecodeRuneInString(p.given[0])
		keys = append(keys, "i|"+d+"|"+string(r))
	}
	if len(p.sur) > 0 && p.sur[0] != "" {
		r, _ := utf8.DecodeRuneInString(p.sur[0])
		keys = append(keys, "j|"+d+"|"+string(r))
	}
	return keys
}

// lookAlike reports whether two forms look like one person's, the address
// aside: the birth date within two keystrokes, or both names alike. Other
// pairs at the two ends of a move (a later tenant, a neighbour in the same
// building) would be weighed on the address alone, which a model trained
// on a population without households (FEBRL's) trusts far more than a
// household's move deserves: 15 such pairs were linked in dataset3 without
// this check.
func lookAlike(v Vector) bool {
	return v.Get(BirthDate) <= Weak || (v.Get(GivenName) <= Weak && v.Get(Surname) <= Weak)
}
