package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"slices"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Sheet is a PDF page layout.
type Sheet int

// Page layouts.
const (
	// CardPages puts each card side on a page of its own at ID-1 size,
	// front then back, for card printers (print at 100%, no scaling).
	CardPages Sheet = iota
	// ProofSheet puts four cards on each US Letter page, front and back
	// side by side, with crop marks, for checking a batch on paper.
	ProofSheet
)

// PDFOptions set document-level properties.
type PDFOptions struct {
	Sheet   Sheet
	Title   string
	Created time.Time // written as the creation date; zero omits it
}

// Letter-size proof sheet geometry, in millimetres.
const (
	letterW  = 215.9
	letterH  = 279.4
	proofGap = 12.0
	perSheet = 4
	cropLen  = 4.0
	cropOff  = 1.5
)

// PDF writes cards to w as one print-ready PDF.
func (r *Renderer) PDF(w io.Writer, cards []Card, o PDFOptions) error {
	if len(cards) == 0 {
		return fmt.Errorf("render: no cards to print")
	}
	size := fpdf.SizeType{Wd: WidthMM, Ht: HeightMM}
	if o.Sheet == ProofSheet {
		size = fpdf.SizeType{Wd: letterW, Ht: letterH}
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("cityid", true)
	if o.Title != "" {
		pdf.SetTitle(o.Title, true)
	}
	if !o.Created.IsZero() {
		pdf.SetCreationDate(o.Created)
		pdf.SetModificationDate(o.Created)
	}
	p := &pdfWriter{pdf: pdf, m: r.newMetrics(), images: map[string]bool{}}
	if r.seal != nil {
		var buf bytes.Buffer
		if err := png.Encode(&buf, r.seal); err != nil {
			return fmt.Errorf("render: seal: %w", err)
		}
		pdf.RegisterImageOptionsReader("seal", fpdf.ImageOptions{ImageType: "PNG"}, &buf)
	}
	for i, c := range cards {
		front, err := r.front(p.m, c)
		if err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
		back, err := r.back(p.m, c)
		if err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
		switch o.Sheet {
		case ProofSheet:
			slot := i % perSheet
			if slot == 0 {
				pdf.AddPage()
			}
			x0 := (letterW - 2*WidthMM - proofGap) / 2
			y0 := (letterH - perSheet*HeightMM - (perSheet-1)*proofGap) / 2
			y := y0 + float64(slot)*(HeightMM+proofGap)
			p.draw(front, x0, y)
			p.draw(back, x0+WidthMM+proofGap, y)
			p.cropMarks(x0, y)
			p.cropMarks(x0+WidthMM+proofGap, y)
		default:
			pdf.AddPage()
			p.draw(front, 0, 0)
			pdf.AddPage()
			p.draw(back, 0, 0)
		}
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("render: card %d: %w", i+1, err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render: write PDF: %w", err)
	}
	return nil
}

type pdfWriter struct {
	pdf    *fpdf.Fpdf
	m      *metrics
	images map[string]bool // registered photos by content hash
	fonts  [numFonts]bool  // font families added to the document
}

// useFont adds font family fi to the document the first time a text needs
// it (fpdf embeds only the glyphs used), so a batch of Latin names never
// carries DejaVu.
func (p *pdfWriter) useFont(fi int) string {
	tf := p.m.r.fonts[fi]
	if !p.fonts[fi] {
		p.pdf.AddUTF8FontFromBytes(tf.family, "", tf.ttf[0])
		p.pdf.AddUTF8FontFromBytes(tf.family, "B", tf.ttf[1])
		p.fonts[fi] = true
	}
	return tf.family
}

func (p *pdfWriter) fill(c interface{ RGBA() (r, g, b, a uint32) }) {
	r, g, b, _ := c.RGBA()
	p.pdf.SetFillColor(int(r>>8), int(g>>8), int(b>>8))
}

func (p *pdfWriter) draw(ops side, ox, oy float64) {
	pdf := p.pdf
	for _, op := range ops {
		switch o := op.(type) {
		case rectOp:
			p.fill(o.c)
			pdf.Rect(ox+o.x, oy+o.y, o.w, o.h, "F")
		case circleOp:
			p.fill(o.ring)
			pdf.Circle(ox+o.cx, oy+o.cy, o.r, "F")
			p.fill(o.fill)
			pdf.Circle(ox+o.cx, oy+o.cy, o.r-o.ringW, "F")
		case textOp:
			style := ""
			if o.bold {
				style = "B"
			}
			t := p.m.text(o.s, o.bold)
			pdf.SetFont(p.useFont(t.font), style, o.size)
			pdf.SetTextColor(int(o.c.R), int(o.c.G), int(o.c.B))
			x := o.x
			if o.center {
				x -= p.m.width(o.s, o.size, o.bold) / 2
			}
			pdf.Text(ox+x, oy+o.y, t.visual)
		case photoOp:
			sum := sha256.Sum256(o.jpeg)
			name := "photo-" + hex.EncodeToString(sum[:8])
			opt := fpdf.ImageOptions{ImageType: "JPG"}
			if !p.images[name] {
				pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(o.jpeg))
				p.images[name] = true
			}
			info := pdf.GetImageInfo(name)
			if info == nil {
				continue // the registration error is reported by pdf.Error
			}
			fx, fy, fw, fh := fitMM(o.x, o.y, o.w, o.h, info.Width(), info.Height())
			pdf.ImageOptions(name, ox+fx, oy+fy, fw, fh, false, opt, 0, "")
		case sealOp:
			b := o.img.Bounds()
			fx, fy, fw, fh := fitMM(o.x, o.y, o.side, o.side, float64(b.Dx()), float64(b.Dy()))
			pdf.ImageOptions("seal", ox+fx, oy+fy, fw, fh, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		case modulesOp:
			p.modules(ox+o.x, oy+o.y, o.module, o.img)
		}
	}
}

// fitMM centres a sw×sh image, scaled to fit, in the box x, y, w, h.
func fitMM(x, y, w, h, sw, sh float64) (float64, float64, float64, float64) {
	if sw <= 0 || sh <= 0 {
		return x, y, w, h
	}
	fw, fh := w, h
	if sw*h > sh*w {
		fh = w * sh / sw
	} else {
		fw = h * sw / sh
	}
	return x + (w-fw)/2, y + (h-fh)/2, fw, fh
}

// modules draws a barcode as black rectangles: one per horizontal run of
// dark modules, with identical consecutive rows (PDF417 repeats each row)
// merged into one taller rectangle. A white background under the whole
// symbol keeps its quiet zone clean whatever is printed behind it.
func (p *pdfWriter) modules(x, y, mod float64, sym image.Image) {
	b := sym.Bounds()
	p.fill(white)
	p.pdf.Rect(x, y, float64(b.Dx())*mod, float64(b.Dy())*mod, "F")
	p.fill(black)
	// Runs of dark modules per row, computed once.
	rows := make([][][2]int, b.Dy())
	for sy := range rows {
		start := -1
		for sx := 0; sx <= b.Dx(); sx++ {
			d := sx < b.Dx() && darkAt(sym, b.Min.X+sx, b.Min.Y+sy)
			switch {
			case d && start < 0:
				start = sx
			case !d && start >= 0:
				rows[sy] = append(rows[sy], [2]int{start, sx})
				start = -1
			}
		}
	}
	for sy := 0; sy < len(rows); {
		n := 1
		for sy+n < len(rows) && slices.Equal(rows[sy], rows[sy+n]) {
			n++
		}
		for _, r := range rows[sy] {
			p.pdf.Rect(x+float64(r[0])*mod, y+float64(sy)*mod, float64(r[1]-r[0])*mod, float64(n)*mod, "F")
		}
		sy += n
	}
}

// darkAt is dark(sym.At(x, y)) without the interface conversions for the
// gray images the barcode encoders produce.
func darkAt(sym image.Image, x, y int) bool {
	if g, ok := sym.(*image.Gray); ok {
		return g.GrayAt(x, y).Y < 0x80
	}
	return dark(sym.At(x, y))
}

// cropMarks draws short hairlines outside each corner of a card at x, y.
func (p *pdfWriter) cropMarks(x, y float64) {
	pdf := p.pdf
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.1)
	for _, cx := range []float64{x, x + WidthMM} {
		for _, cy := range []float64{y, y + HeightMM} {
			dx, dy := -1.0, -1.0
			if cx > x {
				dx = 1
			}
			if cy > y {
				dy = 1
			}
			pdf.Line(cx+dx*cropOff, cy, cx+dx*(cropOff+cropLen), cy)
			pdf.Line(cx, cy+dy*cropOff, cx, cy+dy*(cropOff+cropLen))
		}
	}
}
