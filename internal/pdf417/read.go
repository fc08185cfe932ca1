// Package pdf417 reads PDF417 symbols — the AAMVA barcode on the back of
// an ID card — from photos: it finds the start and stop patterns, maps the
// symbol's rows through the perspective their four corners give, reads
// each codeword from the widths of its bars, places it by its cluster and
// the row indicators, and corrects errors and unread codewords with the
// symbol's Reed–Solomon codewords (over GF(929)).
//
// The codeword patterns (table.go) are derived from, and tested against,
// the encoder cityid prints with (github.com/boombuler/barcode).
package pdf417

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
)

// ErrNotFound means no PDF417 start and stop patterns were found.
var ErrNotFound = errors.New("pdf417: no symbol found")

// Grey is an 8-bit luminance image, row-major.
type Grey struct {
	W, H int
	Pix  []byte
}

func (g Grey) at(x, y float64) float64 {
	if x < 0 || y < 0 || x > float64(g.W-1) || y > float64(g.H-1) {
		return 255
	}
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, g.W-1), min(y0+1, g.H-1)
	ax, ay := x-float64(x0), y-float64(y0)
	top := float64(g.Pix[y0*g.W+x0])*(1-ax) + float64(g.Pix[y0*g.W+x1])*ax
	bot := float64(g.Pix[y1*g.W+x0])*(1-ax) + float64(g.Pix[y1*g.W+x1])*ax
	return top*(1-ay) + bot*ay
}

// rotate returns g turned by q quarter turns clockwise.
func (g Grey) rotate(q int) Grey {
	switch q % 4 {
	case 0:
		return g
	case 2:
		out := Grey{W: g.W, H: g.H, Pix: make([]byte, len(g.Pix))}
		for i, p := range g.Pix {
			out.Pix[len(g.Pix)-1-i] = p
		}
		return out
	}
	out := Grey{W: g.H, H: g.W, Pix: make([]byte, len(g.Pix))}
	for y := range g.H {
		for x := range g.W {
			if q%4 == 1 { // (x, y) → (H−1−y, x)
				out.Pix[x*out.W+g.H-1-y] = g.Pix[y*g.W+x]
			} else { // (x, y) → (y, W−1−x)
				out.Pix[(g.W-1-x)*out.W+y] = g.Pix[y*g.W+x]
			}
		}
	}
	return out
}

// Result is what Decode read.
type Result struct {
	Data      []byte
	Rows      int
	Columns   int
	ECLevel   int
	Corrected int // codewords repaired or filled in by error correction
}

// Decode finds and reads one PDF417 symbol in g, in any of the four
// quarter-turn orientations (a tilt of up to about 20° within each).
func Decode(g Grey) (Result, error) {
	if max(g.W, g.H) < 60 || min(g.W, g.H) < 20 || len(g.Pix) < g.W*g.H {
		return Result{}, ErrNotFound
	}
	var firstErr error
	for q := range 4 {
		r, err := decodeUpright(g.rotate(q))
		if err == nil {
			return r, nil
		}
		if firstErr == nil || errors.Is(firstErr, ErrNotFound) && !errors.Is(err, ErrNotFound) {
			firstErr = err
		}
	}
	return Result{}, firstErr
}

// A hit is a start or stop pattern crossed by one image row: its outer
// edge (left for start, right for stop), the row and the module size.
type hit struct{ x, y, m float64 }

var (
	startWidths = []float64{8, 1, 1, 1, 1, 1, 1, 3}
	stopWidths  = []float64{7, 1, 1, 3, 1, 1, 1, 2, 1}
)

// matches reports whether runs (bar first) have the proportions of want,
// and the module size they imply.
func matches(runs []int, want []float64) (float64, bool) {
	total := 0
	for _, r := range runs {
		total += r
	}
	sum := 0.0
	for _, w := range want {
		sum += w
	}
	m := float64(total) / sum
	if m < 1.2 {
		return 0, false
	}
	for i, r := range runs {
		if math.Abs(float64(r)-want[i]*m) > 0.6*m+0.5 {
			return 0, false
		}
	}
	return m, true
}

func decodeUpright(g Grey) (Result, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.W, g.H, 0, 0, g.W, g.H, false)
	if err != nil {
		return Result{}, err
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return Result{}, err
	}
	bits, err := bmp.GetBlackMatrix()
	if err != nil {
		return Result{}, err
	}
	var starts, stops []hit
	step := max(1, g.H/600)
	runs := make([]int, 0, 256)
	for y := 0; y < g.H; y += step {
		// Run lengths of the row, the first run light.
		runs = runs[:0]
		dark, n := false, 0
		for x := range g.W {
			if bits.Get(x, y) != dark {
				runs = append(runs, n)
				dark, n = !dark, 0
			}
			n++
		}
		runs = append(runs, n)
		x := 0
		for i, r := range runs {
			if i%2 == 1 && i+9 <= len(runs) {
				if m, ok := matches(runs[i:i+8], startWidths); ok && float64(runs[i-1]) >= 1.5*m {
					starts = append(starts, hit{float64(x), float64(y), m})
				}
				if m, ok := matches(runs[i:i+9], stopWidths); ok && (i+9 == len(runs) || float64(runs[i+9]) >= 1.5*m) {
					end := x
					for _, w := range runs[i : i+9] {
						end += w
					}
					stops = append(stops, hit{float64(end), float64(y), m})
				}
			}
			x += r
		}
	}
	left, right := longestChain(starts, step), longestChain(stops, step)
	if len(left) < 3 || len(right) < 3 {
		return Result{}, ErrNotFound
	}
	// The right edge must face the left one across the symbol.
	if right[0].x <= left[0].x {
		return Result{}, ErrNotFound
	}
	la, lb := fitLine(left)
	ra, rb := fitLine(right)
	ly0, ly1 := left[0].y, left[len(left)-1].y
	ry0, ry1 := right[0].y, right[len(right)-1].y
	// Hits stop up to a step short of the symbol's top and bottom edges.
	s := float64(step) / 2
	ly0, ly1, ry0, ry1 = ly0-s, ly1+s, ry0-s, ry1+s
	tl := [2]float64{la + lb*ly0, ly0}
	bl := [2]float64{la + lb*ly1, ly1}
	tr := [2]float64{ra + rb*ry0, ry0}
	br := [2]float64{ra + rb*ry1, ry1}
	// Seen at an angle, modules are larger at one end than the other: the
	// mean of the start's and the stop's sizes measures the width.
	m := (medianM(left) + medianM(right)) / 2
	// Modules across: start 17, two row indicators, c data columns, stop 18.
	width := math.Hypot(tr[0]-tl[0], tr[1]-tl[1])
	cos := math.Abs(tr[0]-tl[0]) / width
	c := int(math.Round((width/(m*cos) - 69) / 17))
	if c < 1 || c > 30 {
		return Result{}, fmt.Errorf("%w: %d columns", ErrNotFound, c)
	}
	t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		0, 0, 1, 0, 1, 1, 0, 1,
		tl[0], tl[1], tr[0], tr[1], br[0], br[1], bl[0], bl[1])
	height := math.Hypot(bl[0]-tl[0], bl[1]-tl[1])
	res, err := readGrid(g, t, c, height, m)
	// At an angle the measured width is easily a column or two off; the row
	// indicators say how many there are.
	var mis columnsError
	if errors.As(err, &mis) {
		res, err = readGrid(g, t, mis.indicated, height, m)
	}
	return res, err
}

// longestChain groups hits that continue each other down the image (same
// edge within a few modules, no long gap) and returns the longest group.
func longestChain(hs []hit, step int) []hit {
	var chains [][]hit
	for _, h := range hs {
		joined := false
		for i, ch := range chains {
			last := ch[len(ch)-1]
			if h.y-last.y <= float64(8*step)+4*last.m && math.Abs(h.x-last.x) <= 3*last.m+float64(step) && math.Abs(h.m-last.m) <= 0.35*last.m {
				chains[i] = append(ch, h)
				joined = true
				break
			}
		}
		if !joined {
			chains = append(chains, []hit{h})
		}
	}
	var best []hit
	for _, ch := range chains {
		if len(ch) > len(best) {
			best = ch
		}
	}
	return best
}

// fitLine fits x = a + b·y to the hits by least squares, drops those more
// than two modules off and fits again.
func fitLine(hs []hit) (a, b float64) {
	fit := func(hs []hit) (float64, float64) {
		var sy, sx, syy, sxy, n float64
		for _, h := range hs {
			sy, sx, syy, sxy, n = sy+h.y, sx+h.x, syy+h.y*h.y, sxy+h.x*h.y, n+1
		}
		d := n*syy - sy*sy
		if d == 0 {
			return sx / n, 0
		}
		b := (n*sxy - sx*sy) / d
		return (sx - b*sy) / n, b
	}
	a, b = fit(hs)
	var in []hit
	for _, h := range hs {
		if math.Abs(a+b*h.y-h.x) <= 2*h.m {
			in = append(in, h)
		}
	}
	if len(in) >= 3 && len(in) < len(hs) {
		a, b = fit(in)
	}
	return a, b
}

func medianM(hs []hit) float64 {
	ms := make([]float64, len(hs))
	for i, h := range hs {
		ms[i] = h.m
	}
	slices.Sort(ms)
	return ms[len(ms)/2]
}

// A read is one codeword read on one scan line.
type read struct {
	col, cluster, value int
}

// columnsError: the row indicators give another number of columns than the
// symbol's measured width.
type columnsError struct{ measured, indicated int }

func (e columnsError) Error() string {
	return fmt.Sprintf("pdf417: %d columns measured, %d indicated", e.measured, e.indicated)
}

// A line is a scan line across the symbol: its place between the top and
// bottom edges (0 to 1) and what it read.
type line struct {
	v     float64
	reads []read
}

// samplesPerModule is the resolution of each scan line's profile.
const samplesPerModule = 5

// readGrid scans the symbol mapped by t (unit square → image) along lines
// a fraction of a row apart, reads the codewords on each, and assembles
// the codeword matrix by the row indicators' votes.
func readGrid(g Grey, t *common.PerspectiveTransform, c int, height, m float64) (Result, error) {
	modules := 69 + 17*c
	n := modules * samplesPerModule
	lines := int(height/(m*0.3)) + 1
	var scans []line
	prof := make([]float64, n)
	pts := make([]float64, 2*n)
	for li := -2; li <= lines+2; li++ {
		v := (float64(li) + 0.5) / float64(lines)
		for i := range n {
			pts[2*i], pts[2*i+1] = (float64(i)+0.5)/float64(n), v
		}
		t.TransformPoints(pts)
		for i := range n {
			prof[i] = g.at(pts[2*i], pts[2*i+1])
		}
		scans = append(scans, line{v, readLine(prof, c)})
	}
	// Votes on the symbol's shape from the row indicators, and on the row
	// each line lies on.
	// The rows' count is voted on by each side separately: one encoder
	// (boombuler/barcode v1.1.0) writes it wrong in the left indicator
	// unless the count is a multiple of 3.
	rowsHi := [2]map[int]int{{}, {}}
	var rowsLo, ecv, colv = map[int]int{}, map[int]int{}, map[int]int{}
	lineRow := make([][2]int, len(scans)) // row from the left and right indicators, −1 if unread
	for i, s := range scans {
		lineRow[i] = [2]int{-1, -1}
		for _, r := range s.reads {
			if r.col != 0 && r.col != c+1 {
				continue
			}
			row := 3*(r.value/30) + r.cluster
			x := r.value % 30
			side := 0
			if r.col == c+1 {
				side = 1
			}
			lineRow[i][side] = row
			switch (r.cluster + side*2) % 3 { // the right indicator is the left one's rotation
			case 0:
				rowsHi[side][x]++
			case 1:
				ecv[x/3]++
				rowsLo[x%3]++
			case 2:
				colv[x]++
			}
		}
	}
	// left: cluster 0 (R−1)/3, 1 ec·3+(R−1)%3, 2 C−1;
	// right: cluster 0 C−1, 1 (R−1)/3, 2 ec·3+(R−1)%3 — which is the
	// left's with the cluster shifted by two.
	lo, ec, cols := argmax(rowsLo), argmax(ecv), argmax(colv)+1
	if cols != c {
		return Result{}, columnsError{c, cols}
	}
	var firstErr error
	tried := map[int]bool{}
	for _, side := range []int{1, 0} {
		if len(rowsHi[side]) == 0 {
			continue
		}
		rows := 3*argmax(rowsHi[side]) + lo + 1
		if tried[rows] {
			continue
		}
		tried[rows] = true
		res, err := assemble(scans, lineRow, rows, cols, ec)
		if err == nil {
			return res, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: no row indicators", ErrNotFound)
	}
	return Result{}, firstErr
}

// assemble places the codewords read on the scan lines into a rows × cols
// matrix by vote, then corrects it and decodes the data.
func assemble(scans []line, lineRow [][2]int, rows, cols, ec int) (Result, error) {
	if rows < 3 || rows > 90 || cols < 1 || cols > 30 {
		return Result{}, fmt.Errorf("%w: %d rows, %d columns", ErrNotFound, rows, cols)
	}
	c := cols
	// Where each side's rows lie along the edges: a robust straight fit of
	// row against the line's place, so one misread indicator does not move
	// a whole line's codewords to another row.
	var fits [2]rowFit
	for side := range 2 {
		var pts [][2]float64
		for i, s := range scans {
			if r := lineRow[i][side]; r >= 0 && r < rows {
				pts = append(pts, [2]float64{s.v, float64(r) + 0.5})
			}
		}
		fits[side] = fitRows(pts, float64(rows))
	}
	// Down each column, consecutive lines that read the same cluster lie
	// on one row: each such run is placed on the row of its cluster
	// nearest the estimate at its middle, and its first and last reads are
	// dropped, since a line across a row boundary can read a mixture of
	// two codewords as a third.
	votes := make([]map[int]int, rows*cols)
	type hitAt struct {
		line int
		read
	}
	for col := 1; col <= c; col++ {
		var hs []hitAt
		for i, s := range scans {
			for _, rd := range s.reads {
				if rd.col == col {
					hs = append(hs, hitAt{i, rd})
				}
			}
		}
		for i := 0; i < len(hs); {
			j := i + 1
			for j < len(hs) && hs[j].cluster == hs[i].cluster && hs[j].line-hs[j-1].line <= 2 {
				j++
			}
			run := hs[i:j]
			i = j
			if len(run) < 2 {
				continue
			}
			v := (scans[run[0].line].v + scans[run[len(run)-1].line].v) / 2
			l, r := fits[0].at(v), fits[1].at(v)
			e := l + (r-l)*(float64(col)+0.5)/float64(c+2) - 0.5
			cl := run[0].cluster
			row := 3*int(math.Round((e-float64(cl))/3)) + cl
			if row < 0 || row >= rows || math.Abs(float64(row)-e) > 1.6 {
				continue
			}
			if len(run) >= 4 {
				run = run[1 : len(run)-1]
			}
			k := row*cols + col - 1
			if votes[k] == nil {
				votes[k] = map[int]int{}
			}
			for _, h := range run {
				votes[k][h.value]++
			}
		}
	}
	k := 2 << ec
	var firstErr error
	// First every cell by its majority; then with the cells whose vote was
	// weak (one read, or a close second) given up as erasures, which cost
	// half what an error does.
	for _, strict := range []bool{false, true} {
		cw := make([]int, rows*cols)
		var erasures []int
		for i, v := range votes {
			best, n, total := top(v)
			if total == 0 || strict && (n < 2 || 3*n < 2*total) {
				erasures = append(erasures, i)
				continue
			}
			cw[i] = best
		}
		if len(erasures) > k {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: %d of %d codewords unread", ErrCorrection, len(erasures), len(cw))
			}
			continue
		}
		fixed, err := correct(cw, k, erasures)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		length := cw[0]
		if length < 1 || length > len(cw)-k {
			return Result{}, fmt.Errorf("%w: length descriptor %d", ErrFormat, length)
		}
		data, err := decodeData(cw[1:length])
		if err != nil {
			return Result{}, err
		}
		return Result{Data: data, Rows: rows, Columns: cols, ECLevel: ec, Corrected: fixed}, nil
	}
	return Result{}, firstErr
}

// top returns the value with most votes, its votes and all votes.
func top(m map[int]int) (best, n, total int) {
	for _, c := range m {
		total += c
	}
	if total == 0 {
		return 0, 0, 0
	}
	best = argmax(m)
	return best, m[best], total
}

// rowFit is row = a + b·v, the position of a scan line (0 … 1 between the
// symbol's top and bottom edges found) mapped to rows.
type rowFit struct{ a, b float64 }

func (f rowFit) at(v float64) float64 { return f.a + f.b*v }

// fitRows fits row against v by least squares, twice dropping points more
// than a row off; with too few points it assumes the edges found are the
// symbol's.
func fitRows(pts [][2]float64, rows float64) rowFit {
	f := rowFit{0, rows}
	for range 3 {
		var sv, sr, svv, svr, n float64
		for _, p := range pts {
			if math.Abs(f.at(p[0])-p[1]) > 1.5 {
				continue
			}
			sv, sr, svv, svr, n = sv+p[0], sr+p[1], svv+p[0]*p[0], svr+p[0]*p[1], n+1
		}
		d := n*svv - sv*sv
		if n < 4 || d == 0 {
			return f
		}
		b := (n*svr - sv*sr) / d
		f = rowFit{(sr - b*sv) / n, b}
	}
	return f
}

func argmax(m map[int]int) int {
	best, bestN := 0, -1
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		if m[k] > bestN {
			best, bestN = k, m[k]
		}
	}
	return best
}

// lookup maps a bar pattern to its cluster (0, 1, 2 for clusters 0, 3, 6)
// and value.
var lookup = func() map[uint32][2]int {
	l := make(map[uint32][2]int, 3*mod)
	for c, vals := range patterns {
		for v, p := range vals {
			l[p] = [2]int{c, v}
		}
	}
	return l
}()

// readLine reads the codewords on one scan line's profile (samples from
// the start pattern's outer edge to the stop pattern's): the row
// indicators (columns 0 and c+1) and the data columns between.
func readLine(prof []float64, c int) []read {
	var out []read
	const S = samplesPerModule
	for col := 0; col <= c+1; col++ {
		s0 := float64((17 + 17*col) * S)
		lo, hi := 255.0, 0.0
		for i := max(int(s0)-8*S, 0); i < min(int(s0)+25*S, len(prof)); i++ {
			lo, hi = math.Min(lo, prof[i]), math.Max(hi, prof[i])
		}
		if hi-lo < 20 {
			continue
		}
		// Thresholds off the middle stand in for bars spread or thinned
		// by blur and print.
		for _, f := range []float64{0.5, 0.4, 0.6} {
			if cl, v, ok := readCodeword(prof, s0, lo+f*(hi-lo)); ok {
				out = append(out, read{col, cl, v})
				break
			}
		}
	}
	return out
}

// readCodeword finds the codeword whose first bar starts near sample s0:
// its nine edges at threshold thr (interpolated between samples), the
// eight element widths rounded to modules summing to 17, and the pattern.
func readCodeword(prof []float64, s0, thr float64) (cluster, value int, ok bool) {
	const S = samplesPerModule
	// e[0] is the falling (light to dark) crossing of thr nearest s0, within
	// two modules; e[1…8] the crossings after it, alternately rising and
	// falling, interpolated between samples.
	cross := func(i int) float64 {
		a, b := prof[i-1], prof[i]
		return float64(i-1) + (a-thr)/(a-b)
	}
	var e [9]float64
	best := -1.0
	for i := max(int(s0)-2*S, 1); i <= min(int(s0)+2*S, len(prof)-1); i++ {
		if prof[i-1] >= thr && prof[i] < thr {
			if x := cross(i); best < 0 || math.Abs(x-s0) < math.Abs(best-s0) {
				best = x
			}
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	e[0] = best
	k := 1
	for i := int(best) + 2; i < len(prof) && k < 9; i++ {
		a, b := prof[i-1], prof[i]
		if k%2 == 0 && a >= thr && b < thr || k%2 == 1 && a < thr && b >= thr {
			e[k] = cross(i)
			k++
		}
	}
	if k < 9 {
		return 0, 0, false
	}
	total := e[8] - e[0]
	if total < 14*S || total > 20*S {
		return 0, 0, false
	}
	var x [8]float64
	for i := range 8 {
		x[i] = (e[i+1] - e[i]) * 17 / total
	}
	return nearestPattern(x)
}

// nearestPattern rounds element widths x (in modules, summing to 17) to
// the codeword pattern they are nearest: the plain rounding (widths
// adjusted to sum to 17) if it is a codeword, else the codeword reached by
// moving one module between two elements at the least cost, if that cost
// is small and no other move costs as little.
func nearestPattern(x [8]float64) (cluster, value int, ok bool) {
	var w [8]int
	sum := 0
	for i := range 8 {
		w[i] = min(max(1, int(math.Round(x[i]))), 6)
		sum += w[i]
	}
	// Make the widths sum to 17 by moving the ones rounded furthest.
	for range 8 {
		if sum == 17 {
			break
		}
		best := -1
		for i := range 8 {
			d := x[i] - float64(w[i])
			if sum > 17 && w[i] > 1 && (best < 0 || d < x[best]-float64(w[best])) || sum < 17 && w[i] < 6 && (best < 0 || d > x[best]-float64(w[best])) {
				best = i
			}
		}
		if best < 0 {
			return 0, 0, false
		}
		if sum > 17 {
			w[best]--
			sum--
		} else {
			w[best]++
			sum++
		}
	}
	if sum != 17 {
		return 0, 0, false
	}
	if cv, ok := lookup[pattern(w)]; ok {
		return cv[0], cv[1], true
	}
	bestCost, ties := math.Inf(1), 0
	var found [2]int
	for i := range 8 {
		for j := range 8 {
			if i == j || w[i] >= 6 || w[j] <= 1 {
				continue
			}
			// Cost: how much further from the measured widths the moved
			// elements are.
			cost := math.Abs(x[i]-float64(w[i]+1)) - math.Abs(x[i]-float64(w[i])) +
				math.Abs(x[j]-float64(w[j]-1)) - math.Abs(x[j]-float64(w[j]))
			if cost > 0.4 || cost > bestCost+0.05 {
				continue
			}
			w[i]++
			w[j]--
			cv, ok := lookup[pattern(w)]
			w[i]--
			w[j]++
			if !ok {
				continue
			}
			if cost < bestCost-0.05 {
				bestCost, ties, found = cost, 1, cv
			} else {
				ties++
			}
		}
	}
	if ties != 1 {
		return 0, 0, false
	}
	return found[0], found[1], true
}

// pattern is the 17-bit bar pattern of element widths w (bar first).
func pattern(w [8]int) uint32 {
	var p uint32
	for i, x := range w {
		for range x {
			p <<= 1
			if i%2 == 0 {
				p |= 1
			}
		}
	}
	return p
}
