package resident

import (
	"bytes"
	"fmt"
	"net/http"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/i18n"
)

// BlankForm renders the paper application form in the program's first two
// languages side by side (a partner site that runs out of forms prints
// more). It asks exactly what the online pre-application asks, and nothing
// about immigration status, nationality or document numbers.
func BlankForm(s config.Settings, b *i18n.Bundle) ([]byte, error) {
	langs := s.Program.Languages
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	if len(langs) > 2 {
		langs = langs[:2]
	}
	both := func(key string, args ...any) string {
		out := b.T(langs[0], key, args...)
		if len(langs) > 1 {
			if o := b.T(langs[1], key, args...); o != out {
				out += " / " + o
			}
		}
		return out
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetTitle(both("resident.pdf.title"), true)
	pdf.SetCreator("cityid", true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()
	name := s.Program.Name
	if t := s.Program.Title[langs[0]]; t != "" {
		name = t
	}
	pdf.SetFont("go", "B", 16)
	pdf.MultiCell(0, 8, name, "", "L", false)
	pdf.SetFont("go", "B", 13)
	pdf.MultiCell(0, 7, both("resident.pdf.title"), "", "L", false)
	pdf.SetFont("go", "", 9.5)
	pdf.MultiCell(0, 5, both("resident.pdf.intro"), "", "L", false)
	pdf.Ln(3)

	field := func(key string) {
		pdf.SetFont("go", "B", 9.5)
		pdf.CellFormat(0, 5, both(key), "", 1, "L", false, 0, "")
		pdf.Ln(6)
		x, y := pdf.GetXY()
		pdf.Line(x, y, x+185, y)
		pdf.Ln(3)
	}
	for _, k := range []string{"resident.field.given_names", "resident.field.first_surname", "resident.field.second_surname",
		"resident.pdf.dob", "resident.field.address_line1", "resident.pdf.city_zip", "resident.field.address_care_of",
		"resident.field.phone", "resident.field.email"} {
		field(k)
	}
	pdf.SetFont("go", "B", 9.5)
	pdf.CellFormat(0, 6, both("resident.field.sex"), "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 9.5)
	for _, k := range []string{"resident.sex.f", "resident.sex.m", "resident.sex.x", "resident.sex.none"} {
		box(pdf, both(k))
	}
	pdf.Ln(2)
	pdf.SetFont("go", "B", 11)
	pdf.MultiCell(0, 6, both("resident.pdf.documents"), "", "L", false)
	pdf.SetFont("go", "", 9)
	for _, d := range s.Documents {
		n := config.DocumentName(d, langs[0], func(k string, a ...any) string { return b.T(langs[0], k, a...) })
		if len(langs) > 1 {
			if o := config.DocumentName(d, langs[1], func(k string, a ...any) string { return b.T(langs[1], k, a...) }); o != n {
				n += " / " + o
			}
		}
		box(pdf, n)
	}
	pdf.Ln(2)
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(0, 4.5, both("resident.pdf.privacy"), "", "L", false)
	pdf.Ln(2)
	field("resident.pdf.signature")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("blank form: %w", err)
	}
	return buf.Bytes(), nil
}

func box(pdf *fpdf.Fpdf, label string) {
	x, y := pdf.GetXY()
	pdf.Rect(x, y+0.8, 3.6, 3.6, "D")
	pdf.SetX(x + 6)
	pdf.MultiCell(0, 5, label, "", "L", false)
}

func (s *Site) blankForm(w http.ResponseWriter, r *http.Request, p *page) error {
	b, err := BlankForm(s.app.Settings, s.app.I18n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="application-form.pdf"`)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}
