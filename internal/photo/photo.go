// Package photo takes in ID photos from a workstation camera (a browser
// canvas uploaded as JPEG or PNG) or a file, and turns them into the one
// format cityid stores and prints: an upright JPEG of the configured size,
// cropped to the card's portrait shape, with no metadata (no camera, GPS or
// time tags survive: the JPEG is re-encoded from pixels).
//
// Uploads are hostile input. Size is bounded before reading, pixel counts
// are checked from the header before decoding (a few-kilobyte PNG can claim
// 100,000 × 100,000 pixels), and every rejection is an *Error carrying a
// message key for the person at the counter.
package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Spec is the photo format a program uses.
type Spec struct {
	Width, Height       int   // output size in pixels; the aspect ratio is cropped to
	MaxUploadBytes      int64 // larger uploads are refused unread
	MinWidth, MinHeight int   // smallest acceptable crop, upright, before scaling
	MaxPixels           int   // largest width × height decoded
	Quality             int   // JPEG quality of the output, 1–100
}

// DefaultSpec is 600 × 750 pixels (4:5 portrait), at most 10 MiB uploaded,
// at least 300 × 375 after cropping, at most 40 megapixels, JPEG quality 85.
//
// Why: the photo on an ID-1 card is about 22 × 28 mm, which is 260 × 330
// pixels at the 300 dpi of card printers, and 22:28 is close to 4:5, the
// usual ID-photo shape. 600 × 750 keeps more than twice the printed
// resolution, so the card layout can change size or crop a little without
// upscaling, and a supervisor can compare faces on screen; at quality 85 it
// is about 50–100 KB to encrypt and store. 300 × 375 is roughly the printed
// size: anything smaller would print blurred. 40 megapixels admits every
// phone camera in use (12–48 MP sensors bin to ≤ 12 MP JPEGs by default)
// while bounding memory to about 160 MB per decode.
func DefaultSpec() Spec {
	return Spec{
		Width: 600, Height: 750,
		MaxUploadBytes: 10 << 20,
		MinWidth:       300, MinHeight: 375,
		MaxPixels: 40_000_000,
		Quality:   85,
	}
}

func (s Spec) validate() error {
	switch {
	case s.Width <= 0 || s.Height <= 0 || s.Width > 4096 || s.Height > 4096:
		return fmt.Errorf("photo: spec: output size %d×%d must be within 1–4096", s.Width, s.Height)
	case s.MaxUploadBytes <= 0:
		return fmt.Errorf("photo: spec: MaxUploadBytes must be positive")
	case s.MinWidth < 0 || s.MinHeight < 0:
		return fmt.Errorf("photo: spec: minimum size %d×%d must not be negative", s.MinWidth, s.MinHeight)
	case s.MaxPixels <= 0:
		return fmt.Errorf("photo: spec: MaxPixels must be positive")
	case s.Quality < 1 || s.Quality > 100:
		return fmt.Errorf("photo: spec: JPEG quality %d must be within 1–100", s.Quality)
	}
	return nil
}

// format is a decoder chosen by the file's magic bytes, not by its name or
// content type, and not through the image package's global registry.
type format struct {
	name   string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var (
	formatJPEG = format{"jpeg", jpeg.DecodeConfig, jpeg.Decode}
	formatPNG  = format{"png", png.DecodeConfig, png.Decode}
	formatGIF  = format{"gif", gif.DecodeConfig, gif.Decode} // first frame only
	formatWebP = format{"webp", webp.DecodeConfig, webp.Decode}
)

func sniff(b []byte) (format, bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return formatJPEG, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, true
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return formatGIF, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP, true
	}
	return format{}, false
}

// Normalize reads an uploaded photo and returns it as an upright JPEG of
// s.Width × s.Height, center-cropped to that aspect ratio, without metadata.
// Bad input gives an *Error (errors.Is ErrNotImage, ErrTooLarge,
// ErrTooManyPixels, ErrTooSmall or ErrCorrupt); a bad Spec or a failing
// reader gives a plain error.
func Normalize(r io.Reader, s Spec) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, s.MaxUploadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("photo: reading upload: %w", err)
	}
	if int64(len(data)) > s.MaxUploadBytes {
		return nil, newError(ErrTooLarge, KeyTooLarge,
			fmt.Sprintf("upload exceeds %d bytes", s.MaxUploadBytes), "max_mb", megabytes(s.MaxUploadBytes))
	}
	f, cfg, err := header(data, s.MaxPixels)
	if err != nil {
		return nil, err
	}
	// A JPEG already upright at the ID size (the intake page's camera
	// capture sends exactly that) needs no pixels: its metadata is cut out
	// and its scan entropy-decoded to prove image/jpeg will decode it (see
	// checkBaseline). Anything else is decoded, scaled and re-encoded.
	if f.name == formatJPEG.name && cfg.Width == s.Width && cfg.Height == s.Height &&
		s.Width >= s.MinWidth && s.Height >= s.MinHeight {
		if o := jpegOrientation(data); o < 2 || o > 8 {
			if stripped, ok := stripJPEG(data); ok && checkBaseline(stripped) == nil {
				return stripped, nil
			}
		}
	}
	img, orientation, err := decodePixels(f, data, s.MaxPixels)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	// Work in stored (sensor) coordinates: crop and scale there, then turn
	// only the small result upright.
	tw, th := s.Width, s.Height
	if swapsAxes(orientation) {
		tw, th = th, tw
	}
	crop := centerCrop(b, tw, th)
	uw, uh := crop.Dx(), crop.Dy()
	if swapsAxes(orientation) {
		uw, uh = uh, uw
	}
	if uw < s.MinWidth || uh < s.MinHeight {
		return nil, newError(ErrTooSmall, KeyTooSmall,
			fmt.Sprintf("cropped photo is %d×%d, need at least %d×%d", uw, uh, s.MinWidth, s.MinHeight),
			"min_width", s.MinWidth, "min_height", s.MinHeight)
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	scale(dst, img, crop)
	out := orient(dst, orientation)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: s.Quality}); err != nil {
		return nil, fmt.Errorf("photo: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// megabytes formats n bytes as MiB with at most one decimal, rounded down
// so a file under the limit shown is always accepted.
func megabytes(n int64) string {
	tenths := max(n*10>>20, 1)
	if tenths%10 == 0 {
		return strconv.FormatInt(tenths/10, 10)
	}
	return strconv.FormatFloat(float64(tenths)/10, 'f', 1, 64)
}

// decode checks the header, then decodes. It returns the EXIF orientation
// for JPEGs (1 for other formats: browsers apply it before a canvas export).
func decode(data []byte, maxPixels int) (image.Image, int, error) {
	f, _, err := header(data, maxPixels)
	if err != nil {
		return nil, 0, err
	}
	return decodePixels(f, data, maxPixels)
}

// header sniffs the format and reads the size from the header, refusing
// an image with more pixels than maxPixels before any pixel is decoded.
func header(data []byte, maxPixels int) (format, image.Config, error) {
	f, ok := sniff(data)
	if !ok {
		return format{}, image.Config{}, notImage(fmt.Sprintf("unrecognized format (%d bytes)", len(data)))
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return format{}, image.Config{}, corrupt(f.name+" header", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return format{}, image.Config{}, corrupt(f.name+" header", fmt.Errorf("size %d×%d", cfg.Width, cfg.Height))
	}
	if limit := pixelLimit(f, cfg, data, maxPixels); int64(cfg.Width)*int64(cfg.Height) > limit {
		return format{}, image.Config{}, newError(ErrTooManyPixels, KeyTooManyPixels,
			fmt.Sprintf("%s is %d×%d, more than %d pixels", f.name, cfg.Width, cfg.Height, limit),
			"max_megapixels", max(limit/1_000_000, 1))
	}
	return f, cfg, nil
}

// decodePixels decodes an image whose header passed header.
func decodePixels(f format, data []byte, maxPixels int) (image.Image, int, error) {
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, corrupt(f.name, err)
	}
	// Decoders should honour the header; a mismatch would void the pixel
	// check above.
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) || b.Empty() {
		return nil, 0, corrupt(f.name, fmt.Errorf("decoded size %v differs from header", b.Size()))
	}
	o := 1
	if f.name == formatJPEG.name {
		o = jpegOrientation(data)
	}
	return img, o, nil
}

// pixelLimit is maxPixels scaled to the memory a decode of this image
// takes, so MaxPixels bounds memory (about 4 bytes a pixel) whatever the
// format: 16-bit PNGs take 8 bytes a pixel, progressive JPEGs about 7.5
// (32-bit coefficients for 1.5 samples a pixel at 4:2:0, then the image).
func pixelLimit(f format, cfg image.Config, data []byte, maxPixels int) int64 {
	limit := int64(maxPixels)
	switch {
	case cfg.ColorModel == color.RGBA64Model || cfg.ColorModel == color.NRGBA64Model:
		return limit / 2
	case f.name == formatJPEG.name && jpegProgressive(data):
		return limit * 8 / 15
	}
	return limit
}

// centerCrop returns the largest rectangle of aspect w:h centered in b.
func centerCrop(b image.Rectangle, w, h int) image.Rectangle {
	bw, bh := int64(b.Dx()), int64(b.Dy())
	cw, ch := bw, bh
	if bw*int64(h) > bh*int64(w) {
		cw = bh * int64(w) / int64(h) // too wide: trim the sides
	} else {
		ch = bw * int64(h) / int64(w) // too tall: trim top and bottom
	}
	x0 := b.Min.X + int((bw-cw)/2)
	y0 := b.Min.Y + int((bh-ch)/2)
	return image.Rect(x0, y0, x0+int(cw), y0+int(ch))
}

// scale resamples sr of src onto all of dst, over white so transparent
// pixels print as the plain light background an ID photo wants.
//
// Large reductions (a 12 MP phone photo to 600 × 750 is 5×) go in two steps:
// a cheap bilinear pass to twice the target, then Catmull-Rom. Measured on a
// 12 MP photo (BenchmarkScale12MP, TestScaleQuality): one Catmull-Rom pass
// takes ~270 ms, two steps ~90 ms and stay within ~39 dB PSNR of it; plain
// bilinear alone takes ~10 ms but aliases (~26 dB). A true bilinear kernel
// as the first step is as slow as Catmull-Rom.
func scale(dst *image.RGBA, src image.Image, sr image.Rectangle) { scaleWith(dst, src, sr, twoStep) }

type scaleMethod int

const (
	twoStep scaleMethod = iota
	catmullRom
	bilinear
)

func scaleWith(dst *image.RGBA, src image.Image, sr image.Rectangle, m scaleMethod) {
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	op := draw.Over
	if o, ok := src.(interface{ Opaque() bool }); ok && o.Opaque() {
		op = draw.Src
	}
	dw, dh := dst.Bounds().Dx(), dst.Bounds().Dy()
	if m == bilinear {
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, sr, op, nil)
		return
	}
	if m == twoStep && sr.Dx() > 4*dw && sr.Dy() > 4*dh {
		mid := image.NewRGBA(image.Rect(0, 0, 2*dw, 2*dh))
		draw.ApproxBiLinear.Scale(mid, mid.Bounds(), src, sr, draw.Src, nil)
		src, sr = mid, mid.Bounds()
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, sr, op, nil)
}

func swapsAxes(orientation int) bool { return orientation >= 5 && orientation <= 8 }

// orient turns an image stored with EXIF orientation o upright.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	w, h := sw, sh
	if swapsAxes(o) {
		w, h = sh, sw
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = sw-1-x, y
			case 3: // upside down
				sx, sy = sw-1-x, sh-1-y
			case 4: // mirrored upside down
				sx, sy = x, sh-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // turn 90° clockwise to view
				sx, sy = y, sh-1-x
			case 7: // transversed
				sx, sy = sw-1-y, sh-1-x
			case 8: // turn 90° counter-clockwise to view
				sx, sy = sw-1-y, x
			}
			si := src.PixOffset(sx, sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// Thumbnail makes the small face image carried in the card's QR code from
// a photo Normalize produced: w × h (center-cropped), grayscale when gray
// (it compresses far better, and QR space is scarce), JPEG at quality.
func Thumbnail(jpegBytes []byte, w, h, quality int, gray bool) ([]byte, error) {
	if w <= 0 || h <= 0 || w > 1024 || h > 1024 {
		return nil, fmt.Errorf("photo: thumbnail size %d×%d must be within 1–1024", w, h)
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("photo: thumbnail quality %d must be within 1–100", quality)
	}
	if f, ok := sniff(jpegBytes); !ok || f.name != formatJPEG.name {
		return nil, notImage("thumbnail input is not a JPEG")
	}
	img, _, err := decode(jpegBytes, DefaultSpec().MaxPixels)
	if err != nil {
		return nil, err
	}
	crop := centerCrop(img.Bounds(), w, h)
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	scale(rgba, img, crop)
	var out image.Image = rgba
	if gray {
		g := image.NewGray(rgba.Bounds())
		draw.Draw(g, g.Bounds(), rgba, image.Point{}, draw.Src)
		out = g
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("photo: thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}
