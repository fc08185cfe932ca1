package claim169

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// Face thumbnail geometry. The face rides inside the QR, where every byte costs
// about 1.5 QR characters, so it is a small grayscale JPEG: enough for a
// verifier to see that the card belongs to the person holding it (the printed
// photo on the front is the real likeness), small enough that a typical card's
// QR stays scannable from a phone (see docs/credentials.md for the figures).
const (
	FaceWidth   = 48
	FaceHeight  = 64
	FaceQuality = 10
)

// FaceThumbnail crops img to a centred 3:4 portrait, scales it to
// FaceWidth x FaceHeight in grayscale and encodes it as a baseline JPEG.
func FaceThumbnail(img image.Image) ([]byte, error) {
	return FaceThumbnailSized(img, FaceWidth, FaceHeight, FaceQuality)
}

// FaceThumbnailSized is FaceThumbnail at another size and JPEG quality, for
// measuring what the face costs in QR density (docs/cards.md).
func FaceThumbnailSized(img image.Image, fw, fh, quality int) ([]byte, error) {
	b := img.Bounds()
	if fw <= 0 || fh <= 0 || b.Dx() < fw/2 || b.Dy() < fh/2 {
		return nil, fmt.Errorf("claim169: face image %dx%d is too small", b.Dx(), b.Dy())
	}
	// Crop the largest centred rectangle of the thumbnail's shape.
	w, h := b.Dx(), b.Dy()
	if w*fh > h*fw {
		w = h * fw / fh
	} else {
		h = w * fh / fw
	}
	x0, y0 := b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2
	src := image.Rect(x0, y0, x0+w, y0+h)
	dst := image.NewGray(image.Rect(0, 0, fw, fh))
	// CatmullRom averages over the source footprint, so downscaling a large
	// photo does not alias.
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, src, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("claim169: encode face: %w", err)
	}
	return dropChromaTable(buf.Bytes())
}

// dropChromaTable removes the chrominance quantization table that image/jpeg
// writes even for grayscale images: 65 bytes no decoder reads, about 90 QR
// characters. The result is still a baseline JPEG (ITU T.81 B.2.4.1 allows a
// DQT segment to hold any number of tables).
func dropChromaTable(j []byte) ([]byte, error) {
	// image/jpeg writes SOI, then one DQT segment holding table 0 and table 1.
	const dqtLen = 2 + 2*(1+64)
	if len(j) < 4+dqtLen || j[2] != 0xff || j[3] != 0xdb || int(j[4])<<8|int(j[5]) != dqtLen || j[6] != 0x00 || j[6+65] != 0x01 {
		return nil, errors.New("claim169: unexpected JPEG layout from the encoder")
	}
	out := make([]byte, 0, len(j)-65)
	out = append(out, j[:4]...)
	out = append(out, 0, 2+1+64)
	out = append(out, j[6:6+65]...)
	return append(out, j[6+130:]...), nil
}

// FaceBiometric wraps a FaceThumbnail result as the claim 169 face entry.
func FaceBiometric(jpegData []byte) []Biometric {
	return []Biometric{{Data: jpegData, Format: BiometricImage, SubFormat: ImageJPEG}}
}
