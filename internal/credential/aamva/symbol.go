package aamva

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/boombuler/barcode/pdf417"

	pdf417read "github.com/cityid/cityid/internal/pdf417"
)

// Print geometry at 300 dpi, the resolution of card printers.
//
// Module (X) width 3 px = 0.254 mm (10 mil): above the 0.170 mm minimum
// real DL/ID barcodes use, wide enough that dye-sublimation bleed cannot
// close a one-module space, and read by the cheapest handheld imagers.
// Row height 9 px = 3X, the PDF417 minimum that AAMVA cards use. A quiet
// zone of 2X on every side is PDF417's minimum; the card layout should
// leave more margin around the image where it can.
const (
	ModuleWidthPx = 3
	RowHeightPx   = 3 * ModuleWidthPx
	QuietModules  = 2
	DPI           = 300
)

// ErrorCorrectionLevel is the PDF417 security level real DL/ID cards use:
// 64 error-correction codewords, enough to read a scratched card.
const ErrorCorrectionLevel = 5

// Barcode is a PDF417 symbol ready to print on the back of the card.
type Barcode struct {
	Data    []byte // the AAMVA data the symbol encodes
	Columns int    // data columns (codewords per row)
	Rows    int
	modules [][]bool // [row][module]: true is a bar
}

// ErrTooBig reports data that does not fit a printable symbol.
var ErrTooBig = errors.New("aamva: barcode does not fit the card back")

// Two spaces make one text-compaction codeword, so padding by two
// characters at a time grows the symbol one codeword per try; two extra
// rows of at most 30 columns is the most ever needed.
const (
	padStep    = 2
	maxPadding = 2 * 30 * padStep
)

// NewBarcode encodes rec as AAMVA data and the data as a PDF417 symbol
// (error correction level 5).
//
// The symbol is made by github.com/boombuler/barcode, whose v1.1.0 has
// two bugs that make older ZXing decoders (zxing-cpp 1.4, still in bank
// and shop scanners) reject its symbols, so NewBarcode steers around both:
//   - it starts text compaction without the explicit latch 900. AAMVA data
//     always begins "@\n\x1e", and RS (0x1e) has no text-compaction code,
//     so the library opens in byte compaction (an explicit 901) and
//     latches to text explicitly afterwards;
//   - it writes the left row indicator of every third row wrong unless the
//     row count is a multiple of 3. NewBarcode pads the jurisdiction
//     element ZCA with trailing spaces (which readers trim) until it is.
//
// The tests decode every symbol shape they make with ZXingReader, and every
// symbol is proof-read before it is returned (proofRead): the library has a
// third bug (a single byte that text compaction has no code for, between
// two runs of text, is drawn as other text), which AAMVA data cannot reach
// (after its header it is printable ASCII, LF and CR), and any other would
// be caught there rather than on a card.
func NewBarcode(rec Record, opt Options) (*Barcode, error) {
	base := rec.ProgramName
	for pad := 0; pad <= maxPadding; pad += padStep {
		rec.ProgramName = base + strings.Repeat(" ", pad)
		data, err := encode(rec, opt, pad > 0)
		if err != nil {
			return nil, err
		}
		b, err := symbol(data)
		if err != nil {
			return nil, err
		}
		if b.Rows%3 == 0 {
			if err := b.checkSize(); err != nil {
				return nil, err
			}
			return b, b.proofRead()
		}
	}
	return nil, fmt.Errorf("%w: no padding gives a row count that is a multiple of 3", ErrTooBig)
}

func symbol(data []byte) (*Barcode, error) {
	if len(data) < 3 || string(data[:3]) != "@\n\x1e" {
		return nil, fmt.Errorf("%w: data must start with the AAMVA header", ErrInvalid)
	}
	bc, err := pdf417.Encode(string(data), ErrorCorrectionLevel)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTooBig, err)
	}
	r := bc.Bounds()
	const rowPixels = 2 // the library draws each row two pixels tall
	b := &Barcode{Data: data, Rows: r.Dy() / rowPixels, Columns: (r.Dx()-1)/17 - 4}
	b.modules = make([][]bool, b.Rows)
	for row := range b.modules {
		b.modules[row] = make([]bool, r.Dx())
		for x := range r.Dx() {
			g := color.GrayModel.Convert(bc.At(r.Min.X+x, r.Min.Y+row*rowPixels)).(color.Gray)
			b.modules[row][x] = g.Y < 128
		}
	}
	return b, nil
}

// ErrMisdrawn means the drawn symbol does not read back as the data it was
// drawn from: a fault of the barcode library, never printed.
var ErrMisdrawn = errors.New("aamva: the barcode does not read back as its data")

// proofRead reads the symbol back, as printed, with cityid's own PDF417
// reader (ISO/IEC 15438, the one the verifier uses on photos).
func (b *Barcode) proofRead() error {
	img := b.Image()
	res, err := pdf417read.Decode(pdf417read.Grey{W: img.Rect.Dx(), H: img.Rect.Dy(), Pix: img.Pix})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMisdrawn, err)
	}
	if !bytes.Equal(res.Data, b.Data) {
		// The data is a person's: the error names only where it differs.
		at := 0
		for at < min(len(res.Data), len(b.Data)) && res.Data[at] == b.Data[at] {
			at++
		}
		return fmt.Errorf("%w: it differs from byte %d of %d", ErrMisdrawn, at, len(b.Data))
	}
	return nil
}

// SizeMM returns the printed size at DPI, quiet zones included.
func (b *Barcode) SizeMM() (width, height float64) {
	img := b.Image()
	const mmPerPx = 25.4 / DPI
	return float64(img.Rect.Dx()) * mmPerPx, float64(img.Rect.Dy()) * mmPerPx
}

// The symbol must fit the back of an ID-1 card beside the QR code.
const maxWidthMM, maxHeightMM = 80, 25

func (b *Barcode) checkSize() error {
	if w, h := b.SizeMM(); w > maxWidthMM || h > maxHeightMM {
		return fmt.Errorf("%w: %.1f × %.1f mm, limit %d × %d mm", ErrTooBig, w, h, maxWidthMM, maxHeightMM)
	}
	return nil
}

// Image renders the symbol at ModuleWidthPx × RowHeightPx per module with
// the quiet zone, black on white, for placing 1:1 on a 300 dpi card image.
func (b *Barcode) Image() *image.Gray {
	width := len(b.modules[0])
	img := image.NewGray(image.Rect(0, 0,
		(width+2*QuietModules)*ModuleWidthPx,
		b.Rows*RowHeightPx+2*QuietModules*ModuleWidthPx))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	x0, y0 := QuietModules*ModuleWidthPx, QuietModules*ModuleWidthPx
	for row, mods := range b.modules {
		for x, dark := range mods {
			if !dark {
				continue
			}
			for dy := range RowHeightPx {
				off := img.PixOffset(x0+x*ModuleWidthPx, y0+row*RowHeightPx+dy)
				for dx := range ModuleWidthPx {
					img.Pix[off+dx] = 0
				}
			}
		}
	}
	return img
}
