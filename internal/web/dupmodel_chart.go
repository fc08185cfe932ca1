package web

import (
	"bytes"
	"fmt"
	"html"
	"html/template"

	"github.com/cityid/cityid/internal/linkage"
)

// calibrationChart draws, for each band of percentages a version showed on
// the held-out decisions, two bars on one 0–100 % scale: the percentage it
// showed on average (grey) and the share of those pairs supervisors called
// one person (blue). Where the blue bar is shorter the percentages overstate;
// where longer, they understate. Like the statistics' charts it is an
// accessible inline SVG with no viewBox (text stays 14 px on a phone), every
// value also written as text, colours as attributes (no style, no script).
func calibrationChart(p *page, id, title string, bands []linkage.CalibrationBand) template.HTML {
	const (
		font   = 14
		label  = 20 // a band's label line
		bar    = 14
		gap    = 4    // between a band's two bars
		rowGap = 14   // between bands
		span   = 55.0 // the longest bar's share of the width; the rest is for its value
	)
	var used []linkage.CalibrationBand
	for _, b := range bands {
		if b.Pairs > 0 {
			used = append(used, b)
		}
	}
	if len(used) == 0 {
		return ""
	}
	row := label + 2*bar + gap + rowGap
	esc := html.EscapeString
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%%" height="%d" aria-labelledby="%s-title %s-desc">`,
		len(used)*row-rowGap, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(p.T("dup.model.chart_desc")))
	for i, band := range used {
		y := i * row
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="%d" fill="#1f2937">%s</text>`, y+font+1, font,
			esc(p.T("dup.model.chart_band", "from", fmt.Sprintf("%.0f", 100*band.From), "to", fmt.Sprintf("%.0f", 100*band.To), "n", band.Pairs)))
		// The figure shown is a probability, never "100%" (matchPercent); the
		// share is a count of decisions.
		for k, v := range []struct {
			share float64
			text  string
			fill  string
		}{
			{band.MeanProbability, p.T("dup.model.chart_shown", "percent", matchPercent(p, band.MeanProbability)), "#9ca3af"},
			{band.SameShare(), p.T("dup.model.chart_same", "percent", fmt.Sprintf("%.0f%%", 100*band.SameShare())), "#1d4ed8"},
		} {
			by := y + label + k*(bar+gap)
			w := v.share * span
			if w > 0 {
				fmt.Fprintf(&b, `<rect x="0" y="%d" width="%.2f%%" height="%d" fill="%s"></rect>`, by, w, bar, v.fill)
			}
			fmt.Fprintf(&b, `<text x="%.2f%%" dx="6" y="%d" font-size="%d" fill="#1f2937">%s</text>`, w, by+bar-2, font-1,
				esc(v.text))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from escaped text and numbers only
}
