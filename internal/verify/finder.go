package verify

import (
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// maxCandidates bounds the finder-pattern candidates triplesOf pairs
// up (the ones confirmed on most rows are kept): a card back has text and
// a PDF417 whose bars can pass for a finder pattern, and triples grow with
// the cube of the candidates.
const maxCandidates = 24

// finderCandidates returns the finder-pattern candidates on every other
// row of bits that were seen on at least two rows, at most maxCandidates
// of them (those seen on most rows); triplesOf pairs them up.
//
// zxing's own search (FinderPatternFinder.Find) skips rows once it has two
// confirmed centres, guessing where the third lies; on a card back the
// PDF417's edge passes for a finder pattern, so the guess jumps over the
// QR's real top-left pattern and the symbol is "not found" on a clear,
// slightly tilted photo. It also picks one triple by an unscaled measure
// that favours small false ones. This search reads every other row, scores
// triples by their shape relative to their size, and lets the caller try
// more than one.
func finderCandidates(bits *gozxing.BitMatrix) []*detector.FinderPattern {
	f := detector.NewFinderPatternFinder(bits, nil)
	w, h := bits.GetWidth(), bits.GetHeight()
	state := make([]int, 5)
	for i := 1; i < h; i += 2 {
		detector.FinderPatternFinder_ClearCounts(state)
		cur := 0
		for j := 0; j < w; j++ {
			if bits.Get(j, i) {
				if cur&1 == 1 { // a black pixel after white
					cur++
				}
				state[cur]++
				continue
			}
			if cur&1 == 1 { // white after white
				state[cur]++
				continue
			}
			if cur < 4 {
				cur++
				state[cur]++
				continue
			}
			// White after the fifth run: a black-white-black-white-black pattern is complete.
			if detector.FinderPatternFinder_foundPatternCross(state) && f.HandlePossibleCenter(state, i, j) {
				cur = 0
				detector.FinderPatternFinder_ClearCounts(state)
				continue
			}
			detector.FinderPatternFinder_ShiftCounts2(state)
			cur = 3
		}
		if detector.FinderPatternFinder_foundPatternCross(state) {
			f.HandlePossibleCenter(state, i, w)
		}
	}
	// A finder pattern is seven modules tall, so every-other-row scanning
	// meets it on several rows; a candidate seen on one row only is noise
	// (grain, JPEG blocks) and pairing it up wastes the decode budget.
	cands := slices.DeleteFunc(slices.Clone(f.GetPossibleCenters()), func(c *detector.FinderPattern) bool { return c.GetCount() < 2 })
	if len(cands) > maxCandidates {
		slices.SortStableFunc(cands, func(a, b *detector.FinderPattern) int { return b.GetCount() - a.GetCount() })
		cands = cands[:maxCandidates]
	}
	return cands
}

// triplesOf returns up to n triples of cands that could be one symbol's
// three finder patterns, the most square first.
func triplesOf(cands []*detector.FinderPattern, n int) []*detector.FinderPatternInfo {
	type triple struct {
		p     [3]*detector.FinderPattern
		score float64
	}
	var ts []triple
	sq := func(a, b *detector.FinderPattern) float64 {
		dx, dy := a.GetX()-b.GetX(), a.GetY()-b.GetY()
		return dx*dx + dy*dy
	}
	for i := range cands {
		for j := i + 1; j < len(cands); j++ {
			for k := j + 1; k < len(cands); k++ {
				a, b, c := cands[i], cands[j], cands[k]
				lo := min(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize())
				hi := max(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize())
				if hi > 1.4*lo {
					continue
				}
				d := []float64{sq(a, b), sq(b, c), sq(a, c)}
				slices.Sort(d)
				// Finder centres are 14 (version 1) to 170 (version 40)
				// modules apart along a side.
				ms := (a.GetEstimatedModuleSize() + b.GetEstimatedModuleSize() + c.GetEstimatedModuleSize()) / 3
				side := math.Sqrt(d[0]) / ms
				if side < 12 || side > 180 {
					continue
				}
				// An isosceles right triangle has c² = 2a² = 2b²; the
				// departure from it, relative to the hypotenuse.
				score := (math.Abs(d[2]-2*d[1]) + math.Abs(d[2]-2*d[0])) / d[2]
				if score > 0.5 {
					continue
				}
				ts = append(ts, triple{[3]*detector.FinderPattern{a, b, c}, score})
			}
		}
	}
	slices.SortStableFunc(ts, func(x, y triple) int {
		switch {
		case x.score < y.score:
			return -1
		case x.score > y.score:
			return 1
		}
		return 0
	})
	var out []*detector.FinderPatternInfo
	for _, t := range ts[:min(n, len(ts))] {
		bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(t.p[0], t.p[1], t.p[2])
		out = append(out, detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)))
	}
	return out
}

// maxPairSources bounds the candidates inferredTriples pairs up: the
// finder patterns of a symbol are seen on many rows, so the two left of a
// symbol whose third is covered are among the most-seen candidates.
const maxPairSources = 6

// inferredTriples returns up to n finder-pattern triples made from two
// candidates and a third inferred from them, for a symbol whose third
// finder pattern is covered (a thumb, glare, a scratch) or not seen. Two
// patterns of one symbol are either a side (top-left and one of the
// others: the third lies square to them, on either end and either side)
// or the diagonal (top-right and bottom-left: the top-left lies square to
// the midpoint, on either side), so each pair gives six triples. A pair
// must have like module sizes and be 14 (version 1) to 170 (version 40)
// modules apart along a side, and the inferred pattern must lie in the
// image. The pairs seen on most rows come first. A wrong guess only fails
// to decode: what is read is checked by its signature, never by its shape.
func inferredTriples(cands []*detector.FinderPattern, w, h, n int) []*detector.FinderPatternInfo {
	cands = slices.Clone(cands)
	slices.SortStableFunc(cands, func(a, b *detector.FinderPattern) int { return b.GetCount() - a.GetCount() })
	cands = cands[:min(len(cands), maxPairSources)]
	type pair struct{ a, b *detector.FinderPattern }
	var pairs []pair
	for i := range cands {
		for j := i + 1; j < len(cands); j++ {
			pairs = append(pairs, pair{cands[i], cands[j]})
		}
	}
	slices.SortStableFunc(pairs, func(x, y pair) int {
		return min(y.a.GetCount(), y.b.GetCount()) - min(x.a.GetCount(), x.b.GetCount())
	})
	var out []*detector.FinderPatternInfo
	for _, p := range pairs {
		a, b := p.a, p.b
		lo := min(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize())
		hi := max(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize())
		if hi > 1.4*lo || lo <= 0 {
			continue
		}
		ms := (lo + hi) / 2
		dx, dy := b.GetX()-a.GetX(), b.GetY()-a.GetY()
		d := math.Hypot(dx, dy) / ms
		var thirds [][2]float64
		if d >= 12 && d <= 180 { // a side
			for _, s := range []float64{1, -1} {
				px, py := -s*dy, s*dx // dx, dy turned a right angle
				thirds = append(thirds,
					[2]float64{a.GetX() + px, a.GetY() + py},
					[2]float64{b.GetX() + px, b.GetY() + py})
			}
		}
		if d/math.Sqrt2 >= 12 && d/math.Sqrt2 <= 180 { // the diagonal
			mx, my := (a.GetX()+b.GetX())/2, (a.GetY()+b.GetY())/2
			for _, s := range []float64{1, -1} {
				thirds = append(thirds, [2]float64{mx - s*dy/2, my + s*dx/2})
			}
		}
		for _, c := range thirds {
			if c[0] < 0 || c[1] < 0 || c[0] >= float64(w) || c[1] >= float64(h) {
				continue
			}
			third := detector.NewFinderPattern(c[0], c[1], ms, 0) // seen on no row: see inferred
			bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(a, b, third)
			out = append(out, detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)))
			if len(out) == n {
				return out
			}
		}
	}
	return out
}
