package cardphoto

import (
	"math"
	"math/rand/v2"
)

// Condition is a named family of photos: every parameter is drawn from a
// range, and a condition widens one or a few ranges beyond the baseline of
// a careful teller (card flat on the counter, filling half the frame, good
// light, slight blur).
type Condition struct {
	Name  string
	Notes string // what the condition varies, for the report
	apply func(p *Params, r *rand.Rand)
}

// Draw makes the parameters of one photo of c from r.
func (c Condition) Draw(r *rand.Rand) Params {
	p := baseline(r)
	if c.apply != nil {
		c.apply(&p, r)
	}
	p.Seed = r.Uint64()
	return p
}

func between(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func sign(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return -1
	}
	return 1
}

// baseline is a careful photo: 12 MP, card filling 45–65 % of the frame,
// 0–3° rotation, up to 4° tilt, slight blur, good light, JPEG 80–92.
func baseline(r *rand.Rand) Params {
	return Params{
		FrameW: 4000, FrameH: 3000,
		Fill:   between(r, 0.45, 0.65),
		Rotate: sign(r) * between(r, 0, 3),
		TiltX:  sign(r) * between(r, 0, 4), TiltY: sign(r) * between(r, 0, 4),
		OffX: between(r, -0.05, 0.05), OffY: between(r, -0.05, 0.05),
		Blur:  between(r, 0.6, 1.2),
		Light: between(r, 0.85, 1.05), Uneven: between(r, 0, 0.15), UnevenAngle: between(r, 0, 2*math.Pi),
		Warm:       between(r, 0, 0.4),
		Noise:      between(r, 1.5, 3.5),
		Quality:    80 + r.IntN(13),
		Background: Background(r.IntN(4)),
	}
}

// Conditions are the families the decode-rate report covers, in order.
// "mixed" draws every parameter from its whole range at once and is the
// overall figure.
var Conditions = []Condition{
	{Name: "baseline", Notes: "fill 45–65 %, 0–3° rotation, ≤4° tilt, blur σ 0.6–1.2 px, JPEG 80–92"},
	{Name: "tilt 0–8° + mild blur", Notes: "rotation 0–8°, tilt ≤ 8°, blur σ 0.8–1.5 px", apply: func(p *Params, r *rand.Rand) {
		p.Rotate = sign(r) * between(r, 0, 8)
		p.TiltX, p.TiltY = sign(r)*between(r, 0, 8), sign(r)*between(r, 0, 8)
		p.Blur = between(r, 0.8, 1.5)
	}},
	{Name: "rotation 8–15°", Notes: "in-plane rotation 8–15°", apply: func(p *Params, r *rand.Rand) {
		p.Rotate = sign(r) * between(r, 8, 15)
	}},
	{Name: "perspective 10–25°", Notes: "out-of-plane tilt 10–25° about one axis, ≤ 8° about the other", apply: func(p *Params, r *rand.Rand) {
		p.TiltX, p.TiltY = sign(r)*between(r, 10, 25), sign(r)*between(r, 0, 8)
		if r.IntN(2) == 0 {
			p.TiltX, p.TiltY = p.TiltY, p.TiltX
		}
	}},
	{Name: "small: fill 30–40 %", Notes: "card 30–40 % of the frame's long side", apply: func(p *Params, r *rand.Rand) {
		p.Fill = between(r, 0.30, 0.40)
	}},
	{Name: "close: fill 75–100 %", Notes: "card 75–100 % of the frame's long side", apply: func(p *Params, r *rand.Rand) {
		p.Fill = between(r, 0.75, 0.98)
		p.OffX, p.OffY = 0, 0
	}},
	{Name: "blur σ 1.5–2.5", Notes: "out of focus or hand shake", apply: func(p *Params, r *rand.Rand) {
		p.Blur = between(r, 1.5, 2.5)
	}},
	{Name: "JPEG 30–50", Notes: "heavy compression (messaging apps)", apply: func(p *Params, r *rand.Rand) {
		p.Quality = 30 + r.IntN(21)
	}},
	{Name: "low light", Notes: "brightness 25–50 %, noise σ 5–10", apply: func(p *Params, r *rand.Rand) {
		p.Light = between(r, 0.25, 0.5)
		p.Noise = between(r, 5, 10)
		p.Warm = between(r, 0.3, 0.8)
	}},
	{Name: "uneven light + glare", Notes: "40–70 % fall across the frame, a glare spot of strength 0.4–0.9 on the card", apply: func(p *Params, r *rand.Rand) {
		p.Uneven = between(r, 0.4, 0.7)
		p.Glare = between(r, 0.4, 0.9)
		p.GlareX, p.GlareY = between(r, 0.1, 0.9), between(r, 0.1, 0.9)
		p.GlareR = between(r, 0.04, 0.10)
	}},
	{Name: "half resolution", Notes: "a 3 MP frame (2000 × 1500), e.g. a resized upload", apply: func(p *Params, r *rand.Rand) {
		p.FrameW, p.FrameH = 2000, 1500
	}},
	{Name: "turned: 90°/180°", Notes: "back photographed upside down or with the phone upright", apply: func(p *Params, r *rand.Rand) {
		p.Rotate += float64(90 * (1 + r.IntN(3)))
		if int(p.Rotate)%180 != 0 {
			p.FrameW, p.FrameH = p.FrameH, p.FrameW
		}
	}},
	{Name: "off-centre in a hand", Notes: "held in a hand, thumb on an edge, card off-centre by up to 20 %", apply: func(p *Params, r *rand.Rand) {
		p.Background, p.Thumb = Hand, true
		p.Fill = between(r, 0.4, 0.6)
		p.OffX, p.OffY = between(r, -0.2, 0.2), between(r, -0.15, 0.15)
	}},
	{Name: "mixed", Notes: "every parameter over its whole range at once", apply: func(p *Params, r *rand.Rand) {
		p.Fill = between(r, 0.30, 0.98)
		p.Rotate = sign(r) * between(r, 0, 15)
		if r.IntN(5) == 0 {
			p.Rotate += 180
		}
		p.TiltX, p.TiltY = sign(r)*between(r, 0, 15), sign(r)*between(r, 0, 15)
		maxOff := math.Max(0, (1-p.Fill)/2-0.05)
		p.OffX, p.OffY = between(r, -maxOff, maxOff), between(r, -maxOff, maxOff)*0.7
		p.Blur = between(r, 0.5, 2.0)
		p.Quality = 30 + r.IntN(61)
		p.Light = between(r, 0.35, 1.05)
		p.Uneven = between(r, 0, 0.5)
		if r.IntN(3) == 0 {
			p.Glare = between(r, 0.3, 0.8)
			p.GlareX, p.GlareY = between(r, 0.1, 0.9), between(r, 0.1, 0.9)
			p.GlareR = between(r, 0.04, 0.08)
		}
		p.Noise = between(r, 1.5, 8)
		p.Thumb = r.IntN(4) == 0
		if r.IntN(3) == 0 {
			p.FrameW, p.FrameH = 2000, 1500
		}
	}},
}
