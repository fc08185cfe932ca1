package verify

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // phone photos of a card back
	_ "image/png"
	"io"
	"time"
)

// Limits on a photo of a card: a phone photo is a few megabytes and 12
// megapixels (4000 × 3000); anything larger is refused from its header,
// before a pixel is decoded. The budget is what bounds memory: decoding and
// searching an image costs about 10 bytes a pixel (issue 10 measured a
// 200 KB 7000 × 7000 PNG at 460 MB and 7.8 s under the earlier 50-megapixel
// limit), so 16 megapixels stay near 160 MB, and Decoder bounds how many
// run at once.
const (
	MaxImageBytes  = 25 << 20
	MaxImagePixels = 16_000_000
	MaxImageSide   = 8_000
)

// ErrBusy means every decode slot stayed taken until the request gave up.
var ErrBusy = errors.New("too many photos being read at once")

// Decoder reads card photos with at most a fixed number of decodes at a
// time, so concurrent uploads cannot multiply the memory one may take.
type Decoder struct{ slots chan struct{} }

// NewDecoder returns a Decoder running at most n decodes at once (n < 1: 1).
func NewDecoder(n int) *Decoder { return &Decoder{slots: make(chan struct{}, max(n, 1))} }

// DecodeQRImage is the package's DecodeQRImage inside a decode slot; it
// waits for one until ctx ends (then ErrBusy).
func (d *Decoder) DecodeQRImage(ctx context.Context, r io.Reader, maxBytes int64) (string, error) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-d.slots }()
	return DecodeQRImage(r, maxBytes)
}

// Reasons for input problems, reported in Result.Reason like verification
// outcomes (message keys "verify.reason.<code>").
const (
	ReasonNoQR        = "no_qr_found"
	ReasonImageTooBig = "image_too_large"
	ReasonUnreadable  = "unreadable_input"
)

// Errors DecodeQRImage returns, checked with errors.Is.
var (
	ErrImageTooLarge = errors.New("image too large")
	ErrNotImage      = errors.New("not a PNG or JPEG image")
	ErrNoQR          = errors.New("no QR code found")
)

// InputReason is the Result reason code for an error from DecodeQRImage.
func InputReason(err error) string {
	switch {
	case errors.Is(err, ErrImageTooLarge):
		return ReasonImageTooBig
	case errors.Is(err, ErrNoQR):
		return ReasonNoQR
	}
	return ReasonUnreadable
}

// DecodeQRImage finds and reads the QR code in a PNG or JPEG image of at
// most maxBytes (MaxImageBytes when maxBytes <= 0 or larger), checking the
// image's size from its header before decoding any pixels.
func DecodeQRImage(r io.Reader, maxBytes int64) (string, error) {
	return decodeQRImageWithin(r, maxBytes, decodeDeadline)
}

// decodeQRImageWithin is DecodeQRImage with backstop as the wall-clock
// backstop. Tests of what can be read pass a long one: the work budget (a
// count) decides which attempts are made, and a test machine running
// other tests beside it must not turn a readable photo into "no QR".
func decodeQRImageWithin(r io.Reader, maxBytes int64, backstop time.Duration) (string, error) {
	img, err := readImage(r, maxBytes)
	if err != nil {
		return "", err
	}
	text, err := decodeQRWithin(img, backstop)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoQR, err)
	}
	return text, nil
}

// framed returns img on a white border a tenth of its size wide.
func framed(img image.Image) image.Image {
	b := img.Bounds()
	m := max(b.Dx(), b.Dy())/10 + 8
	out := image.NewGray(image.Rect(0, 0, b.Dx()+2*m, b.Dy()+2*m))
	for i := range out.Pix {
		out.Pix[i] = 0xFF
	}
	draw.Draw(out, b.Sub(b.Min).Add(image.Pt(m, m)), img, b.Min, draw.Src)
	return out
}
