package resident

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cityid/cityid/internal/config"
)

// pdfText is one string a PDF page draws, at its position in points from
// the page's bottom-left corner.
type pdfText struct {
	X, Y float64
	S    string
}

// pdfRect is a rectangle a page strokes.
type pdfRect struct{ X, Y, W, H float64 }

type pdfPage struct {
	Texts []pdfText
	Rects []pdfRect
}

// readPDF reads what each page of a PDF written by fpdf draws: its page
// objects' content streams (inflated), the text shown with Td/Tj (UTF-16
// strings) and the rectangles stroked with re. Enough to test a layout, not
// a general PDF reader.
func readPDF(t *testing.T, doc []byte) []pdfPage {
	t.Helper()
	objs := map[string][]byte{}
	for _, m := range regexp.MustCompile(`(?s)\n(\d+) 0 obj\n(.*?)endobj`).FindAllSubmatch(doc, -1) {
		objs[string(m[1])] = m[2]
	}
	var pages []pdfPage
	for _, m := range regexp.MustCompile(`/Type /Page\b[^s][^>]*?/Contents (\d+) 0 R`).FindAllSubmatch(doc, -1) {
		obj := objs[string(m[1])]
		_, stream, ok := bytes.Cut(obj, []byte("stream\n"))
		if !ok {
			t.Fatalf("page contents %s has no stream", m[1])
		}
		stream, _, _ = bytes.Cut(stream, []byte("\nendstream"))
		if bytes.Contains(obj[:bytes.Index(obj, []byte("stream\n"))], []byte("FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(stream))
			if err != nil {
				t.Fatal(err)
			}
			if stream, err = io.ReadAll(r); err != nil {
				t.Fatal(err)
			}
		}
		pages = append(pages, parseContent(string(stream)))
	}
	return pages
}

var (
	tjRE   = regexp.MustCompile(`(?s)BT ([\d.-]+) ([\d.-]+) Td \((.*?[^\\])\)Tj ET`)
	rectRE = regexp.MustCompile(`([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re S`)
)

func parseContent(s string) pdfPage {
	var p pdfPage
	num := func(v string) float64 { f, _ := strconv.ParseFloat(v, 64); return f }
	for _, m := range tjRE.FindAllStringSubmatch(s, -1) {
		raw := strings.NewReplacer(`\\`, `\`, `\(`, `(`, `\)`, `)`, `\r`, "\r").Replace(m[3])
		var u []uint16
		for i := 0; i+1 < len(raw); i += 2 {
			u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
		}
		p.Texts = append(p.Texts, pdfText{num(m[1]), num(m[2]), string(utf16.Decode(u))})
	}
	for _, m := range rectRE.FindAllStringSubmatch(s, -1) {
		r := pdfRect{num(m[1]), num(m[2]), num(m[3]), num(m[4])}
		if r.H < 0 { // fpdf draws from the top-left corner down
			r.Y, r.H = r.Y+r.H, -r.H
		}
		p.Rects = append(p.Rects, r)
	}
	return p
}

func (p pdfPage) text() string {
	var b strings.Builder
	for _, t := range p.Texts {
		b.WriteString(t.S + "\n")
	}
	return b.String()
}

// TestBlankFormLayout reads the paper form back from the PDF: one page per
// language, each only in its language, every text inside the margins, every
// checkbox with its label beside it on its own page, the fee table and the
// office-use box — for both the New Haven catalogue and the longer IDNYC one.
func TestBlankFormLayout(t *testing.T) {
	e := newEnv(t, false, Options{})
	for _, profile := range []string{"new-haven", "idnyc"} {
		t.Run(profile, func(t *testing.T) {
			if profile == "idnyc" {
				s := e.app.Settings
				s.Documents = idnycDocuments(t)
				e.app.Settings = s
			}
			r := e.do(t, "GET", "/es/form.pdf", nil)
			pages := readPDF(t, []byte(r.body))
			if len(pages) != 2 {
				t.Fatalf("%d pages, want one per language (en, es)", len(pages))
			}
			const w, h, margin = 612.0, 792.0, 28.0 // Letter in points; 10 mm
			for i, lang := range []string{"en", "es"} {
				pg := pages[i]
				text := pg.text()
				want := map[string][]string{
					"en": {"City ID card application", "Documents I will show (originals)", "To prove who you are", "What it costs", "Replacement card", "For office use", "Reference code", "Signature and date"},
					"es": {"Solicitud de la tarjeta de identificación de la ciudad", "Para probar que vive en la ciudad", "Cuánto cuesta", "Tarjeta de reemplazo", "Para uso de la oficina", "Firma y fecha", "Si no puede pagar la tarifa, pregunte por una exención."},
				}[lang]
				for _, s := range want {
					if !strings.Contains(text, s) {
						t.Errorf("%s page lacks %q", lang, s)
					}
				}
				other := map[string]string{"en": "Para uso de la oficina", "es": "For office use"}[lang]
				if strings.Contains(text, other) {
					t.Errorf("%s page mixes languages", lang)
				}
				if !strings.Contains(text, "$10.00") {
					t.Errorf("%s page has no fee amounts:\n%s", lang, text)
				}
				for _, tx := range pg.Texts {
					if tx.X < margin || tx.X > w-margin || tx.Y < margin || tx.Y > h-margin {
						t.Errorf("%s page: %q at (%.0f, %.0f) is outside the margins", lang, tx.S, tx.X, tx.Y)
					}
				}
				boxes, office := 0, false
				for _, rc := range pg.Rects {
					if rc.W > 100 && rc.H > 40 {
						office = true
						continue
					}
					if rc.W < 9 || rc.W > 12 {
						continue
					}
					boxes++
					// The label starts just right of the box, on the box's line.
					labelled := false
					for _, tx := range pg.Texts {
						if dx := tx.X - (rc.X + rc.W); dx > 0 && dx < 12 && tx.Y > rc.Y-4 && tx.Y < rc.Y+rc.H+4 {
							labelled = true
						}
					}
					if !labelled {
						t.Errorf("%s page: the checkbox at (%.0f, %.0f) has no label beside it", lang, rc.X, rc.Y)
					}
				}
				if wantBoxes := 4 + len(e.app.Settings.Documents) + 1; boxes < wantBoxes-1 {
					t.Errorf("%s page has %d checkboxes, want about %d (sex, documents)", lang, boxes, wantBoxes)
				}
				if !office {
					t.Errorf("%s page has no office-use box", lang)
				}
			}
		})
	}
}

func idnycDocuments(t *testing.T) []config.Document {
	t.Helper()
	s, err := config.Profile("idnyc")
	if err != nil {
		t.Fatal(err)
	}
	return s.Documents
}
