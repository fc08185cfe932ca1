package claim169

import (
	"fmt"
	"image"
	"image/color"

	"github.com/boombuler/barcode/qr"
)

// QRQuietZone is the margin, in modules, that ISO/IEC 18004 requires around a QR code.
const QRQuietZone = 4

// QRCode renders payload as a QR code in alphanumeric mode at error correction
// level M, returned at one pixel per module with the quiet zone included (scale
// it with nearest-neighbour when printing), and reports the QR version.
//
// Level M (15% of codewords recoverable) rather than Q (25%): the card is
// laminated and printed at 300 dpi, so damage is rare, while a lower version
// keeps the modules large enough for phone cameras; the payload also carries
// its own integrity check (the signature), so a misread is rejected, never
// misreported.
func QRCode(payload string) (image.Image, int, error) {
	code, err := qr.Encode(payload, qr.M, qr.AlphaNumeric)
	if err != nil {
		return nil, 0, fmt.Errorf("claim169: QR: %w", err)
	}
	n := code.Bounds().Dx()
	img := image.NewGray(image.Rect(0, 0, n+2*QRQuietZone, n+2*QRQuietZone))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if c := color.GrayModel.Convert(code.At(x, y)).(color.Gray); c.Y < 0x80 {
				img.SetGray(x+QRQuietZone, y+QRQuietZone, color.Gray{})
			}
		}
	}
	return img, (n - 17) / 4, nil
}
