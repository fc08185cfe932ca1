package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// Portrait draws a synthetic ID-style portrait (plain light background, a
// face-like oval, hair and shoulders) so demo cards look like cards without
// using anyone's real face.
//
// It is drawn at the configured ID-photo size and encoded as JPEG, as the
// intake page's camera capture sends it.
func Portrait(r *rand.Rand, w, h int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(225 + r.IntN(25)), uint8(228 + r.IntN(25)), uint8(232 + r.IntN(20)), 255}
	skins := []color.RGBA{{241, 194, 165, 255}, {224, 172, 105, 255}, {198, 134, 66, 255}, {141, 85, 36, 255}, {92, 56, 28, 255}, {255, 219, 172, 255}}
	hairs := []color.RGBA{{20, 15, 10, 255}, {60, 40, 25, 255}, {110, 75, 40, 255}, {160, 160, 160, 255}, {200, 170, 90, 255}}
	shirts := []color.RGBA{{40, 70, 130, 255}, {120, 30, 40, 255}, {30, 100, 60, 255}, {70, 70, 70, 255}, {200, 200, 210, 255}}
	skin, hair, shirt := skins[r.IntN(len(skins))], hairs[r.IntN(len(hairs))], shirts[r.IntN(len(shirts))]
	k := float64(w) / 360
	cx, cy := float64(w)/2, float64(h)*0.42
	rx, ry := (95.0+float64(r.IntN(15)))*k, (125.0+float64(r.IntN(15)))*k
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			c := bg
			// shoulders
			if dx, dy := (fx-cx)/(175*k), (fy-float64(h))/(130*k); dx*dx+dy*dy <= 1 {
				c = shirt
			}
			// hair: a larger oval behind and above the face
			if dx, dy := (fx-cx)/(rx+18*k), (fy-cy+22*k)/(ry+22*k); dx*dx+dy*dy <= 1 && fy < cy+10*k {
				c = hair
			}
			// face
			if dx, dy := (fx-cx)/rx, (fy-cy)/ry; dx*dx+dy*dy <= 1 {
				c = skin
				// eyes
				for _, ex := range []float64{cx - 38*k, cx + 38*k} {
					if ddx, ddy := (fx-ex)/(13*k), (fy-cy+15*k)/(7*k); ddx*ddx+ddy*ddy <= 1 {
						c = color.RGBA{35, 30, 30, 255}
					}
				}
				// mouth
				if ddx, ddy := (fx-cx)/(32*k), (fy-cy-62*k)/(6*k); ddx*ddx+ddy*ddy <= 1 {
					c = color.RGBA{150, 70, 70, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
