// Package qrcode draws the QR codes cityid prints and shows (the card's
// credential, a verifier's request, an authenticator's key, a booking code),
// each proof-read before it leaves: the code is read back with ZXing's
// detector, and a mask it cannot read is swapped for one it can.
//
// Every one of the eight mask patterns makes a valid code, and ISO/IEC 18004
// picks among them by a penalty meant to keep finder-like shapes out of the
// data; it does not keep them all out. About one card code in a thousand (one
// in a hundred with the encoder cityid used before) held shapes that ZXing's
// detector, the reader inside many Android apps (here its Go port), takes for
// the code's corners, so a perfectly printed card could not be read.
package qrcode

import (
	"bytes"
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	goqr "github.com/piglig/go-qr"
)

// QuietZone is the margin, in modules, that ISO/IEC 18004 requires around a
// code; the images this package returns include it.
const QuietZone = 4

// Level is the share of codewords a code can lose and still be read.
type Level int

// Error correction levels.
const (
	L Level = iota // 7 %: codes on screens
	M              // 15 %: printed codes
)

func (l Level) ecc() goqr.Ecc {
	if l == L {
		return goqr.Low
	}
	return goqr.Medium
}

// Encode draws text as a QR code at level, in the segment modes its
// characters allow (numeric, alphanumeric, or bytes of its UTF-8), one pixel
// per module with the quiet zone, in the smallest version it fits.
func Encode(text string, level Level) (*image.Gray, error) {
	segs, err := goqr.MakeSegments(text)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return encode(segs, text, level)
}

// EncodeAlphanumeric draws text in alphanumeric mode only (digits, capital
// letters, space and $%*+-./:, as Base45 payloads are): an error for any other
// character.
func EncodeAlphanumeric(text string, level Level) (*image.Gray, error) {
	seg, err := goqr.MakeAlphanumeric(text)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return encode([]*goqr.QrSegment{seg}, text, level)
}

// encode returns the standard's choice of mask if ZXing reads it, else the
// first other mask it reads; were none to read (never seen), the standard's
// choice. The version does not depend on the mask.
func encode(segs []*goqr.QrSegment, text string, level Level) (*image.Gray, error) {
	best, err := render(segs, level, -1)
	if err != nil {
		return nil, err
	}
	if ReadsBack(best, text) {
		return best, nil
	}
	for mask := range 8 {
		img, err := render(segs, level, mask)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(img.Pix, best.Pix) && ReadsBack(img, text) {
			return img, nil
		}
	}
	return best, nil
}

// render draws segs with mask (-1: the one the standard's penalty picks).
func render(segs []*goqr.QrSegment, level Level, mask int) (*image.Gray, error) {
	code, err := goqr.EncodeSegments(segs, level.ecc(), goqr.MinVersion, goqr.MaxVersion, mask, false)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return moduleImage(code), nil
}

// moduleImage draws code at one pixel per module inside the quiet zone.
func moduleImage(code *goqr.QrCode) *image.Gray {
	n := code.Size()
	img := image.NewGray(image.Rect(0, 0, n+2*QuietZone, n+2*QuietZone))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := range n {
		row := img.Pix[(y+QuietZone)*img.Stride+QuietZone:]
		for x := range n {
			if code.Module(x, y) {
				row[x] = 0
			}
		}
	}
	return img
}

// Version is the QR version of a code drawn by this package.
func Version(img *image.Gray) int {
	return (img.Bounds().Dx() - 2*QuietZone - 17) / 4
}

// Bare is img without its quiet zone, for pages whose styling draws the
// margin.
func Bare(img *image.Gray) *image.Gray {
	b := img.Bounds()
	return img.SubImage(image.Rect(b.Min.X+QuietZone, b.Min.Y+QuietZone, b.Max.X-QuietZone, b.Max.Y-QuietZone)).(*image.Gray)
}

// Scale enlarges img k times, each module a k×k square, as a printer or a
// screen shows it.
func Scale(img *image.Gray, k int) *image.Gray {
	b := img.Bounds()
	big := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := range big.Rect.Dy() {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y/k):]
		dst := big.Pix[y*big.Stride:]
		for x := range big.Rect.Dx() {
			dst[x] = src[x/k]
		}
	}
	return big
}

// proofScales are the pixels per module a code is proof-read at: three is
// what a 300 dpi card printer gives the card's code. The detector's confusion
// comes from the data (most such codes fail at every scale) and from where
// module edges fall on pixels (a few fail at even scales only), so an odd and
// an even scale; the tests read the results at three to eight.
var proofScales = [...]int{3, 4}

// ReadsBack reports whether ZXing's QR reader decodes img (one pixel per
// module, quiet zone included) to text at every proof scale.
func ReadsBack(img *image.Gray, text string) bool {
	for _, k := range proofScales {
		if !ReadsBackAt(img, text, k) {
			return false
		}
	}
	return true
}

// ReadsBackAt reports whether ZXing's QR reader decodes img, enlarged k
// times, to text.
func ReadsBackAt(img *image.Gray, text string, k int) bool {
	bmp, err := gozxing.NewBinaryBitmapFromImage(Scale(img, k))
	if err != nil {
		return false
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	return err == nil && res.GetText() == text
}
