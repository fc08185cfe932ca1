package verify

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"io"

	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/pdf417"
)

// Photo is what a photo of a card back gave: the QR payload, or, when the
// QR could not be read, the card number from the AAMVA PDF417 beside it.
// The PDF417 is not signed — anyone can print one — so a number from it
// proves nothing about the card; it only lets the verifier ask the city's
// records about that number.
type Photo struct {
	QR     string
	Number string // the PDF417's DAQ element, when QR is empty
}

// DecodeCardImage reads a photo of a card back like DecodeQRImage and, if
// no QR code can be read, the PDF417. The error is DecodeQRImage's when
// neither reads (ErrNoQR for a photo without a readable code).
func DecodeCardImage(r io.Reader, maxBytes int64) (Photo, error) {
	img, err := readImage(r, maxBytes)
	if err != nil {
		return Photo{}, err
	}
	text, qerr := decodeQR(img)
	if qerr == nil {
		return Photo{QR: text}, nil
	}
	if n, err := barcodeNumber(img); err == nil {
		return Photo{Number: n}, nil
	}
	return Photo{}, fmt.Errorf("%w: %w", ErrNoQR, qerr)
}

// DecodeCardImage is the package's DecodeCardImage inside a decode slot.
func (d *Decoder) DecodeCardImage(ctx context.Context, r io.Reader, maxBytes int64) (Photo, error) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return Photo{}, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-d.slots }()
	return DecodeCardImage(r, maxBytes)
}

// barcodeNumber reads the AAMVA PDF417 in img and returns its card number.
func barcodeNumber(img image.Image) (string, error) {
	g := toGrey(img)
	res, err := pdf417.Decode(pdf417.Grey{W: g.w, H: g.h, Pix: g.pix})
	if err != nil {
		return "", err
	}
	rec, err := aamva.Parse(res.Data)
	if err != nil {
		return "", err
	}
	return rec.IDNumber, nil
}

// readImage reads a PNG or JPEG of at most maxBytes, refusing one too
// large from its header before any pixel is decoded.
func readImage(r io.Reader, maxBytes int64) (image.Image, error) {
	if maxBytes <= 0 || maxBytes > MaxImageBytes {
		maxBytes = MaxImageBytes
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("image over %d bytes: %w", maxBytes, ErrImageTooLarge)
	}
	cfg, _, err := image.DecodeConfig(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("image is %dx%d pixels, at most %d megapixels are accepted: %w", cfg.Width, cfg.Height, MaxImagePixels/1_000_000, ErrImageTooLarge)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w: %w", ErrNotImage, err)
	}
	return img, nil
}

// Record states BarcodeResult reports (message keys
// "verify.record.<state>"): the card's state in the city's records.
const (
	RecordActive      = "active"
	RecordSuspended   = "suspended"
	RecordRevoked     = "revoked"
	RecordExpired     = "expired"
	RecordReplaced    = "replaced"
	RecordNotFound    = "not_found"   // no card has this number
	RecordUnavailable = "unavailable" // the records could not be asked
)

// Barcode is what a result says about a card number read from the PDF417.
type Barcode struct {
	Number string `json:"number"`
	Record string `json:"record"` // one of the Record constants
}

// BarcodeResult is the answer for a photo whose QR could not be read but
// whose PDF417 gave a card number: still OutcomeUnreadable (the signed code
// was not read, so nothing says the card is genuine, and the photo and
// signature were not checked), with the number and what the city's records
// say about it, for the verifier to weigh while comparing the person with
// the card.
func BarcodeResult(number, record string) Result {
	res := InputResult(ReasonNoQR)
	res.Barcode = &Barcode{Number: number, Record: record}
	return res
}
