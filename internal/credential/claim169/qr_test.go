package claim169

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	xdraw "golang.org/x/image/draw"

	"github.com/cityid/cityid/internal/zxingtest"
)

// portrait draws a deterministic 600x800 photo-like portrait: a lit backdrop,
// head and shoulders with shading, hair, eyes, mouth and sensor noise, so the
// JPEG size resembles that of a real photo rather than of a flat test card.
func portrait() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 600, 800))
	rng := rand.New(rand.NewPCG(1, 2))
	inEllipse := func(x, y, cx, cy, rx, ry float64) float64 {
		d := (x-cx)*(x-cx)/(rx*rx) + (y-cy)*(y-cy)/(ry*ry)
		return d
	}
	for y := 0; y < 800; y++ {
		for x := 0; x < 600; x++ {
			fx, fy := float64(x), float64(y)
			r, g, b := 170-fy/12, 180-fy/14, 200-fx/20 // backdrop gradient
			if d := inEllipse(fx, fy, 300, 900, 330, 260); d < 1 {
				r, g, b = 40+20*d, 50+20*d, 90+30*d // shoulders
			}
			if d := inEllipse(fx, fy, 300, 330, 170, 230); d < 1 {
				shade := 1 - 0.35*(fx-300)/170
				r, g, b = 205*shade, 160*shade, 130*shade // face
				if fy < 200+30*math.Sin(fx/40) {
					r, g, b = 50, 35, 25 // hair
				}
				for _, ex := range []float64{235, 365} {
					if inEllipse(fx, fy, ex, 320, 28, 13) < 1 {
						r, g, b = 240, 240, 240
					}
					if inEllipse(fx, fy, ex, 320, 11, 11) < 1 {
						r, g, b = 50, 40, 30
					}
				}
				if inEllipse(fx, fy, 300, 470, 55, 14) < 1 {
					r, g, b = 150, 70, 70
				}
				if inEllipse(fx, fy, 300, 395, 14, 40) < 1 {
					r, g, b = r*0.9, g*0.9, b*0.9 // nose shadow
				}
			}
			n := rng.NormFloat64() * 6
			clamp := func(v float64) uint8 { return uint8(max(0, min(255, v+n))) }
			img.SetRGBA(x, y, color.RGBA{clamp(r), clamp(g), clamp(b), 255})
		}
	}
	return img
}

func typicalPayload(t testing.TB) (string, []byte) {
	t.Helper()
	face, err := FaceThumbnail(portrait())
	if err != nil {
		t.Fatal(err)
	}
	claims := typicalClaims()
	claims.Face = FaceBiometric(face)
	payload, err := Encode(claims, typicalMeta(), testSigner(t, "ES256"), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return payload, face
}

func TestFaceThumbnail(t *testing.T) {
	face, err := FaceThumbnail(portrait())
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(face))
	if err != nil {
		t.Fatalf("thumbnail is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != FaceWidth || b.Dy() != FaceHeight {
		t.Errorf("thumbnail is %dx%d, want %dx%d", b.Dx(), b.Dy(), FaceWidth, FaceHeight)
	}
	if _, gray := img.(*image.Gray); !gray {
		t.Errorf("thumbnail decodes as %T, want grayscale", img)
	}
	if len(face) > 500 {
		t.Errorf("thumbnail is %d bytes, want at most 500 to keep the QR scannable", len(face))
	}
	t.Logf("face thumbnail: %d bytes", len(face))
	if _, err := FaceThumbnail(image.NewGray(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("FaceThumbnail(10x10) succeeded, want an error")
	}
}

// qrScale renders the 1-pixel-per-module QR at the pixel size a 300 dpi card
// printer gives a 25 mm wide code.
func qrScale(t *testing.T, img image.Image) image.Image {
	t.Helper()
	target := 300 * 25 / 25.4
	scale := max(2, int(math.Round(target/float64(img.Bounds().Dx()))))
	b := img.Bounds()
	// On a card the code sits on white card stock, wider than the quiet zone.
	m := b.Dx() * scale / 10
	out := image.NewGray(image.Rect(0, 0, b.Dx()*scale+2*m, b.Dy()*scale+2*m))
	for i := range out.Pix {
		out.Pix[i] = 0xFF
	}
	xdraw.NearestNeighbor.Scale(out, image.Rect(m, m, m+b.Dx()*scale, m+b.Dy()*scale), img, b, draw.Src, nil)
	return out
}

func TestQRCodeDecodesWithIndependentReaders(t *testing.T) {
	payload, face := typicalPayload(t)
	img, version, err := QRCode(payload)
	if err != nil {
		t.Fatal(err)
	}
	modules := img.Bounds().Dx() - 2*QRQuietZone
	if want := 17 + 4*version; modules != want {
		t.Errorf("QR has %d modules for version %d, want %d", modules, version, want)
	}
	t.Logf("typical card with a %d-byte face: payload %d characters, QR version %d (%d modules)", len(face), len(payload), version, modules)
	scaled := qrScale(t, img)

	t.Run("gozxing", func(t *testing.T) {
		bmp, err := gozxing.NewBinaryBitmapFromImage(scaled)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("gozxing: %v", err)
		}
		if res.GetText() != payload {
			t.Errorf("gozxing read %q, want %q", res.GetText(), payload)
		}
	})
	t.Run("ZXingReader", func(t *testing.T) {
		if out := string(zxingtest.Read(t, scaled, "QRCode")); out != payload {
			t.Errorf("ZXingReader read %q, want %q", out, payload)
		}
	})
}

func TestQRCodeRejectsOversized(t *testing.T) {
	big := make([]byte, 5000)
	for i := range big {
		big[i] = 'A'
	}
	if _, _, err := QRCode(string(big)); err == nil {
		t.Error("QRCode(5000 characters) succeeded, want an error")
	}
	if _, _, err := QRCode("lowercase"); err == nil || errors.Is(err, nil) {
		t.Error("QRCode(lowercase) succeeded, want an error: alphanumeric mode has no lowercase")
	}
}
