package render

import (
	"bytes"
	"errors"
	"fmt"
	"unicode"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
	gtfont "github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// ErrScript reports text in a script none of the card fonts can print
// (for example Chinese, Korean or Devanagari): the card would show empty
// boxes, so it is refused instead.
var ErrScript = errors.New("render: no card font has these characters")

// The card fonts, in order of preference. The Go fonts are the card's
// look and cover Latin-1, Latin Extended-A, Greek and Cyrillic; DejaVu Sans
// (github.com/go-fonts/dejavu, Bitstream Vera licence) adds the Vietnamese
// letters with stacked diacritics, Hebrew, Arabic (with the presentation
// forms our shaping maps to), Armenian and Georgian. A text is printed in
// the first font that has every one of its letters, never a mix within one
// name.
const (
	fontGo = iota
	fontDejaVu
	numFonts
)

// typeface is one font family in regular and bold.
type typeface struct {
	family string    // PDF font family name
	ttf    [2][]byte // regular, bold
	ot     [2]*opentype.Font
	// For shaping right-to-left and joining scripts (DejaVu only): the
	// go-text faces and each glyph's code point, so a shaped glyph run can
	// be written back as text (the presentation forms) that both the PNG
	// rasterizer and the PDF print glyph for glyph.
	shape  [2]*gtfont.Face
	runeOf [2]map[gtfont.GID]rune
}

// loadFonts parses the card fonts once per Renderer.
func loadFonts() ([numFonts]*typeface, error) {
	var out [numFonts]*typeface
	out[fontGo] = &typeface{family: "go", ttf: [2][]byte{goregular.TTF, gobold.TTF}}
	out[fontDejaVu] = &typeface{family: "dejavu", ttf: [2][]byte{dejavusans.TTF, dejavusansbold.TTF}}
	for _, tf := range out {
		for b, data := range tf.ttf {
			f, err := opentype.Parse(data)
			if err != nil {
				return out, fmt.Errorf("render: font %s: %w", tf.family, err)
			}
			tf.ot[b] = f
		}
	}
	dv := out[fontDejaVu]
	for b, data := range dv.ttf {
		f, err := gtfont.ParseTTF(bytes.NewReader(data))
		if err != nil {
			return out, fmt.Errorf("render: font %s: %w", dv.family, err)
		}
		dv.shape[b] = f
		dv.runeOf[b] = map[gtfont.GID]rune{}
		it := f.Cmap.Iter()
		for it.Next() {
			r, g := it.Char()
			// Several code points can share a glyph (U+0627 and its isolated
			// presentation form); any of them prints the glyph.
			if _, ok := dv.runeOf[b][g]; !ok {
				dv.runeOf[b][g] = r
			}
		}
	}
	return out, nil
}

// prepared is a text ready to draw: the code points to print left to right
// (right-to-left runs reversed, Arabic letters in their joined forms) and
// the font that has all of them.
type prepared struct {
	visual string
	font   int
	err    error
}

type prepKey struct {
	s    string
	bold bool
}

// prepare readies s for drawing in regular or bold. It normalizes to NFC
// (so "e" + U+0302 + U+0303 prints as the single letter ễ), picks the first
// font that covers every letter, and shapes right-to-left runs.
func (m *metrics) prepare(s string, bold bool) prepared {
	k := prepKey{s, bold}
	if p, ok := m.prepared[k]; ok {
		return p
	}
	p := m.doPrepare(s, bold)
	m.prepared[k] = p
	return p
}

func (m *metrics) doPrepare(s string, bold bool) prepared {
	b := 0
	if bold {
		b = 1
	}
	s = norm.NFC.String(s)
	rtl := false
	for _, r := range s {
		if unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko) {
			rtl = true
		}
	}
	for fi, tf := range m.r.fonts {
		if !m.covers(tf.ot[b], s) {
			continue
		}
		if !rtl {
			return prepared{visual: s, font: fi}
		}
		if tf.shape[b] == nil {
			continue // right-to-left text needs a font we can shape with
		}
		v, err := shapeVisual(tf, b, s)
		if err != nil {
			return prepared{visual: s, err: err}
		}
		return prepared{visual: v, font: fi}
	}
	var missing []rune
	for _, r := range s {
		if !m.covers(m.r.fonts[len(m.r.fonts)-1].ot[b], string(r)) && len(missing) < 5 {
			missing = append(missing, r)
		}
	}
	return prepared{visual: s, err: fmt.Errorf("%w: %q (%q)", ErrScript, string(missing), s)}
}

// covers reports whether f has a glyph for every letter of s (spaces and
// other invisible characters aside).
func (m *metrics) covers(f *opentype.Font, s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if g, err := f.GlyphIndex(&m.buf, r); err != nil || g == 0 {
			return false
		}
	}
	return true
}

// shapeVisual lays out s by the Unicode bidirectional algorithm and shapes
// each right-to-left run with HarfBuzz (go-text), returning the glyphs as
// code points in visual order, left to right.
func shapeVisual(tf *typeface, b int, s string) (string, error) {
	text := []rune(s)
	var p bidi.Paragraph
	runs := p.Segment(text, bidi.LeftToRight)
	type seg struct {
		level bidi.Level
		runes []rune
	}
	var segs []seg
	for i := range runs.NumRuns() {
		run := runs.Run(i)
		part := text[run.Start:run.End]
		if run.IsLeftToRight() {
			segs = append(segs, seg{run.Level, part})
			continue
		}
		script := language.Common
		for _, r := range part {
			if sc := language.LookupScript(r); sc != language.Common && sc != language.Inherited {
				script = sc
				break
			}
		}
		in := shaping.Input{Text: text, RunStart: run.Start, RunEnd: run.End, Direction: di.DirectionRTL,
			Face: tf.shape[b], Size: fixed.I(64), Script: script}
		out := (&shaping.HarfbuzzShaper{}).Shape(in)
		vis := make([]rune, 0, len(out.Glyphs))
		for _, g := range out.Glyphs {
			r, ok := tf.runeOf[b][g.GlyphID]
			if !ok {
				return "", fmt.Errorf("%w: shaped glyph %d of %q has no code point in %s", ErrScript, g.GlyphID, s, tf.family)
			}
			vis = append(vis, r)
		}
		// HarfBuzz returns a right-to-left run in visual order already; the
		// runs themselves are reordered below.
		segs = append(segs, seg{run.Level, reverse(vis)})
	}
	// Rule L2: from the highest level down to the lowest odd one, reverse
	// every maximal sequence of runs at that level or higher. The runs of
	// odd level were stored in logical order (reversed back above), so
	// reversing sequences puts both runs and their glyphs in visual order.
	var maxLevel, minOdd bidi.Level = 0, 127
	for _, sg := range segs {
		maxLevel = max(maxLevel, sg.level)
		if sg.level%2 == 1 {
			minOdd = min(minOdd, sg.level)
		}
	}
	for lvl := maxLevel; lvl >= minOdd && lvl > 0; lvl-- {
		for i := 0; i < len(segs); {
			if segs[i].level < lvl {
				i++
				continue
			}
			j := i
			for j < len(segs) && segs[j].level >= lvl {
				j++
			}
			for a, z := i, j-1; a < z; a, z = a+1, z-1 {
				segs[a], segs[z] = segs[z], segs[a]
			}
			for k := i; k < j; k++ {
				segs[k].runes = reverse(segs[k].runes)
			}
			i = j
		}
	}
	var out []rune
	for _, sg := range segs {
		out = append(out, sg.runes...)
	}
	return string(out), nil
}

func reverse(rs []rune) []rune {
	out := make([]rune, len(rs))
	for i, r := range rs {
		out[len(rs)-1-i] = r
	}
	return out
}

// GlyphCheck reports, for tests and the command line, how s would print: the
// font family, the code points in visual order, and how many of them the
// font has no glyph for (always 0 unless ErrScript is returned).
func (r *Renderer) GlyphCheck(s string, bold bool) (family, visual string, notdef int, err error) {
	m := r.newMetrics()
	p := m.prepare(s, bold)
	if p.err != nil {
		return "", "", 0, p.err
	}
	b := 0
	if bold {
		b = 1
	}
	var buf sfnt.Buffer
	for _, c := range p.visual {
		if unicode.IsSpace(c) {
			continue
		}
		if g, err := r.fonts[p.font].ot[b].GlyphIndex(&buf, c); err != nil || g == 0 {
			notdef++
		}
	}
	return r.fonts[p.font].family, p.visual, notdef, nil
}
