package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/signing"
)

// BenchmarkDecodeCardPhoto times what a teller waits for: reading a 12 MP
// phone photo of a card back (card half the frame, 4° rotation, a slight
// tilt and blur) — the QR as taken, and with a sticker over the QR so the
// answer comes from the PDF417 after every QR attempt has failed (the
// slowest answer a photo of a card gets).
//
//	go test -run '^$' -bench DecodeCardPhoto -benchtime 10x ./internal/verify/
func BenchmarkDecodeCardPhoto(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	s, err := signing.NewSigner(key) // ES256, as cards are signed
	if err != nil {
		b.Fatal(err)
	}
	r, err := render.New(cardphoto.Style())
	if err != nil {
		b.Fatal(err)
	}
	c, err := cardphoto.Sample(r, s, rand.Reader, 5, cardphoto.Face{})
	if err != nil {
		b.Fatal(err)
	}
	covered := image.NewRGBA(c.Back.Bounds())
	draw.Draw(covered, covered.Bounds(), c.Back, c.Back.Bounds().Min, draw.Src)
	bd := covered.Bounds()
	draw.Draw(covered, image.Rect(0, bd.Dy()*46/100, bd.Dx()*35/100, bd.Dy()), image.NewUniform(color.RGBA{0xe8, 0xe4, 0xd8, 0xff}), image.Point{}, draw.Src)
	p := cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.5, Rotate: 4, TiltX: 3, TiltY: -2, OffX: 0.03,
		Blur: 1.1, Light: 0.95, Uneven: 0.1, Warm: 0.3, Noise: 2.5, Quality: 85, Background: cardphoto.Table, Seed: 7}
	for _, bc := range []struct {
		name string
		back image.Image
		want func(Photo) bool
	}{
		{"QR", c.Back, func(ph Photo) bool { return ph.QR == c.Payload }},
		{"PDF417 fallback", covered, func(ph Photo) bool { return ph.QR == "" && ph.Number == c.Number }},
	} {
		jpg, err := cardphoto.Photo(bc.back, p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				ph, err := DecodeCardImage(bytes.NewReader(jpg), 0)
				if err != nil || !bc.want(ph) {
					b.Fatalf("DecodeCardImage = %+v, %v", ph, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/photo")
		})
	}
}
