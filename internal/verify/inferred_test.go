package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/signing"
)

// TestDecodeCoveredFinderPattern photographs a card back (the repo's photo
// generator: 12 MP, tilted, slightly blurred) with one of the QR's three
// finder patterns covered by a skin-coloured blot, as by a thumb, or out of
// the frame. The decoder finds only two finder patterns and must infer the
// third (inferredTriples) and fit the grid to the alignment patterns.
func TestDecodeCoveredFinderPattern(t *testing.T) {
	r, err := render.New(cardphoto.Style())
	if err != nil {
		t.Fatal(err)
	}
	var seed [ed25519.SeedSize]byte
	copy(seed[:], "cityid covered finder test")
	signer, err := signing.NewSigner(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cardphoto.Sample(r, signer, rand.Reader, 3, cardphoto.Face{})
	if err != nil {
		t.Fatal(err)
	}
	// Where the finder patterns are on the clean, printer-resolution back.
	src := gozxing.NewLuminanceSourceFromImage(c.Back)
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		t.Fatal(err)
	}
	bits, err := bmp.GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	det, err := detector.NewDetector(bits).Detect(nil)
	if err != nil {
		t.Fatal(err)
	}
	pts := det.GetPoints() // bottom-left, top-left, top-right
	module := gozxing.ResultPoint_Distance(pts[1], pts[2]) / float64(det.GetBits().GetWidth()-7)
	base := cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.7, Rotate: 4, TiltX: 3, TiltY: -4, Blur: 1,
		Light: 0.9, Warm: 0.2, Noise: 2, Quality: 85, Background: cardphoto.Desk, Seed: 11}
	tests := []struct {
		name   string
		cover  int // index in pts of the finder pattern covered, -1 for none
		params func(p cardphoto.Params) cardphoto.Params
	}{
		{"bottom-left covered", 0, nil},
		{"top-right covered", 2, nil},
		{"top-left covered", 1, nil},
		{"bottom-left out of frame", -1, func(cardphoto.Params) cardphoto.Params {
			// Held-out photo c13-142's parameters (seed 6, "mixed"): the card
			// fills the frame at 13° and the QR's bottom-left corner, finder
			// pattern included, is cut off by the frame's edge.
			return cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.9376427909073426, Rotate: 13.214987620645758,
				TiltX: -7.874173510401238, TiltY: -4.1101057930781915, Blur: 1.0334687095514734, Light: 0.6989461034713254,
				Uneven: 0.07151915675982179, UnevenAngle: 4.786115163099679, Warm: 0.21393383185835257, Noise: 7.500356975364593,
				Quality: 65, Background: cardphoto.Hand, Seed: 606901865637701850}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			back := image.NewRGBA(c.Back.Bounds())
			copy(back.Pix, c.Back.Pix)
			if tc.cover >= 0 {
				cx, cy, rad := pts[tc.cover].GetX(), pts[tc.cover].GetY(), 5.5*module
				skin := color.RGBA{0xc8, 0x96, 0x78, 0xff}
				for y := int(cy - rad); y <= int(cy+rad); y++ {
					for x := int(cx - rad); x <= int(cx+rad); x++ {
						if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= rad*rad {
							back.SetRGBA(x, y, skin)
						}
					}
				}
			}
			p := base
			if tc.params != nil {
				p = tc.params(p)
			}
			jpg, err := cardphoto.Photo(back, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeQRImageWithin(bytes.NewReader(jpg), 0, testBackstop)
			if err != nil || got != c.Payload {
				t.Errorf("DecodeQRImage(photo) = %d chars, %v; want the card's %d-char payload", len(got), err, len(c.Payload))
			}
		})
	}
}

// testBackstop replaces the server's 20 s wall-clock backstop in tests of
// which photos can be read: on a test machine at load 22 (two cores) the
// top-left-covered photo's attempts ran past 20 s and it was reported
// unreadable; the same attempts read it on a quiet machine (the whole
// package took 22 s in CI). The work budget, a count, is what is tested.
const testBackstop = 5 * time.Minute
