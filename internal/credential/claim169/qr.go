package claim169

import (
	"fmt"
	"image"

	"github.com/cityid/cityid/internal/qrcode"
)

// QRQuietZone is the margin, in modules, that ISO/IEC 18004 requires around a QR code.
const QRQuietZone = qrcode.QuietZone

// QRCode renders payload as a QR code in alphanumeric mode at error correction
// level M, returned at one pixel per module with the quiet zone included (scale
// it with nearest-neighbour when printing), and reports the QR version. The
// code is proof-read with ZXing's detector before it is returned (see package
// qrcode).
//
// Level M (15% of codewords recoverable) rather than Q (25%): the card is
// laminated and printed at 300 dpi, so damage is rare, while a lower version
// keeps the modules large enough for phone cameras; the payload also carries
// its own integrity check (the signature), so a misread is rejected, never
// misreported.
func QRCode(payload string) (image.Image, int, error) {
	img, err := qrcode.EncodeAlphanumeric(payload, qrcode.M)
	if err != nil {
		return nil, 0, fmt.Errorf("claim169: %w", err)
	}
	return img, qrcode.Version(img), nil
}
