package resident

import (
	"bytes"
	"encoding/base64"
	"github.com/cityid/cityid/internal/enroll"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// TestQRDecodes reads the pre-application QR code back with an independent
// decoder (gozxing) and parses it the way the clerk's scan does.
func TestQRDecodes(t *testing.T) {
	for _, code := range []string{"K7QM-4XTR-9PWA", "2222-ZZZZ-9999"} {
		t.Run(code, func(t *testing.T) {
			u, err := qrDataURL(enroll.QRPayload(code))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(u), "data:image/png;base64,"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			bmp, err := gozxing.NewBinaryBitmapFromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := enroll.ParseQR(res.GetText())
			if err != nil || got != code {
				t.Errorf("enroll.ParseQR(decoded %q) = %q, %v; want %s", res.GetText(), got, err, code)
			}
		})
	}
}
