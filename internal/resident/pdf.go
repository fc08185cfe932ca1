package resident

import (
	"bytes"
	"fmt"
	"net/http"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/i18n"
)

// Paper form geometry (mm, US Letter). The page never breaks by itself: each
// language's form is laid out to fit one page, so no checkbox is ever
// orphaned from its label on the next sheet.
const (
	formMargin = 15.0
	formWidth  = 215.9 - 2*formMargin
	formBottom = 279.4 - formMargin
	boxSize    = 3.6
)

// feeLines are the fees in words, for the home page and the paper form.
func feeLines(tr func(string, ...any) string, lang string, f config.Fees) []feeLine {
	money := func(c int) string {
		if c == 0 {
			return tr("resident.fee.free")
		}
		return fee.Format(c, f.Currency, lang)
	}
	out := []feeLine{{tr("resident.fee.adult"), money(f.Adult)}}
	if f.ChildUnderAge > 0 {
		out = append(out, feeLine{tr("resident.fee.child", "age", f.ChildUnderAge), money(f.Child)})
	}
	if f.SeniorFromAge > 0 {
		out = append(out, feeLine{tr("resident.fee.senior", "age", f.SeniorFromAge), money(f.Senior)})
	}
	return append(out, feeLine{tr("resident.fee.replacement"), money(f.Replacement)})
}

// BlankForm renders the paper application form, one page per program
// language (a partner site prints the page its visitor reads). It asks
// exactly what the online pre-application asks, and nothing about
// immigration status, nationality or document numbers; it lists the fees
// and leaves a box for the office.
func BlankForm(s config.Settings, b *i18n.Bundle) ([]byte, error) {
	var langs []string
	for _, l := range s.Program.Languages {
		if b.Has(l) {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetTitle(b.T(langs[0], "resident.pdf.title"), true)
	pdf.SetCreator("cityid", true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(formMargin, formMargin, formMargin)
	pdf.SetAutoPageBreak(false, formMargin)
	for _, lang := range langs {
		formPage(pdf, s, lang, func(key string, args ...any) string { return b.T(lang, key, args...) })
		if y := pdf.GetY(); y > formBottom {
			return nil, fmt.Errorf("blank form: the %s page runs %.0f mm past the bottom margin (too many documents in the catalogue?)", lang, y-formBottom)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("blank form: %w", err)
	}
	return buf.Bytes(), nil
}

func formPage(pdf *fpdf.Fpdf, s config.Settings, lang string, tr func(string, ...any) string) {
	pdf.AddPage()
	name := s.Program.Name
	if t := s.Program.Title[lang]; t != "" {
		name = t
	}
	pdf.SetFont("go", "B", 15)
	pdf.MultiCell(0, 7, name, "", "L", false)
	pdf.SetFont("go", "B", 12)
	pdf.MultiCell(0, 6, tr("resident.pdf.title"), "", "L", false)
	pdf.SetFont("go", "", 9)
	pdf.MultiCell(0, 4.2, tr("resident.pdf.intro"), "", "L", false)
	pdf.Ln(2)

	// Write-in fields, one or two to a row, each a label over a line.
	half := (formWidth - 6) / 2
	row := func(keys ...string) {
		x0, y := pdf.GetX(), pdf.GetY()
		w := formWidth
		if len(keys) == 2 {
			w = half
		}
		for i, k := range keys {
			x := x0 + float64(i)*(half+6)
			pdf.SetXY(x, y)
			pdf.SetFont("go", "B", 9)
			pdf.CellFormat(w, 4.5, tr(k), "", 0, "L", false, 0, "")
			pdf.Line(x, y+10, x+w, y+10)
		}
		pdf.SetXY(x0, y+12)
	}
	row("resident.field.given_names")
	row("resident.field.first_surname", "resident.field.second_surname")
	row("resident.pdf.dob", "resident.field.phone")
	row("resident.field.address_line1")
	row("resident.pdf.city_zip", "resident.field.address_care_of")
	row("resident.field.email")

	pdf.SetFont("go", "B", 9)
	pdf.CellFormat(0, 5, tr("resident.field.sex")+" ("+tr("resident.pdf.optional")+")", "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 9)
	x, y := pdf.GetX(), pdf.GetY()
	for i, k := range []string{"resident.sex.f", "resident.sex.m", "resident.sex.x", "resident.sex.none"} {
		checkbox(pdf, x+float64(i)*formWidth/4, y, formWidth/4-8, tr(k))
	}
	pdf.SetXY(x, y+7)

	// Documents: what proves identity on the left, residency on the right.
	pdf.SetFont("go", "B", 10.5)
	pdf.CellFormat(0, 6, tr("resident.pdf.documents"), "", 1, "L", false, 0, "")
	g := evidence.Requirements(s.Evidence, s.Documents)
	top := pdf.GetY()
	bottom := top
	for col, need := range []struct {
		key  string
		docs []evidence.Accepted
	}{{"resident.bring.identity", g.Identity.Documents}, {"resident.bring.residency", g.Residency.Documents}} {
		cx := x + float64(col)*(half+6)
		pdf.SetXY(cx, top)
		pdf.SetFont("go", "B", 9)
		pdf.CellFormat(half, 5, tr(need.key), "", 1, "L", false, 0, "")
		pdf.SetFont("go", "", 8.5)
		cy := top + 5.5
		for _, a := range need.docs {
			label := a.Code
			if d, ok := s.Document(a.Code); ok {
				label = config.DocumentName(d, lang, tr)
			}
			cy = checkbox(pdf, cx, cy, half-6, label) + 0.6
		}
		bottom = max(bottom, cy)
	}
	pdf.SetXY(x, bottom+2)

	// Fees on the left, the office's box on the right, side by side.
	top = pdf.GetY()
	pdf.SetFont("go", "B", 10.5)
	pdf.CellFormat(half, 6, tr("resident.home.cost_title"), "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 9)
	for _, f := range feeLines(tr, lang, s.Fees) {
		pdf.CellFormat(half-30, 5, f.Label, "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 5, f.Amount, "B", 1, "R", false, 0, "")
	}
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(half, 4.2, tr("resident.home.waiver"), "", "L", false)
	feesEnd := pdf.GetY()

	ox := x + half + 6
	pdf.SetXY(ox, top)
	pdf.SetFont("go", "B", 9)
	pdf.CellFormat(half, 6, tr("resident.pdf.office"), "", 2, "L", false, 0, "")
	pdf.SetFont("go", "", 8.5)
	for _, k := range []string{"resident.pdf.office_reference", "resident.pdf.office_documents", "resident.pdf.office_paid", "resident.pdf.office_clerk"} {
		pdf.SetX(ox + 2)
		pdf.CellFormat(half-4, 7, tr(k)+":", "B", 2, "L", false, 0, "")
	}
	officeEnd := pdf.GetY() + 2
	pdf.SetLineWidth(0.5)
	pdf.Rect(ox, top, half, officeEnd-top, "D")
	pdf.SetLineWidth(0.2)

	pdf.SetXY(x, max(feesEnd, officeEnd)+3)
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(0, 4.2, tr("resident.pdf.privacy"), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("go", "B", 9)
	pdf.CellFormat(0, 4.5, tr("resident.pdf.signature"), "", 1, "L", false, 0, "")
	y = pdf.GetY() + 8
	pdf.Line(x, y, x+formWidth, y)
	pdf.SetY(y + 1)
}

// checkbox draws a box with its label beside it (wrapping within width)
// at (x, y) and returns the y below it: box and label are one unit.
func checkbox(pdf *fpdf.Fpdf, x, y, width float64, label string) float64 {
	pdf.Rect(x, y+0.7, boxSize, boxSize, "D")
	pdf.SetXY(x+boxSize+2, y)
	pdf.MultiCell(width, 4.6, label, "", "L", false)
	return pdf.GetY()
}

func (s *Site) blankForm(w http.ResponseWriter, r *http.Request, p *page) error {
	b, err := BlankForm(*s.svc.Settings, s.svc.I18n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="application-form.pdf"`)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}
