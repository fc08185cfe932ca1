package render

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// TestNamesInEveryScript renders card fronts (PNG and PDF) for names written
// in the scripts a city's residents use, and checks that every letter
// prints with a real glyph (no .notdef boxes), that Vietnamese stacked
// diacritics print as single letters, and that Arabic comes out shaped
// (joined presentation forms, right to left). A script no card font covers
// is refused with ErrScript rather than printed as boxes. The PNGs are
// written to $TMPDIR/cityid-script-*.png for a person to look at.
func TestNamesInEveryScript(t *testing.T) {
	r := newRenderer(t)
	s := testSigner(t)
	tests := []struct {
		script, given, surnames string
		font                    string
	}{
		{"latin", "José Luis", "Ñúñez Peña", "go"},
		{"vietnamese", "Thị Ngọc Ánh", "Nguyễn", "dejavu"},
		{"vietnamese-decomposed", "Thi\u0323 Ngo\u0323c", "Nguye\u0302\u0303n", "dejavu"},
		{"arabic", "محمد", "عبد الله", "dejavu"},
		{"hebrew", "דוד", "כהן", "dejavu"},
		{"cyrillic", "Ольга", "Иванова", "go"},
		{"greek", "Ελένη", "Παπαδοπούλου", "go"},
		{"haitian-creole", "Jean-Baptiste", "Désir", "go"},
		{"polish", "Łucja", "Wójcik-Żak", "go"},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			for _, name := range []string{tc.given, tc.surnames} {
				for _, bold := range []bool{false, true} {
					family, visual, notdef, err := r.GlyphCheck(name, bold)
					if err != nil || notdef != 0 {
						t.Fatalf("GlyphCheck(%q) = %s %q, %d .notdef, %v; want every glyph present", name, family, visual, notdef, err)
					}
					if family != tc.font {
						t.Errorf("GlyphCheck(%q) font = %s, want %s", name, family, tc.font)
					}
					if strings.HasPrefix(tc.script, "vietnamese") && visual != norm.NFC.String(name) {
						t.Errorf("%q prints as %q, want the composed letters %q", name, visual, norm.NFC.String(name))
					}
					if tc.script == "arabic" {
						checkShapedArabic(t, name, visual)
					}
				}
			}
			c, _ := sampleCard(t, s, portrait(180))
			c.GivenNames, c.Surnames = tc.given, tc.surnames
			img, err := r.FrontPNG(c)
			if err != nil {
				t.Fatalf("FrontPNG: %v", err)
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(os.TempDir(), "cityid-script-"+tc.script+".png"), buf.Bytes(), 0o644)
			var pdf bytes.Buffer
			if err := r.PDF(&pdf, []Card{c}, PDFOptions{}); err != nil {
				t.Fatalf("PDF: %v", err)
			}
			embedded := bytes.Contains(pdf.Bytes(), []byte("/BaseFont /utf8dejavu"))
			os.WriteFile(filepath.Join(os.TempDir(), "cityid-script-"+tc.script+".pdf"), pdf.Bytes(), 0o644)
			if embedded != (tc.font == "dejavu") {
				t.Errorf("PDF embeds DejaVu Sans = %v, want %v", embedded, tc.font == "dejavu")
			}
		})
	}
	for _, name := range []string{"王小明", "김민준", "मोहन"} {
		_, _, _, err := r.GlyphCheck(name, true)
		if !errors.Is(err, ErrScript) {
			t.Errorf("GlyphCheck(%q) err = %v, want ErrScript (no card font has it)", name, err)
		}
		c, _ := sampleCard(t, s, portrait(180))
		c.Surnames = name
		if _, err := r.FrontPNG(c); !errors.Is(err, ErrScript) || !errors.Is(err, ErrLayout) {
			t.Errorf("FrontPNG with surname %q err = %v, want ErrLayout and ErrScript", name, err)
		}
	}
}

// checkShapedArabic: the printed code points are Arabic presentation forms
// (letters joined as in handwriting, not the isolated nominal letters) and
// run right to left: the last letter of the name comes first.
func checkShapedArabic(t *testing.T, logical, visual string) {
	t.Helper()
	forms := 0
	for _, r := range visual {
		if r >= 0xFB50 && r <= 0xFEFF {
			forms++
		}
	}
	if forms == 0 {
		t.Errorf("%q prints as %q: no joined forms, the letters would stand apart", logical, visual)
	}
	lr, vr := []rune(logical), []rune(visual)
	last := lr[len(lr)-1]
	first := vr[0]
	if unicode.Is(unicode.Arabic, last) && !sameLetter(last, first) {
		t.Errorf("%q prints as %q: first printed %U is not a form of the last letter %U (not right to left)", logical, visual, first, last)
	}
}

// sameLetter compares an Arabic letter with a presentation form by their
// compatibility decomposition.
func sameLetter(a, b rune) bool {
	return norm.NFKC.String(string(a)) == norm.NFKC.String(string(b))
}
