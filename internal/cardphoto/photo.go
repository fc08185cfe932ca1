// Package cardphoto simulates phone photos of a printed card, so that the
// verifiers' photo decoding can be measured on the kind of picture a bank
// teller actually takes: the card tilted and seen at an angle, filling a
// third to all of a 12-megapixel frame, slightly out of focus, in dim or
// uneven light with a glare spot on the laminate, on a table or in a hand,
// saved as a JPEG.
//
// A photo is made from the card image rendered at printer resolution (the
// 300-dpi back of internal/card/render): the card is mapped into the frame
// through a homography (in-plane rotation plus a 3-D tilt seen by a pinhole
// camera), resampled bilinearly (which also stands in for the softness of a
// dye-sublimation print), lit, blurred, given sensor noise and encoded.
// Every step is driven by Params, and Draw makes Params from a Condition
// and a seeded random source, so a set of photos is reproducible.
package cardphoto

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Params describe one photo.
type Params struct {
	FrameW, FrameH int     // the photo in pixels (12 MP is 4000 × 3000)
	Fill           float64 // card width as a share of the frame's longer side
	Rotate         float64 // in-plane rotation, degrees (180 = upside down)
	TiltX, TiltY   float64 // out-of-plane tilt about the card's axes, degrees
	OffX, OffY     float64 // card centre offset from the frame centre, share of the frame
	Blur           float64 // Gaussian blur sigma in frame pixels (focus and hand shake)
	Light          float64 // overall brightness, 1 = well lit
	Uneven         float64 // brightness falls by this share across the frame
	UnevenAngle    float64 // direction of that fall, radians
	Glare          float64 // strength of a specular spot on the card, 0..1
	GlareX, GlareY float64 // its centre on the card, 0..1
	GlareR         float64 // its radius, share of the card width
	Warm           float64 // colour cast of indoor light, 0..1
	Noise          float64 // sensor noise sigma, grey levels
	Quality        int     // JPEG quality
	Background     Background
	Thumb          bool // a thumb over one edge of the card
	Seed           uint64
}

// Background is what lies around the card.
type Background int

// Backgrounds.
const (
	Table Background = iota // wood-coloured, grained
	Desk                    // light grey laminate
	Hand                    // skin, the card held in a palm
	Dark                    // a dark counter top
)

// String names the background for reports.
func (b Background) String() string {
	return [...]string{"table", "desk", "hand", "dark"}[b]
}

var backgrounds = map[Background][3]float64{
	Table: {0.55, 0.38, 0.22},
	Desk:  {0.80, 0.80, 0.78},
	Hand:  {0.78, 0.58, 0.45},
	Dark:  {0.12, 0.12, 0.13},
}

// Photo renders card (the card side at printer resolution) as a phone photo
// and returns the JPEG bytes.
func Photo(card image.Image, p Params) ([]byte, error) {
	img, err := Render(card, p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	q := p.Quality
	if q <= 0 {
		q = 85
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("cardphoto: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Render is Photo before the JPEG encoding.
func Render(card image.Image, p Params) (*image.RGBA, error) {
	if p.FrameW <= 0 || p.FrameH <= 0 || p.Fill <= 0 {
		return nil, fmt.Errorf("cardphoto: frame %dx%d fill %v", p.FrameW, p.FrameH, p.Fill)
	}
	src := toLinear(card)
	cw, ch := float64(src.w), float64(src.h)
	h := homography(p, cw, ch)
	inv, ok := h.inverse()
	if !ok {
		return nil, fmt.Errorf("cardphoto: degenerate geometry %+v", p)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	W, H := p.FrameW, p.FrameH
	out := newPlanes(W, H)
	bg := backgrounds[p.Background]
	grain := newGrain(rng, p.Background)
	// Light: overall level, a linear fall across the frame, a warm cast.
	light := p.Light
	if light <= 0 {
		light = 1
	}
	ux, uy := math.Cos(p.UnevenAngle), math.Sin(p.UnevenAngle)
	warm := [3]float64{1 + 0.08*p.Warm, 1, 1 - 0.25*p.Warm}
	thumb := thumbShape(p, rng)
	glareR := p.GlareR * cw
	parallel(H, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			for x := 0; x < W; x++ {
				fx, fy := float64(x)+0.5, float64(y)+0.5
				u, v := inv.apply(fx, fy)
				var c [3]float64
				onCard := u >= 0 && v >= 0 && u < cw && v < ch && insideRounded(u, v, cw, ch)
				switch {
				case thumb.covers(u, v, cw, ch):
					s := 0.9 + 0.1*math.Sin(u*0.05+v*0.03)
					c = [3]float64{backgrounds[Hand][0] * s, backgrounds[Hand][1] * s, backgrounds[Hand][2] * s}
				case onCard:
					c = src.sample(u-0.5, v-0.5)
					if p.Glare > 0 {
						dx, dy := u-p.GlareX*cw, v-p.GlareY*ch
						g := p.Glare * math.Exp(-(dx*dx+dy*dy)/(2*glareR*glareR))
						for i := range c {
							c[i] = c[i] + g*(1.6-c[i]) // reflection washes the print out
						}
					}
				default:
					g := grain(fx, fy)
					c = [3]float64{bg[0] * g, bg[1] * g, bg[2] * g}
					// The card's shadow on the surface just past its edge.
					if u > -25 && v > -25 && u < cw+25 && v < ch+25 {
						for i := range c {
							c[i] *= 0.75
						}
					}
				}
				// Along the uneven direction, from 1 at one side to 1-Uneven at the other.
				t := ((fx/float64(W)-0.5)*ux + (fy/float64(H)-0.5)*uy) + 0.5
				l := light * (1 - p.Uneven*math.Min(math.Max(t, 0), 1))
				i := y*W + x
				for k := range 3 {
					out.p[k][i] = float32(c[k] * l * warm[k])
				}
			}
		}
	})
	if p.Blur > 0.05 {
		out.blur(p.Blur)
	}
	return out.toRGBA(rng, p.Noise), nil
}

// homography maps card pixels (u, v) to frame pixels for p.
func homography(p Params, cw, ch float64) mat3 {
	long := float64(max(p.FrameW, p.FrameH))
	scale := p.Fill * long / cw // frame pixels per card pixel, seen head-on
	// The card in 3-D, centred at the origin, in frame-pixel units.
	rx, ry := p.TiltX*math.Pi/180, p.TiltY*math.Pi/180
	rz := p.Rotate * math.Pi / 180
	f := 0.8 * long // a phone's main camera: about 70° across the long side
	dist := f       // so a card seen head-on has exactly the scale above
	project := func(u, v float64) (float64, float64) {
		x, y, z := (u-cw/2)*scale, (v-ch/2)*scale, 0.0
		// Tilt about the card's x axis, then its y axis, then rotate in plane.
		y, z = y*math.Cos(rx)-z*math.Sin(rx), y*math.Sin(rx)+z*math.Cos(rx)
		x, z = x*math.Cos(ry)+z*math.Sin(ry), -x*math.Sin(ry)+z*math.Cos(ry)
		x, y = x*math.Cos(rz)-y*math.Sin(rz), x*math.Sin(rz)+y*math.Cos(rz)
		s := f / (dist + z)
		return float64(p.FrameW)/2 + p.OffX*float64(p.FrameW) + x*s, float64(p.FrameH)/2 + p.OffY*float64(p.FrameH) + y*s
	}
	var src, dst [4][2]float64
	for i, c := range [4][2]float64{{0, 0}, {cw, 0}, {cw, ch}, {0, ch}} {
		src[i] = c
		dst[i][0], dst[i][1] = project(c[0], c[1])
	}
	return squareToQuad(src, dst)
}

// insideRounded cuts the ID-1 corner radius (3.18 mm of 85.6) off the card.
func insideRounded(u, v, cw, ch float64) bool {
	r := cw * 3.18 / 85.6
	cx := math.Min(math.Max(u, r), cw-r)
	cy := math.Min(math.Max(v, r), ch-r)
	return (u-cx)*(u-cx)+(v-cy)*(v-cy) <= r*r
}

// thumb is a thumb resting on one short edge of the card, in card pixels.
type thumb struct {
	on         bool
	cx, cy, rx float64
	ry         float64
}

func thumbShape(p Params, rng *rand.Rand) thumb {
	if !p.Thumb {
		return thumb{}
	}
	// Over the right edge (the text side of the back; a teller photographing
	// the code keeps the thumb off it), or over the bottom edge below the
	// text, covering the margin and a little of the card.
	if rng.IntN(2) == 0 {
		return thumb{on: true, cx: 1, cy: 0.45 + 0.3*rng.Float64(), rx: 0.07 + 0.03*rng.Float64(), ry: 0.22}
	}
	return thumb{on: true, cx: 0.6 + 0.3*rng.Float64(), cy: 1, rx: 0.12, ry: 0.1 + 0.04*rng.Float64()}
}

func (t thumb) covers(u, v, cw, ch float64) bool {
	if !t.on {
		return false
	}
	dx, dy := (u/cw-t.cx)/t.rx, (v/ch-t.cy)/t.ry
	return dx*dx+dy*dy <= 1
}

// newGrain returns a brightness factor for background pixels: wood grain on
// a table, mottling elsewhere.
func newGrain(rng *rand.Rand, b Background) func(x, y float64) float64 {
	ph1, ph2 := rng.Float64()*6, rng.Float64()*6
	switch b {
	case Table:
		return func(x, y float64) float64 {
			return 0.85 + 0.1*math.Sin(y*0.02+3*math.Sin(x*0.002+ph1)) + 0.05*math.Sin(y*0.11+ph2)
		}
	case Hand:
		return func(x, y float64) float64 { return 0.9 + 0.1*math.Sin(x*0.004+ph1)*math.Cos(y*0.003+ph2) }
	}
	return func(x, y float64) float64 { return 0.95 + 0.05*math.Sin(x*0.01+ph1)*math.Sin(y*0.013+ph2) }
}

// planes is an image as linear float channels (0..1, may exceed 1 in glare).
type planes struct {
	w, h int
	p    [3][]float32
}

func newPlanes(w, h int) *planes {
	return &planes{w: w, h: h, p: [3][]float32{make([]float32, w*h), make([]float32, w*h), make([]float32, w*h)}}
}

func toLinear(img image.Image) *planes {
	b := img.Bounds()
	pl := newPlanes(b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*pl.w + x
			// Printed ink never reaches pure black or paper pure white.
			pl.p[0][i] = 0.06 + 0.86*float32(r)/0xffff
			pl.p[1][i] = 0.06 + 0.86*float32(g)/0xffff
			pl.p[2][i] = 0.06 + 0.86*float32(bb)/0xffff
		}
	}
	return pl
}

// sample reads the image bilinearly at (x, y), clamped to the edges.
func (pl *planes) sample(x, y float64) [3]float64 {
	x = math.Min(math.Max(x, 0), float64(pl.w-1))
	y = math.Min(math.Max(y, 0), float64(pl.h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, pl.w-1), min(y0+1, pl.h-1)
	ax, ay := float32(x-float64(x0)), float32(y-float64(y0))
	var c [3]float64
	for k := range 3 {
		p := pl.p[k]
		top := p[y0*pl.w+x0]*(1-ax) + p[y0*pl.w+x1]*ax
		bot := p[y1*pl.w+x0]*(1-ax) + p[y1*pl.w+x1]*ax
		c[k] = float64(top*(1-ay) + bot*ay)
	}
	return c
}

// blur applies a separable Gaussian of the given sigma to every channel,
// rows split over the CPUs.
func (pl *planes) blur(sigma float64) {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := range k {
		d := float64(i - r)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, pl.w*pl.h)
	for c := range 3 {
		p := pl.p[c]
		parallel(pl.h, func(y0, y1 int) {
			padded := make([]float32, pl.w+2*r)
			for y := y0; y < y1; y++ {
				row := p[y*pl.w : (y+1)*pl.w]
				copy(padded[r:], row)
				for i := 0; i < r; i++ {
					padded[i], padded[r+pl.w+i] = row[0], row[pl.w-1]
				}
				out := tmp[y*pl.w : (y+1)*pl.w]
				for x := range out {
					var s float32
					win := padded[x : x+2*r+1]
					for j, kv := range k {
						s += win[j] * kv
					}
					out[x] = s
				}
			}
		})
		parallel(pl.h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				out := p[y*pl.w : (y+1)*pl.w]
				for x := range out {
					out[x] = 0
				}
				for j, kv := range k {
					yy := min(max(y+j-r, 0), pl.h-1)
					in := tmp[yy*pl.w : (yy+1)*pl.w]
					for x := range out {
						out[x] += in[x] * kv
					}
				}
			}
		})
	}
}

// parallel runs f over [0, n) split into one band per CPU.
func parallel(n int, f func(lo, hi int)) {
	cpus := runtime.GOMAXPROCS(0)
	step := (n + cpus - 1) / cpus
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}

// toRGBA adds sensor noise (mostly luma, a little per channel), and clips
// to 8 bits.
func (pl *planes) toRGBA(rng *rand.Rand, noise float64) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, pl.w, pl.h))
	seeds := make([]uint64, pl.h)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	parallel(pl.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			r := rand.New(rand.NewPCG(seeds[y], 1))
			for x := 0; x < pl.w; x++ {
				i := y*pl.w + x
				n := 0.0
				if noise > 0 {
					n = r.NormFloat64() * noise
				}
				o := out.Pix[y*out.Stride+4*x:]
				for k := range 3 {
					v := float64(pl.p[k][i])*255 + n + (r.Float64()-0.5)*noise
					o[k] = uint8(math.Min(math.Max(v, 0), 255))
				}
				o[3] = 0xff
			}
		}
	})
	return out
}

// mat3 is a 3×3 projective transform.
type mat3 [9]float64

func (m mat3) apply(x, y float64) (float64, float64) {
	w := m[6]*x + m[7]*y + m[8]
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w
}

func (m mat3) inverse() (mat3, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	if math.Abs(det) < 1e-12 {
		return mat3{}, false
	}
	inv := mat3{A, -(b*i - c*h), b*f - c*e, B, a*i - c*g, -(a*f - c*d), C, -(a*h - b*g), a*e - b*d}
	for k := range inv {
		inv[k] /= det
	}
	return inv, true
}

// squareToQuad solves the homography taking the four src points to dst
// (a direct linear solve of the 8 unknowns).
func squareToQuad(src, dst [4][2]float64) mat3 {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := src[i][0], src[i][1], dst[i][0], dst[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	// Gaussian elimination with partial pivoting.
	for col := range 8 {
		piv := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		a[col], a[piv] = a[piv], a[col]
		for r := range 8 {
			if r == col || a[col][col] == 0 {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var m mat3
	for k := range 8 {
		m[k] = a[k][8] / a[k][k]
	}
	m[8] = 1
	return m
}
