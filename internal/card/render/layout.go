package render

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The drawing operations of a card side, in millimetres from the top-left
// corner. Both backends (raster and PDF) draw exactly these.
type (
	rectOp struct {
		x, y, w, h float64
		c          color.RGBA
	}
	circleOp struct {
		cx, cy, r float64
		fill      color.RGBA
		ring      color.RGBA
		ringW     float64
	}
	textOp struct {
		x, y   float64 // y is the baseline
		size   float64 // points
		bold   bool
		c      color.RGBA
		s      string
		center bool // x is the centre of the text
	}
	photoOp struct {
		x, y, w, h float64
		jpeg       []byte
	}
	sealOp struct {
		x, y, side float64
		img        image.Image
	}
	// modulesOp draws a barcode: each dark pixel of img is a square module
	// of side module (mm), the symbol's top-left at x, y.
	modulesOp struct {
		x, y, module float64
		img          image.Image
	}
)

type side []any

var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black = color.RGBA{0x11, 0x11, 0x11, 0xff}
	gray  = color.RGBA{0x55, 0x5b, 0x66, 0xff}
)

// metrics measures text with the same fonts the backends draw with. Faces
// and prepared texts are cached; a metrics value belongs to one goroutine.
type metrics struct {
	r        *Renderer
	faces    map[faceKey]font.Face
	prepared map[prepKey]prepared
	buf      sfnt.Buffer
	err      error // the first text no card font can print
}

type faceKey struct {
	font int
	size float64
	bold bool
}

func (r *Renderer) newMetrics() *metrics {
	return &metrics{r: r, faces: map[faceKey]font.Face{}, prepared: map[prepKey]prepared{}}
}

func (m *metrics) face(fi int, size float64, bold bool) font.Face {
	k := faceKey{fi, size, bold}
	if f, ok := m.faces[k]; ok {
		return f
	}
	b := 0
	if bold {
		b = 1
	}
	f, err := opentype.NewFace(m.r.fonts[fi].ot[b], &opentype.FaceOptions{Size: size, DPI: DPI, Hinting: font.HintingNone})
	if err != nil {
		// Only for a non-positive size or DPI, which the layout never asks for.
		panic(fmt.Sprintf("render: face %v: %v", k, err))
	}
	m.faces[k] = f
	return f
}

// text prepares s for drawing and remembers the first failure, which the
// layout reports once it is done.
func (m *metrics) text(s string, bold bool) prepared {
	p := m.prepare(s, bold)
	if p.err != nil && m.err == nil {
		m.err = p.err
	}
	return p
}

// width returns the advance width of s in millimetres.
func (m *metrics) width(s string, size float64, bold bool) float64 {
	p := m.text(s, bold)
	adv := font.MeasureString(m.face(p.font, size, bold), p.visual)
	return float64(adv) / 64 / pxPerMM
}

// fit returns the largest size from max down to min (in 0.25 pt steps) at
// which s fits in w, and false if it does not fit even at min.
func (m *metrics) fit(s string, max, min, w float64, bold bool) (float64, bool) {
	for size := max; size >= min; size -= 0.25 {
		if m.width(s, size, bold) <= w {
			return size, true
		}
	}
	return min, false
}

// wrap breaks s into lines no wider than w at word boundaries; a single
// word wider than w is broken between characters.
func (m *metrics) wrap(s string, size, w float64, bold bool) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if m.width(try, size, bold) <= w {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = ""
		for _, r := range word {
			if line != "" && m.width(line+string(r), size, bold) > w {
				lines = append(lines, line)
				line = ""
			}
			line += string(r)
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// fitLines fits s into at most maxLines lines of width w, shrinking from
// max to min; it reports false when even min needs more lines.
func (m *metrics) fitLines(s string, max, min, w float64, maxLines int, bold bool) ([]string, float64, bool) {
	for size := max; size >= min; size -= 0.25 {
		if lines := m.wrap(s, size, w, bold); len(lines) <= maxLines {
			return lines, size, true
		}
	}
	return m.wrap(s, min, w, bold), min, false
}

// fitTwoLines fits a wide value into two lines of width w at the largest
// size from max down to minValue, breaking after a comma where one lets both
// halves fit ("c/o Columbus House, 586 Ella T. Grasso Boulevard," / "New
// Haven CT 06519"), else between words.
func (m *metrics) fitTwoLines(s string, max, w float64) ([]string, float64, bool) {
	for size := max; size >= minValue; size -= 0.25 {
		for i := strings.LastIndex(s, ", "); i > 0; i = strings.LastIndex(s[:i], ", ") {
			first, second := s[:i+1], s[i+2:]
			if m.width(first, size, true) <= w && m.width(second, size, true) <= w {
				return []string{first, second}, size, true
			}
		}
		if lines := m.wrap(s, size, w, true); len(lines) <= 2 {
			return lines, size, true
		}
	}
	return nil, minValue, false
}

// Front layout, in millimetres.
const (
	bandH      = 13.0
	stripeH    = 1.2
	margin     = 3.5
	photoX     = margin
	photoY     = 16.5
	photoW     = 22.0
	photoH     = 27.5 // 4:5, the stored portrait's shape
	colX       = photoX + photoW + 3.0
	colW       = WidthMM - colX - margin
	fieldsTop  = 25.2
	fieldsBot  = 45.0
	rowH       = 5.0
	labelSize  = 4.3
	valueSize  = 6.8
	minValue   = 5.0
	numberBase = 51.4
)

// front lays out the card front.
func (r *Renderer) front(m *metrics, c Card) (side, error) {
	s := r.style
	ops := side{
		rectOp{0, 0, WidthMM, HeightMM, white},
		rectOp{0, 0, WidthMM, bandH, s.Primary},
		rectOp{0, bandH, WidthMM, stripeH, s.Accent},
	}
	// Seal.
	const sealSide = 10.0
	if r.seal != nil {
		ops = append(ops, sealOp{1.6, 1.5, sealSide, r.seal})
	} else {
		ops = append(ops, circleOp{1.6 + sealSide/2, 1.5 + sealSide/2, sealSide / 2, white, s.Accent, 0.7})
		if in := initials(s.City); in != "" {
			size, _ := m.fit(in, 9, 4, sealSide-3, true)
			ops = append(ops, textOp{x: 1.6 + sealSide/2, y: 1.5 + sealSide/2 + size*0.352/2.8, size: size, bold: true, c: s.Primary, s: in, center: true})
		}
	}
	// City and titles on the band.
	tx := 1.6 + sealSide + 2.2
	tw := WidthMM - tx - 2
	size, _ := m.fit(strings.ToUpper(s.City), 8.5, 5, tw, true)
	ops = append(ops, textOp{x: tx, y: 4.9, size: size, bold: true, c: white, s: strings.ToUpper(s.City)})
	for i, t := range s.Titles {
		size, _ := m.fit(t, 5.6, 3.8, tw, false)
		ops = append(ops, textOp{x: tx, y: 8.3 + 3.0*float64(i), size: size, c: white, s: t})
	}
	// Photo (or a frame when there is none yet).
	ops = append(ops, rectOp{photoX - 0.3, photoY - 0.3, photoW + 0.6, photoH + 0.6, s.Primary})
	if len(c.PhotoJPEG) > 0 {
		ops = append(ops, photoOp{photoX, photoY, photoW, photoH, c.PhotoJPEG})
	} else {
		ops = append(ops, rectOp{photoX, photoY, photoW, photoH, color.RGBA{0xee, 0xee, 0xee, 0xff}})
	}
	// Names: surnames bold, given names below; two lines each at most.
	y := photoY + 2.6
	for _, n := range []struct {
		s    string
		max  float64
		bold bool
	}{{c.Surnames, 9.5, true}, {c.GivenNames, 8, false}} {
		lines, size, ok := m.fitLines(n.s, n.max, 5.5, colW, 2, n.bold)
		if !ok {
			return nil, fmt.Errorf("%w: a name is too long to print", ErrLayout)
		}
		for _, l := range lines {
			ops = append(ops, textOp{x: colX, y: y, size: size, bold: n.bold, c: black, s: l})
			y += size*0.3528 + 0.6
		}
	}
	// Fields in two columns; wide fields take a whole row. A wide value
	// too long for one line at the smallest size (a shelter's care-of
	// address: "c/o Columbus House, 586 Ella T. Grasso Boulevard, New
	// Haven CT 06519") takes two, and its row grows by the second line.
	top := max(y+0.2, fieldsTop)
	cells, rows := placeFields(c.Fields)
	half := (colW - 1.5) / 2
	type placed struct {
		lines []string
		size  float64
	}
	// measure sets each value's lines and size, a wrapped value at most
	// wrapMax points, and what each row grows by.
	measure := func(wrapMax float64) ([]placed, []float64, float64, error) {
		vals := make([]placed, len(c.Fields))
		extra := make([]float64, rows) // mm a row grows by for a second line
		var grown float64
		for i, f := range c.Fields {
			w := half
			if f.Wide {
				w = colW
			}
			vs, ok := m.fit(f.Value, valueSize, minValue, w, true)
			lines := []string{f.Value}
			if !ok && f.Wide {
				lines, vs, ok = m.fitTwoLines(f.Value, wrapMax, w)
				if ok && len(lines) == 2 {
					extra[cells[i].row] = max(extra[cells[i].row], vs*0.3528+0.3)
				}
			}
			if !ok {
				return nil, nil, 0, fmt.Errorf("%w: the value of %q is too long", ErrLayout, f.Label)
			}
			vals[i] = placed{lines, vs}
		}
		for _, e := range extra {
			grown += e
		}
		return vals, extra, grown, nil
	}
	// The largest size for wrapped values at which the rows still fit.
	var (
		vals  []placed
		extra []float64
		grown float64
		err   error
	)
	for wrapMax := valueSize; ; wrapMax -= 0.25 {
		wrapMax = max(wrapMax, minValue)
		if vals, extra, grown, err = measure(wrapMax); err != nil {
			return nil, err
		}
		if rows == 0 || (fieldsBot-top-grown)/float64(rows) >= 4.0 || wrapMax == minValue {
			break
		}
	}
	h := rowH
	if rows > 0 && float64(rows)*h+grown > fieldsBot-top {
		h = (fieldsBot - top - grown) / float64(rows)
		if h < 4.0 {
			return nil, fmt.Errorf("%w: %d rows of fields", ErrLayout, rows)
		}
	}
	// A squeezed row gets smaller values, so that a value's baseline stays
	// clear of the next row's label (at 4 mm rows 6.8-point values touched
	// the labels under them).
	if room := (h - 1.5 - 0.4 - 0.45) / 0.3528; room < valueSize {
		for i, f := range c.Fields {
			if vals[i].size <= room {
				continue
			}
			w := half
			if f.Wide {
				w = colW
			}
			if len(vals[i].lines) == 2 {
				if lines, vs, ok := m.fitTwoLines(f.Value, max(room, minValue), w); ok {
					vals[i] = placed{lines, vs}
				}
			} else if vs, ok := m.fit(f.Value, max(room, minValue), minValue, w, true); ok {
				vals[i].size = vs
			}
		}
	}
	rowY := make([]float64, rows)
	for r := 1; r < rows; r++ {
		rowY[r] = rowY[r-1] + h + extra[r-1]
	}
	for i, f := range c.Fields {
		x, w := colX, half
		if cells[i].col == 1 {
			x = colX + half + 1.5
		}
		if f.Wide {
			w = colW
		}
		fy := top + rowY[cells[i].row]
		ls, _ := m.fit(f.Label, labelSize, 3.4, w, false)
		ops = append(ops, textOp{x: x, y: fy + 1.5, size: ls, c: gray, s: f.Label})
		v := vals[i]
		ly := fy + 1.5 + v.size*0.3528 + 0.4
		for _, l := range v.lines {
			ops = append(ops, textOp{x: x, y: ly, size: v.size, bold: true, c: black, s: l})
			ly += v.size*0.3528 + 0.3
		}
	}
	// Card number under the photo, badges at the bottom right.
	ops = append(ops, textOp{x: margin, y: numberBase - 3.9, size: labelSize, c: gray, s: c.NumberLabel})
	ns, _ := m.fit(c.Number, 9.5, 6, colX+colW/2-margin, true)
	ops = append(ops, textOp{x: margin, y: numberBase, size: ns, bold: true, c: black, s: c.Number})
	bx := WidthMM - margin
	for i := len(c.Badges) - 1; i >= 0; i-- {
		b := c.Badges[i]
		const bs = 4.6
		w := m.width(b, bs, true) + 2.4
		bx -= w
		if bx < colX {
			return nil, fmt.Errorf("%w: too many badges", ErrLayout)
		}
		ops = append(ops, rectOp{bx, numberBase - 3.1, w, 4.2, s.Accent},
			textOp{x: bx + w/2, y: numberBase - 0.1, size: bs, bold: true, c: black, s: b, center: true})
		bx -= 1.2
	}
	ops = append(ops, rectOp{0, HeightMM - 1.0, WidthMM, 1.0, s.Primary})
	if m.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLayout, m.err)
	}
	return ops, nil
}

type cell struct{ row, col int }

// placeFields assigns each field a row and column: narrow fields pair up,
// wide fields take a row of their own.
func placeFields(fields []Field) ([]cell, int) {
	out := make([]cell, len(fields))
	row, col := 0, 0
	for i, f := range fields {
		if f.Wide {
			if col == 1 {
				row, col = row+1, 0
			}
			out[i] = cell{row, 0}
			row++
			continue
		}
		out[i] = cell{row, col}
		if col == 1 {
			row, col = row+1, 0
		} else {
			col = 1
		}
	}
	if col == 1 {
		row++
	}
	return out, row
}

// Back layout, in millimetres.
const (
	pdf417MaxW = 80.0
	pdf417MaxH = 22.0
	qrMaxSide  = 31.0
)

// modulePx returns the largest whole number of printer pixels per module
// that fits n modules in limit millimetres.
func modulePx(n int, limit float64) int {
	return int(math.Floor(limit * pxPerMM / float64(n)))
}

// back lays out the card back. Height is the scarce resource: the AAMVA
// PDF417 needs about 22 mm and the QR (which carries a face) about 29 mm
// at 3 printer pixels per module, so both run nearly edge to edge and the
// text sits beside the QR.
func (r *Renderer) back(m *metrics, c Card) (side, error) {
	s := r.style
	ops := side{rectOp{0, 0, WidthMM, HeightMM, white}}
	y := 1.0
	if c.PDF417 != nil {
		// The PDF417 comes at printer resolution; it is placed 1:1.
		b := c.PDF417.Bounds()
		mod := 1 / pxPerMM
		w := float64(b.Dx()) * mod
		if w > pdf417MaxW || float64(b.Dy())*mod > pdf417MaxH {
			return nil, fmt.Errorf("%w: PDF417 of %d×%d pixels", ErrLayout, b.Dx(), b.Dy())
		}
		ops = append(ops, modulesOp{(WidthMM - w) / 2, y, mod, c.PDF417})
		y += float64(b.Dy())*mod + 0.2
	}
	if c.QR == nil {
		return nil, fmt.Errorf("%w: no QR code", ErrLayout)
	}
	qb := c.QR.Bounds()
	k := min(modulePx(qb.Dx(), qrMaxSide), modulePx(qb.Dx(), HeightMM-0.3-y))
	if k < 2 {
		return nil, fmt.Errorf("%w: QR of %d modules does not fit at 2 pixels per module", ErrLayout, qb.Dx())
	}
	mod := float64(k) / pxPerMM
	qside := float64(qb.Dx()) * mod
	qx := max(margin-4*mod, 0.3) // the quiet zone may reach into the margin
	ops = append(ops, modulesOp{qx, y, mod, c.QR})
	// Text beside the QR, the card number last.
	tx := qx + qside + 0.8
	tw := WidthMM - tx - margin
	top, bottom := y+1.0, HeightMM-2.4
	ops = append(ops, rectOp{tx, HeightMM - 1.0, WidthMM - tx, 1.0, s.Primary})
	for size := 5.4; ; size -= 0.2 {
		var lines side
		ly := top
		for _, p := range s.BackLines {
			for _, l := range m.wrap(p, size, tw, false) {
				ly += size * 0.3528 * 1.15
				lines = append(lines, textOp{x: tx, y: ly, size: size, c: black, s: l})
			}
			ly += size * 0.3528 * 0.5
		}
		ly += size * 0.3528 * 1.15
		lines = append(lines, textOp{x: tx, y: ly, size: size, bold: true, c: gray, s: c.Number})
		if ly <= bottom {
			if m.err != nil {
				return nil, fmt.Errorf("%w: %w", ErrLayout, m.err)
			}
			return append(ops, lines...), nil
		}
		if size < 3.6 {
			return nil, fmt.Errorf("%w: back text is too long", ErrLayout)
		}
	}
}

// fixedPoint converts millimetres to a 26.6 pixel point.
func fixedPoint(x, y float64) fixed.Point26_6 {
	return fixed.Point26_6{X: fixed.Int26_6(math.Round(x * pxPerMM * 64)), Y: fixed.Int26_6(math.Round(y * pxPerMM * 64))}
}
