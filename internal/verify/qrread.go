package verify

import (
	"errors"
	"image"
	"image/draw"
	"math"
	"slices"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Bounds on the work of reading one photo. A phone photo is 12 megapixels;
// a larger one is scaled down before any attempt (a card big enough to fill
// a 48 MP frame still has modules of several pixels at 16 MP). Each attempt
// costs about as much as the pixels it reads, so the attempts stop once they
// have read decodeWork pixels in all (about four passes over a 12 MP photo):
// a count, not a clock, so the same photo gets the same attempts on a busy
// server as on an idle one. decodeDeadline is a backstop in wall-clock time.
// Memory is a few copies of the grey image (at most maxDecodePixels bytes
// each) and gozxing's bit matrices.
const (
	maxDecodePixels = 16_000_000
	decodeWork      = 48_000_000
	decodeDeadline  = 20 * time.Second
)

// grey is an 8-bit luminance image.
type grey struct {
	w, h int
	pix  []byte
}

// toGrey returns img's luminance. A JPEG decodes to YCbCr, whose Y plane is
// exactly that; other images are converted pixel by pixel.
func toGrey(img image.Image) grey {
	b := img.Bounds()
	g := grey{w: b.Dx(), h: b.Dy(), pix: make([]byte, b.Dx()*b.Dy())}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < g.h; y++ {
			o := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*g.w:(y+1)*g.w], m.Y[o:o+g.w])
		}
	case *image.Gray:
		for y := 0; y < g.h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*g.w:(y+1)*g.w], m.Pix[o:o+g.w])
		}
	default:
		gi := image.NewGray(image.Rect(0, 0, g.w, g.h))
		draw.Draw(gi, gi.Bounds(), img, b.Min, draw.Src)
		copy(g.pix, gi.Pix)
	}
	return g
}

// shrink returns g scaled down by an integer factor k (box filter).
func (g grey) shrink(k int) grey {
	if k <= 1 {
		return g
	}
	out := grey{w: g.w / k, h: g.h / k}
	out.pix = make([]byte, out.w*out.h)
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			s := 0
			for dy := 0; dy < k; dy++ {
				row := g.pix[(y*k+dy)*g.w+x*k:]
				for dx := 0; dx < k; dx++ {
					s += int(row[dx])
				}
			}
			out.pix[y*out.w+x] = byte(s / (k * k))
		}
	}
	return out
}

// flattened divides out slow changes of brightness (uneven light, a
// shadow, the edge of a glare spot) and stretches what is left to the full
// range: each pixel is compared with the mean of a window several QR
// finder patterns wide.
func (g grey) flattened() grey {
	r := max(g.w, g.h)/48 + 8
	// Integral image of the pixels.
	W := g.w + 1
	sum := make([]uint32, W*(g.h+1))
	for y := 0; y < g.h; y++ {
		var row uint32
		for x := 0; x < g.w; x++ {
			row += uint32(g.pix[y*g.w+x])
			sum[(y+1)*W+x+1] = sum[y*W+x+1] + row
		}
	}
	out := grey{w: g.w, h: g.h, pix: make([]byte, len(g.pix))}
	for y := 0; y < g.h; y++ {
		y0, y1 := max(y-r, 0), min(y+r+1, g.h)
		for x := 0; x < g.w; x++ {
			x0, x1 := max(x-r, 0), min(x+r+1, g.w)
			s := int64(sum[y1*W+x1] - sum[y0*W+x1] - sum[y1*W+x0] + sum[y0*W+x0])
			n := int64((y1 - y0) * (x1 - x0))
			// 128 + 150·(p − mean)/mean, in integers: mean = s/n.
			p := int64(g.pix[y*g.w+x])
			v := 128 + 150*(p*n-s)/(s+n)
			out.pix[y*g.w+x] = byte(min(max(v, 0), 255))
		}
	}
	return out
}

// crop returns the part of g inside r (clipped), scaled by k with bilinear
// interpolation: a small QR in a large photo gets pixels enough for the
// binarizer to follow its module edges.
func (g grey) crop(r image.Rectangle, k float64) grey {
	r = r.Intersect(image.Rect(0, 0, g.w, g.h))
	out := grey{w: int(float64(r.Dx()) * k), h: int(float64(r.Dy()) * k)}
	if out.w <= 0 || out.h <= 0 {
		return grey{}
	}
	out.pix = make([]byte, out.w*out.h)
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			out.pix[y*out.w+x] = byte(g.at(float64(r.Min.X)+(float64(x)+0.5)/k-0.5, float64(r.Min.Y)+(float64(y)+0.5)/k-0.5))
		}
	}
	return out
}

// at reads g bilinearly at (x, y), clamped to the edges.
func (g grey) at(x, y float64) float64 {
	x = math.Min(math.Max(x, 0), float64(g.w-1))
	y = math.Min(math.Max(y, 0), float64(g.h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, g.w-1), min(y0+1, g.h-1)
	ax, ay := x-float64(x0), y-float64(y0)
	top := float64(g.pix[y0*g.w+x0])*(1-ax) + float64(g.pix[y0*g.w+x1])*ax
	bot := float64(g.pix[y1*g.w+x0])*(1-ax) + float64(g.pix[y1*g.w+x1])*ax
	return top*(1-ay) + bot*ay
}

// blackMatrix binarizes g with zxing's local (hybrid) binarizer.
func (g grey) blackMatrix() (*gozxing.BitMatrix, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return nil, err
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return nil, err
	}
	return bmp.GetBlackMatrix()
}

var tryHarder = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// reader tries one picture in two ways: zxing's own detector, then a more
// careful one (below). It keeps the first error for the report.
type reader struct {
	deadline time.Time
	work     int // pixels read so far
	err      error
}

func (rd *reader) expired() bool { return rd.work >= decodeWork || time.Now().After(rd.deadline) }

// flatten is g.flattened(), counted as work like a read of g.
func (rd *reader) flatten(g grey) grey {
	rd.work += g.w * g.h
	return g.flattened()
}

func (rd *reader) fail(err error) {
	if rd.err == nil {
		rd.err = err
	}
}

// read tries g; it returns the finder patterns it saw (nil if none) so the
// caller can crop to them.
func (rd *reader) read(g grey) (string, *detector.FinderPatternInfo, bool) {
	if g.w < 21 || g.h < 21 {
		return "", nil, false
	}
	rd.work += g.w * g.h
	bits, err := g.blackMatrix()
	if err != nil {
		rd.fail(err)
		return "", nil, false
	}
	if det, err := detector.NewDetector(bits).Detect(tryHarder); err == nil {
		if res, err := decoder.NewDecoder().Decode(det.GetBits(), nil); err == nil {
			return res.GetText(), nil, true
		} else {
			rd.fail(err)
		}
	} else {
		rd.fail(err)
	}
	if rd.expired() {
		return "", nil, false
	}
	rd.work += g.w * g.h / 2 // the finder search reads every other row
	cands := finderCandidates(bits)
	infos := triplesOf(cands, 3)
	for _, info := range infos {
		if text, ok := rd.careful(g, bits, info); ok {
			return text, info, true
		}
		if rd.expired() {
			break
		}
	}
	// No three finder patterns read as one symbol: one may be covered (a
	// thumb, glare) or lost; infer it from two.
	for _, info := range inferredTriples(cands, g.w, g.h, maxInferred) {
		if rd.expired() {
			break
		}
		if text, ok := rd.careful(g, bits, info); ok {
			return text, info, true
		}
	}
	if len(infos) == 0 {
		return "", nil, false
	}
	return "", infos[0], false
}

// maxInferred bounds the triples with an inferred finder pattern that one
// read tries (each costs a few samplings of the module grid).
const maxInferred = 12

// careful reads the symbol whose finder patterns are info, trying the
// neighbouring versions when the size estimate is off (a dense symbol seen
// at an angle is easily misjudged by one version) and sampling each module
// from the grey image against a threshold local to the module grid, which
// survives blur, glare and uneven light better than one binarized pixel.
func (rd *reader) careful(g grey, bits *gozxing.BitMatrix, info *detector.FinderPatternInfo) (string, bool) {
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if ms < 1 {
		return "", false
	}
	est := (gozxing.ResultPoint_Distance(tl, tr)/ms+gozxing.ResultPoint_Distance(tl, bl)/ms)/2 + 7
	base := 4*int(math.Round((est-17)/4)) + 17
	for _, delta := range []int{0, -4, 4, -8, 8} {
		dim := base + delta
		if dim < 21 || dim > 177 || rd.expired() {
			continue
		}
		align := findAlignment(bits, tl, tr, bl, ms, dim)
		t := detector.Detector_createTransform(tl, tr, bl, align, dim)
		if text, ok := rd.sampleAndDecode(g, bits, t, dim); ok {
			return text, true
		}
		if rt := refine(bits, t, tl, tr, bl, dim); rt != nil && !rd.expired() {
			if text, ok := rd.sampleAndDecode(g, bits, rt, dim); ok {
				return text, true
			}
		}
		if align != nil || rd.expired() {
			continue
		}
		// No alignment pattern found (blur, glare): the fourth corner is a
		// guess, and at a slight perspective it is off by a module or so
		// across a dense symbol. Try the guess nudged by a module each way.
		ux, uy := (tr.GetX()-tl.GetX())/float64(dim-7), (tr.GetY()-tl.GetY())/float64(dim-7)
		vx, vy := (bl.GetX()-tl.GetX())/float64(dim-7), (bl.GetY()-tl.GetY())/float64(dim-7)
		cx, cy := tr.GetX()+bl.GetX()-tl.GetX()-3*(ux+vx), tr.GetY()+bl.GetY()-tl.GetY()-3*(uy+vy)
		for _, d := range [][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, -1}, {1, -1}, {-1, 1}} {
			a := detector.NewAlignmentPattern(cx+d[0]*ux+d[1]*vx, cy+d[0]*uy+d[1]*vy, ms)
			if text, ok := rd.sampleAndDecode(g, bits, detector.Detector_createTransform(tl, tr, bl, a, dim), dim); ok {
				return text, true
			}
		}
	}
	return "", false
}

// sampleAndDecode reads the dim × dim modules that t maps, from the grey
// image with two local thresholds and from zxing's binarized matrix.
func (rd *reader) sampleAndDecode(g grey, bits *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int) (string, bool) {
	vals, err := sampleGrey(g, t, dim)
	for _, m := range []func() (*gozxing.BitMatrix, error){
		func() (*gozxing.BitMatrix, error) { return thresholdMean(vals, dim), err },
		func() (*gozxing.BitMatrix, error) { return thresholdRange(vals, dim), err },
		func() (*gozxing.BitMatrix, error) { return detector.Detector_sampleGrid(bits, t, dim) },
	} {
		mm, err := m()
		if err != nil || mm == nil {
			continue
		}
		res, err := decoder.NewDecoder().Decode(mm, nil)
		if err == nil {
			return res.GetText(), true
		}
		rd.fail(err)
	}
	return "", false
}

// findAlignment looks for the bottom-right alignment pattern of a symbol of
// dimension dim where the finder patterns put it (as zxing's detector
// does, with the dimension given rather than estimated).
func findAlignment(bits *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, ms float64, dim int) *detector.AlignmentPattern {
	if dim <= 21 {
		return nil
	}
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	corr := 1 - 3/float64(dim-7)
	ex := int(tl.GetX() + corr*(brX-tl.GetX()))
	ey := int(tl.GetY() + corr*(brY-tl.GetY()))
	for f := 4; f <= 16; f <<= 1 {
		a := int(float64(f) * ms)
		x0, x1 := max(ex-a, 0), min(ex+a, bits.GetWidth()-1)
		y0, y1 := max(ey-a, 0), min(ey+a, bits.GetHeight()-1)
		if float64(x1-x0) < ms*3 || float64(y1-y0) < ms*3 {
			continue
		}
		if p, err := detector.NewAlignmentPatternFinder(bits, x0, y0, x1-x0, y1-y0, ms, nil).Find(); err == nil {
			return p
		}
	}
	return nil
}

// sampleGrey samples the dim × dim modules of the symbol mapped by t from
// the grey image: each module is the mean of five points around its centre.
// A symbol partly out of the frame (a corner cut off, with its finder
// pattern) is read with the missing modules taken from the frame's edge,
// for the error correction to restore, as long as at most a tenth of it is
// outside; beyond that the grid is taken to be wrong.
func sampleGrey(g grey, t *common.PerspectiveTransform, dim int) ([]float64, error) {
	vals := make([]float64, dim*dim)
	outside, most := 0, len(vals)*5/10
	offs := [][2]float64{{0.5, 0.5}, {0.3, 0.3}, {0.7, 0.3}, {0.3, 0.7}, {0.7, 0.7}}
	pts := make([]float64, 2*dim)
	for _, o := range offs {
		for y := range dim {
			for x := range dim {
				pts[2*x], pts[2*x+1] = float64(x)+o[0], float64(y)+o[1]
			}
			t.TransformPoints(pts)
			for x := range dim {
				px, py := pts[2*x], pts[2*x+1]
				if px < -1 || py < -1 || px > float64(g.w) || py > float64(g.h) {
					if outside++; outside > most {
						return nil, errOutside
					}
				}
				vals[y*dim+x] += g.at(px, py) / float64(len(offs))
			}
		}
	}
	return vals, nil
}

// thresholdMean: a module is dark when darker than the mean of the modules
// within 5 of it (an integral image over the module grid).
func thresholdMean(vals []float64, dim int) *gozxing.BitMatrix {
	if vals == nil {
		return nil
	}
	const r = 5
	W := dim + 1
	sum := make([]float64, W*(dim+1))
	for y := range dim {
		row := 0.0
		for x := range dim {
			row += vals[y*dim+x]
			sum[(y+1)*W+x+1] = sum[y*W+x+1] + row
		}
	}
	m, _ := gozxing.NewSquareBitMatrix(dim)
	for y := range dim {
		y0, y1 := max(y-r, 0), min(y+r+1, dim)
		for x := range dim {
			x0, x1 := max(x-r, 0), min(x+r+1, dim)
			mean := (sum[y1*W+x1] - sum[y0*W+x1] - sum[y1*W+x0] + sum[y0*W+x0]) / float64((y1-y0)*(x1-x0))
			if vals[y*dim+x] < mean {
				m.Set(x, y)
			}
		}
	}
	return m
}

// thresholdRange: a module is dark when below the midpoint of the darkest
// and lightest tenth of the modules within 4 of it. Unlike the mean, this
// is not pulled dark by a finder pattern next to the format information,
// nor light by a quiet zone.
func thresholdRange(vals []float64, dim int) *gozxing.BitMatrix {
	if vals == nil {
		return nil
	}
	const r = 4
	m, _ := gozxing.NewSquareBitMatrix(dim)
	win := make([]float64, 0, (2*r+1)*(2*r+1))
	for y := range dim {
		for x := range dim {
			win = win[:0]
			for yy := max(y-r, 0); yy < min(y+r+1, dim); yy++ {
				win = append(win, vals[yy*dim+max(x-r, 0):yy*dim+min(x+r+1, dim)]...)
			}
			slices.Sort(win)
			lo, hi := win[len(win)/10], win[len(win)-1-len(win)/10]
			if vals[y*dim+x] < (lo+hi)/2 {
				m.Set(x, y)
			}
		}
	}
	return m
}

var errOutside = errors.New("symbol reaches outside the image")

// finderBox is the part of the image the symbol found by info should lie
// in, with a margin, and the scale that gives its modules about 5 pixels.
func finderBox(info *detector.FinderPatternInfo) (image.Rectangle, float64) {
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	brX, brY := tr.GetX()-tl.GetX()+bl.GetX(), tr.GetY()-tl.GetY()+bl.GetY()
	xs := []float64{tl.GetX(), tr.GetX(), bl.GetX(), brX}
	ys := []float64{tl.GetY(), tr.GetY(), bl.GetY(), brY}
	minX, maxX, minY, maxY := xs[0], xs[0], ys[0], ys[0]
	for i := range xs {
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	m := 10 * ms
	r := image.Rect(int(minX-m), int(minY-m), int(maxX+m), int(maxY+m))
	k := 1.0
	if ms > 0 && ms < 5 {
		k = math.Min(5/ms, 3)
	}
	return r, k
}

// decodeQR reads a QR code from img within the decode budget: the picture
// as it is, at half size (which averages away noise), with its lighting
// flattened, then cropped to the finder patterns and enlarged; finally, for
// a tight crop or a screenshot with only the standard quiet zone, framed in
// white and as a pure symbol.
func decodeQR(img image.Image) (string, error) { return decodeQRWithin(img, decodeDeadline) }

// decodeQRWithin is decodeQR giving up after backstop of wall-clock time.
func decodeQRWithin(img image.Image, backstop time.Duration) (string, error) {
	rd := &reader{deadline: time.Now().Add(backstop)}
	g := toGrey(img)
	if n := g.w * g.h; n > maxDecodePixels {
		g = g.shrink(int(math.Ceil(math.Sqrt(float64(n) / maxDecodePixels))))
	}
	var seen *detector.FinderPatternInfo
	try := func(v func() grey) (string, bool) {
		if rd.expired() {
			return "", false
		}
		text, info, ok := rd.read(v())
		if info != nil && seen == nil {
			seen = info
		}
		return text, ok
	}
	// Cheapest and most often right first: the photo as it is, then at half
	// size (a quarter of the work, and averaging four pixels halves the
	// noise of a dim photo), then with the light flattened.
	small := g
	if g.w >= 1600 && g.h >= 1200 {
		small = g.shrink(2)
		if text, ok := try(func() grey { return g }); ok {
			return text, nil
		}
	}
	for _, v := range []func() grey{
		func() grey { return small },
		func() grey { return rd.flatten(small) },
	} {
		if text, ok := try(v); ok {
			return text, nil
		}
	}
	if seen != nil {
		// The finder patterns were seen but the symbol did not read: crop to
		// them in the full-resolution photo, enlarge small modules, and try
		// the crop as it is and flattened.
		box, k := finderBox(seen)
		if small.w != g.w {
			box = image.Rect(box.Min.X*2, box.Min.Y*2, box.Max.X*2, box.Max.Y*2)
			k = math.Max(k/2, 1)
		}
		crop := g.crop(box, k)
		for _, v := range []func() grey{
			func() grey { return crop },
			func() grey { return rd.flatten(crop) },
		} {
			if text, ok := try(v); ok {
				return text, nil
			}
		}
	}
	if small.w != g.w {
		if text, ok := try(func() grey { return rd.flatten(g) }); ok {
			return text, nil
		}
	}
	if !rd.expired() && g.w*g.h <= 4_000_000 {
		if text, err := legacyAttempts(img); err == nil {
			return text, nil
		}
	}
	if rd.err == nil {
		rd.err = errors.New("no finder patterns")
	}
	return "", rd.err
}

// legacyAttempts are the attempts for a clean symbol that fills the
// picture: gozxing's finder search misses about one symbol in fifty when
// the code sits at the image's edge with only the 4-module quiet zone, so
// the picture is framed in white, then read as a pure, unrotated symbol.
func legacyAttempts(img image.Image) (string, error) {
	var lastErr error
	for _, a := range []struct {
		img   image.Image
		hints map[gozxing.DecodeHintType]any
	}{
		{framed(img), tryHarder},
		{img, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}},
	} {
		bmp, err := gozxing.NewBinaryBitmapFromImage(a.img)
		if err != nil {
			lastErr = err
			continue
		}
		res, err := gzqr.NewQRCodeReader().Decode(bmp, a.hints)
		if err == nil {
			return res.GetText(), nil
		}
		lastErr = err
	}
	return "", lastErr
}
