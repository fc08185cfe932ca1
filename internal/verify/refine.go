package verify

import (
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// refine improves t, the map from a dim × dim symbol's module grid to the
// image that three finder patterns and one guessed corner give, using the
// symbol's other alignment patterns: each is looked for where the current
// map puts it, nearest the finder patterns first, and the map is refitted
// (least squares over every pattern found) as they come in. A card's QR
// (version 22: 105 modules a side) seen at 10–15° of tilt on both axes is
// off by a module or more in the far corner with the single-corner map;
// its 22 alignment patterns pin the grid down everywhere. It returns nil
// when too few patterns are found to do better than t. A finder pattern
// that was inferred rather than seen (inferred) is left out of the fit.
func refine(bits *gozxing.BitMatrix, t *common.PerspectiveTransform, tl, tr, bl gozxing.ResultPoint, dim int) *common.PerspectiveTransform {
	v, err := decoder.Version_GetVersionForNumber((dim - 17) / 4)
	if err != nil || dim < 25 {
		return nil
	}
	d := float64(dim)
	var src, dst [][2]float64
	for i, p := range []gozxing.ResultPoint{tl, tr, bl} {
		if inferred(p) {
			continue // a guess: the alignment patterns place that corner
		}
		src = append(src, [][2]float64{{3.5, 3.5}, {d - 3.5, 3.5}, {3.5, d - 3.5}}[i])
		dst = append(dst, [2]float64{p.GetX(), p.GetY()})
	}
	fixed := len(src)
	var aps [][2]float64
	centers := v.GetAlignmentPatternCenters()
	for _, cx := range centers {
		for _, cy := range centers {
			if cx <= 8 && cy <= 8 || cx >= dim-9 && cy <= 8 || cx <= 8 && cy >= dim-9 {
				continue // under a finder pattern
			}
			aps = append(aps, [2]float64{float64(cx) + 0.5, float64(cy) + 0.5})
		}
	}
	near := func(p [2]float64) float64 {
		m := math.Inf(1)
		for _, s := range [][2]float64{{3.5, 3.5}, {d - 3.5, 3.5}, {3.5, d - 3.5}} {
			m = math.Min(m, math.Hypot(p[0]-s[0], p[1]-s[1]))
		}
		return m
	}
	slices.SortStableFunc(aps, func(a, b [2]float64) int { return int(math.Round(near(a) - near(b))) })
	var cur mapper = t
	found := 0
	for _, a := range aps {
		px, py := at(cur, a[0], a[1])
		qx, qy := at(cur, a[0]+1, a[1])
		rx, ry := at(cur, a[0], a[1]+1)
		ms := (math.Hypot(qx-px, qy-py) + math.Hypot(rx-px, ry-py)) / 2
		if !(ms >= 1) {
			continue
		}
		half := int(math.Ceil(4 * ms))
		x0, y0 := max(int(px)-half, 0), max(int(py)-half, 0)
		x1, y1 := min(int(px)+half, bits.GetWidth()-1), min(int(py)+half, bits.GetHeight()-1)
		if float64(x1-x0) < 3*ms || float64(y1-y0) < 3*ms {
			continue
		}
		p, err := detector.NewAlignmentPatternFinder(bits, x0, y0, x1-x0, y1-y0, ms, nil).Find()
		if err != nil || math.Hypot(p.GetX()-px, p.GetY()-py) > 2*ms {
			continue
		}
		src = append(src, a)
		dst = append(dst, [2]float64{p.GetX(), p.GetY()})
		found++
		if len(src) >= 5 {
			if h, ok := fitHomography(src, dst); ok {
				cur = h
			}
		}
	}
	if found < 2 || len(src) < 5 {
		return nil
	}
	h, ok := fitHomography(src, dst)
	if !ok {
		return nil
	}
	// Drop the patterns the fit puts more than a module from where they
	// were found (a data area that looked like one), and fit again.
	var s2, d2 [][2]float64
	for i := range src {
		x, y := h.at(src[i][0], src[i][1])
		qx, qy := h.at(src[i][0]+1, src[i][1])
		if i < fixed || math.Hypot(x-dst[i][0], y-dst[i][1]) <= math.Hypot(qx-x, qy-y) {
			s2, d2 = append(s2, src[i]), append(d2, dst[i])
		}
	}
	if len(s2) >= 5 && len(s2) < len(src) {
		if h2, ok := fitHomography(s2, d2); ok {
			h = h2
		}
	}
	return h.transform(d)
}

// inferred reports whether p is a finder pattern inferredTriples made up
// (seen on no row) rather than one found in the image.
func inferred(p gozxing.ResultPoint) bool {
	f, ok := p.(*detector.FinderPattern)
	return ok && f.GetCount() == 0
}

// mapper maps module coordinates to image coordinates.
type mapper interface {
	TransformPoints(points []float64)
}

// homography is a 3×3 projective map, row-major, from module coordinates
// to image coordinates.
type homography [9]float64

// TransformPoints maps (x, y) pairs in place, like common.PerspectiveTransform.
func (h homography) TransformPoints(p []float64) {
	for i := 0; i+1 < len(p); i += 2 {
		p[i], p[i+1] = h.at(p[i], p[i+1])
	}
}

func (h homography) at(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// transform is h as a zxing transform, through the corners of a d × d grid
// (four points fix a projective map exactly).
func (h homography) transform(d float64) *common.PerspectiveTransform {
	x0, y0 := h.at(0, 0)
	x1, y1 := h.at(d, 0)
	x2, y2 := h.at(d, d)
	x3, y3 := h.at(0, d)
	return common.PerspectiveTransform_QuadrilateralToQuadrilateral(0, 0, d, 0, d, d, 0, d, x0, y0, x1, y1, x2, y2, x3, y3)
}

// at maps one point with any mapper.
func at(m mapper, x, y float64) (float64, float64) {
	p := []float64{x, y}
	m.TransformPoints(p)
	return p[0], p[1]
}

// fitHomography is the least-squares projective map taking src to dst (at
// least four pairs), solved on coordinates centred and scaled for
// conditioning.
func fitHomography(src, dst [][2]float64) (homography, bool) {
	if len(src) < 4 || len(src) != len(dst) {
		return homography{}, false
	}
	norm := func(ps [][2]float64) (cx, cy, s float64) {
		for _, p := range ps {
			cx, cy = cx+p[0], cy+p[1]
		}
		cx, cy = cx/float64(len(ps)), cy/float64(len(ps))
		for _, p := range ps {
			s += math.Hypot(p[0]-cx, p[1]-cy)
		}
		s /= float64(len(ps))
		if s == 0 {
			s = 1
		}
		return cx, cy, math.Sqrt2 / s
	}
	sx, sy, ss := norm(src)
	dx, dy, ds := norm(dst)
	// Normal equations of the 8 unknowns (h8 = 1).
	var a [8][9]float64
	for i := range src {
		x, y := (src[i][0]-sx)*ss, (src[i][1]-sy)*ss
		u, v := (dst[i][0]-dx)*ds, (dst[i][1]-dy)*ds
		for _, r := range [2][9]float64{
			{x, y, 1, 0, 0, 0, -u * x, -u * y, u},
			{0, 0, 0, x, y, 1, -v * x, -v * y, v},
		} {
			for j := range 8 {
				for k := range 9 {
					a[j][k] += r[j] * r[k]
				}
			}
		}
	}
	for col := range 8 {
		piv := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return homography{}, false
		}
		a[col], a[piv] = a[piv], a[col]
		for r := range 8 {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var n homography
	for k := range 8 {
		n[k] = a[k][8] / a[k][k]
	}
	n[8] = 1
	// Undo the normalization: H = D⁻¹ · N · S, where S and D centre and
	// scale the source and destination points.
	S := homography{ss, 0, -ss * sx, 0, ss, -ss * sy, 0, 0, 1}
	Dinv := homography{1 / ds, 0, dx, 0, 1 / ds, dy, 0, 0, 1}
	return Dinv.mul(n.mul(S)), true
}

func (h homography) mul(o homography) homography {
	var r homography
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[3*i+j] += h[3*i+k] * o[3*k+j]
			}
		}
	}
	return r
}
