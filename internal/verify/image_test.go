package verify

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/cityid/cityid/internal/credential/claim169"
)

// qrPhoto draws the QR code of payload, scaled up with a quiet zone on a
// larger grey background, as PNG or JPEG bytes.
func qrPhoto(t testing.TB, payload string, asJPEG bool) []byte {
	t.Helper()
	code, _, err := claim169.QRCode(payload)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	const scale, margin = 6, 60
	img := image.NewRGBA(image.Rect(0, 0, n*scale+2*margin, n*scale+2*margin))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{0xe0}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(margin-4*scale, margin-4*scale, margin+(n+4)*scale, margin+(n+4)*scale), image.White, image.Point{}, draw.Src)
	for y := range n * scale {
		for x := range n * scale {
			img.Set(margin+x, margin+y, code.At(code.Bounds().Min.X+x/scale, code.Bounds().Min.Y+y/scale))
		}
	}
	var buf bytes.Buffer
	if asJPEG {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is a PNG whose header claims w×h pixels (no valid pixel data).
func pngHeader(w, h int) []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	// IHDR: type at 12, width at 16, height at 20, CRC over type and data at 29.
	put := func(off, v int) { b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	put(16, w)
	put(20, h)
	put(29, int(crc32.ChecksumIEEE(b[12:29])))
	return b
}

func TestDecodeQRImage(t *testing.T) {
	const payload = "NCFOXN%TSMAHK-0$3SH GJO0"
	plain := image.NewGray(image.Rect(0, 0, 200, 200))
	var blank bytes.Buffer
	png.Encode(&blank, plain)
	tests := []struct {
		name     string
		in       []byte
		maxBytes int64
		want     string
		wantErr  error
		reason   string
	}{
		{"png", qrPhoto(t, payload, false), 0, payload, nil, ""},
		{"jpeg", qrPhoto(t, payload, true), 0, payload, nil, ""},
		{"no code", blank.Bytes(), 0, "", ErrNoQR, ReasonNoQR},
		{"not an image", []byte("hello, world"), 0, "", ErrNotImage, ReasonUnreadable},
		{"too many bytes", qrPhoto(t, payload, false), 100, "", ErrImageTooLarge, ReasonImageTooBig},
		{"too many pixels", pngHeader(10_000, 10_000), 0, "", ErrImageTooLarge, ReasonImageTooBig},
		{"too wide", pngHeader(20_000, 10), 0, "", ErrImageTooLarge, ReasonImageTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeQRImage(bytes.NewReader(tc.in), tc.maxBytes)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Fatalf("DecodeQRImage = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if err != nil && InputReason(err) != tc.reason {
				t.Errorf("InputReason(%v) = %q, want %q", err, InputReason(err), tc.reason)
			}
		})
	}
}

// FuzzDecodeQRImage: hostile bytes give text or a classified error, never
// a panic; the size checks run before any pixels are decoded.
func FuzzDecodeQRImage(f *testing.F) {
	f.Add(qrPhoto(f, "NCFOXN%TSMAHK", false))
	f.Add(pngHeader(10_000, 10_000))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := DecodeQRImage(bytes.NewReader(b), 1<<20)
		if err != nil && !errors.Is(err, ErrNoQR) && !errors.Is(err, ErrNotImage) && !errors.Is(err, ErrImageTooLarge) {
			t.Fatalf("DecodeQRImage error %v is not one of the classified errors", err)
		}
	})
}

// TestDecodeQRImageTightCrops reads many real card QR codes cropped to their
// quiet zone, where gozxing's first try misses about one in fifty.
func TestDecodeQRImageTightCrops(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 120; i++ {
		// Random Base45 text the length of a typical card's payload.
		p := make([]byte, 1076)
		for j := range p {
			p[j] = alphabet[r.IntN(len(alphabet))]
		}
		payload := string(p)
		img, _, err := claim169.QRCode(payload)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		scaled := image.NewGray(image.Rect(0, 0, b.Dx()*3, b.Dy()*3))
		xdraw.NearestNeighbor.Scale(scaled, scaled.Bounds(), img, b, draw.Src, nil)
		var buf bytes.Buffer
		if err := png.Encode(&buf, scaled); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeQRImage(&buf, 8<<20)
		if err != nil || got != payload {
			t.Fatalf("symbol %d: DecodeQRImage = %.20q…, %v; want the payload", i, got, err)
		}
	}
}
