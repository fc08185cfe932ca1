// Package render draws ID cards: the front (photo, names, dates, number)
// and the back (signed Claim 169 QR, AAMVA PDF417, bilingual text) at ID-1
// size (85.60 × 53.98 mm), as 300-dpi PNG previews and as print-ready PDF
// (one card side per page for card printers, or letter-size proof sheets
// with crop marks).
//
// Both outputs come from one layout, a list of drawing operations in
// millimetres, so the preview shows exactly what the printer gets. Text uses
// the Go fonts, or DejaVu Sans for names the Go fonts cannot print
// (Vietnamese, Arabic, Hebrew…; both embedded in the PDF as subsets), with
// right-to-left runs ordered and Arabic shaped by HarfBuzz (go-text). Barcodes are drawn module by
// module (vector rectangles in the PDF, whole pixels in the PNG), never
// resampled, so scanners see sharp edges.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // photo and seal decoding
	_ "image/png"  // seal decoding
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ID-1 card geometry (ISO/IEC 7810) and the card printer resolution.
const (
	WidthMM  = 85.60
	HeightMM = 53.98
	DPI      = 300
	// WidthPx and HeightPx are the card at DPI: 1011 × 638 pixels.
	WidthPx  = 1011
	HeightPx = 638
)

// pxPerMM converts millimetres to pixels at DPI.
const pxPerMM = DPI / 25.4

// Field is one labelled value on the card front. Label is already
// translated (usually "English / Español").
type Field struct {
	Label string
	Value string
	// Wide fields (an address) take the whole width of the text column.
	Wide bool
}

// Card is what one card shows, already formatted and translated.
type Card struct {
	Surnames   string // printed in bold, e.g. "Ñúñez Peña"
	GivenNames string
	PhotoJPEG  []byte // the portrait (4:5), as stored
	Number     string // grouped for reading, e.g. "4821 0937 5521 6"
	// NumberLabel labels the number, e.g. "Card No. / Núm. de tarjeta".
	NumberLabel string
	Fields      []Field  // in printing order: date of birth, issue, expiry, chosen extras
	Badges      []string // short marks such as "VETERAN / VETERANO"
	// QR is the QR symbol at one pixel per module, quiet zone included;
	// the layout scales it by a whole number of printer pixels.
	QR image.Image
	// PDF417 is the PDF417 symbol at printer resolution (300 dpi, quiet
	// zone included), placed 1:1.
	PDF417 image.Image
}

// Style is the program's look, the same for every card.
type Style struct {
	City    string
	Titles  []string // the card title in up to two languages
	Primary color.RGBA
	Accent  color.RGBA
	// Seal is the city seal image (PNG or JPEG bytes); nil draws a
	// placeholder seal with the city's initials.
	Seal []byte
	// BackLines are the paragraphs on the back beside the QR (property
	// notice and how to verify, in both languages).
	BackLines []string
}

// ErrLayout reports content that does not fit the card.
var ErrLayout = errors.New("render: content does not fit the card")

// ParseColor parses "#rrggbb".
func ParseColor(s string) (color.RGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, fmt.Errorf("render: colour %q: want #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("render: colour %q: want #rrggbb", s)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}, nil
}

// Renderer draws cards in one Style. It is safe for concurrent use.
type Renderer struct {
	style Style
	fonts [numFonts]*typeface
	seal  image.Image // decoded Seal, nil for the placeholder
}

// New parses the fonts and the seal image once.
func New(s Style) (*Renderer, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	r := &Renderer{style: s, fonts: fonts}
	if len(s.Seal) > 0 {
		img, _, err := image.Decode(bytes.NewReader(s.Seal))
		if err != nil {
			return nil, fmt.Errorf("render: seal image: %w", err)
		}
		r.seal = img
	}
	if len(s.Titles) > 2 {
		r.style.Titles = s.Titles[:2]
	}
	return r, nil
}

// initials returns up to three capital initials of the city name for the
// placeholder seal ("New Haven" → "NH").
func initials(city string) string {
	var b strings.Builder
	for _, w := range strings.Fields(city) {
		r, _ := utf8.DecodeRuneInString(w)
		if b.Len() < 3 && unicode.IsUpper(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
