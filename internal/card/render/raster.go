package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
)

// FrontPNG draws the card front at 300 dpi (1011 × 638 pixels).
func (r *Renderer) FrontPNG(c Card) (*image.RGBA, error) {
	m := r.newMetrics()
	ops, err := r.front(m, c)
	if err != nil {
		return nil, err
	}
	return rasterize(m, ops)
}

// BackPNG draws the card back at 300 dpi (1011 × 638 pixels).
func (r *Renderer) BackPNG(c Card) (*image.RGBA, error) {
	m := r.newMetrics()
	ops, err := r.back(m, c)
	if err != nil {
		return nil, err
	}
	return rasterize(m, ops)
}

func px(mm float64) int { return int(math.Round(mm * pxPerMM)) }

func pxRect(x, y, w, h float64) image.Rectangle { return image.Rect(px(x), px(y), px(x+w), px(y+h)) }

func rasterize(m *metrics, ops side) (*image.RGBA, error) {
	img := image.NewRGBA(image.Rect(0, 0, WidthPx, HeightPx))
	for _, op := range ops {
		switch o := op.(type) {
		case rectOp:
			draw.Draw(img, pxRect(o.x, o.y, o.w, o.h), image.NewUniform(o.c), image.Point{}, draw.Src)
		case circleOp:
			fillCircle(img, o.cx*pxPerMM, o.cy*pxPerMM, o.r*pxPerMM, o.ring)
			fillCircle(img, o.cx*pxPerMM, o.cy*pxPerMM, (o.r-o.ringW)*pxPerMM, o.fill)
		case textOp:
			p := m.text(o.s, o.bold)
			x := o.x
			if o.center {
				x -= m.width(o.s, o.size, o.bold) / 2
			}
			d := font.Drawer{Dst: img, Src: image.NewUniform(o.c), Face: m.face(p.font, o.size, o.bold), Dot: fixedPoint(x, o.y)}
			d.DrawString(p.visual)
		case photoOp:
			src, err := jpeg.Decode(bytes.NewReader(o.jpeg))
			if err != nil {
				return nil, fmt.Errorf("render: photo: %w", err)
			}
			drawFitted(img, pxRect(o.x, o.y, o.w, o.h), src)
		case sealOp:
			drawFitted(img, pxRect(o.x, o.y, o.side, o.side), o.img)
		case modulesOp:
			drawModules(img, px(o.x), px(o.y), int(math.Round(o.module*pxPerMM)), o.img)
		default:
			return nil, fmt.Errorf("render: unknown operation %T", op)
		}
	}
	return img, nil
}

// fitRect returns the largest rectangle of src's aspect ratio centred in dst.
func fitRect(dst image.Rectangle, src image.Rectangle) image.Rectangle {
	dw, dh := dst.Dx(), dst.Dy()
	sw, sh := src.Dx(), src.Dy()
	if sw == 0 || sh == 0 {
		return dst
	}
	w, h := dw, dh
	if sw*dh > sh*dw {
		h = dw * sh / sw
	} else {
		w = dh * sw / sh
	}
	x0, y0 := dst.Min.X+(dw-w)/2, dst.Min.Y+(dh-h)/2
	return image.Rect(x0, y0, x0+w, y0+h)
}

func drawFitted(dst *image.RGBA, r image.Rectangle, src image.Image) {
	xdraw.CatmullRom.Scale(dst, fitRect(r, src.Bounds()), src, src.Bounds(), xdraw.Over, nil)
}

// dark reports whether a barcode pixel is a dark module.
func dark(c color.Color) bool {
	return color.GrayModel.Convert(c).(color.Gray).Y < 0x80
}

// drawModules draws each dark pixel of sym as a k×k block of black at x, y.
// Light modules are left as they are (the card is white there).
func drawModules(dst *image.RGBA, x, y, k int, sym image.Image) {
	b := sym.Bounds()
	for sy := b.Min.Y; sy < b.Max.Y; sy++ {
		for sx := b.Min.X; sx < b.Max.X; sx++ {
			c := color.RGBA{0xff, 0xff, 0xff, 0xff}
			if dark(sym.At(sx, sy)) {
				c = color.RGBA{0, 0, 0, 0xff}
			}
			px0, py0 := x+(sx-b.Min.X)*k, y+(sy-b.Min.Y)*k
			draw.Draw(dst, image.Rect(px0, py0, px0+k, py0+k), image.NewUniform(c), image.Point{}, draw.Src)
		}
	}
}

// fillCircle paints an anti-aliased disc (4×4 supersampling at the edge).
func fillCircle(dst *image.RGBA, cx, cy, r float64, c color.RGBA) {
	x0, x1 := int(math.Floor(cx-r)), int(math.Ceil(cx+r))
	y0, y1 := int(math.Floor(cy-r)), int(math.Ceil(cy+r))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			n := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					dx, dy := float64(x)+(float64(sx)+0.5)/4-cx, float64(y)+(float64(sy)+0.5)/4-cy
					if dx*dx+dy*dy <= r*r {
						n++
					}
				}
			}
			if n == 0 || !(image.Point{x, y}.In(dst.Bounds())) {
				continue
			}
			a := uint32(n) * 0xffff / 16
			mask := image.NewUniform(color.Alpha16{uint16(a)})
			draw.DrawMask(dst, image.Rect(x, y, x+1, y+1), image.NewUniform(c), image.Point{}, mask, image.Point{}, draw.Over)
		}
	}
}
