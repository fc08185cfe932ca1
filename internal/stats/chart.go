package stats

import (
	"bytes"
	"fmt"
	"html"
)

// Bar is one bar of a chart.
type Bar struct {
	Label string
	Cell  Cell
}

// Chart geometry in CSS pixels. The SVG has no viewBox, so it is never
// scaled: its text stays at fontSize on a 390 px phone as on a desktop
// (a 640-unit drawing squeezed into a phone's width wrote 6 px labels).
// Each label has its own line above its bar, so long site names and month
// names need not share the width with the bars; bar lengths are fractions
// of the chart's width, which the page decides.
const (
	fontSize   = 14
	labelLine  = 20 // from a row's top to its bar's top; the label's baseline is at fontSize+1
	barHeight  = 16
	rowGap     = 12
	barSpanPct = 78.0 // the longest bar's share of the width; the rest is for its value
)

// BarChart draws a horizontal bar chart as a standalone SVG element for
// inline use. It is accessible (role img, a title and a description named
// by aria-labelledby, every value also written as text) and needs no
// script or style: colours and fonts are presentation attributes, which a
// strict Content-Security-Policy allows. Suppressed cells get no bar, only
// their text ("<10" or "x"), so the drawing leaks nothing the table hides.
// id must be unique on the page.
func BarChart(id, title, desc string, bars []Bar) []byte {
	maxV := 0
	for _, b := range bars {
		maxV = max(maxV, b.Cell.Value)
	}
	row := labelLine + barHeight + rowGap
	height := len(bars)*row - rowGap
	if len(bars) == 0 {
		height = barHeight
	}
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%%" height="%d" aria-labelledby="%s-title %s-desc">`,
		height, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	for i, bar := range bars {
		y := i * row
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="%d" fill="#1f2937">%s</text>`, y+fontSize+1, fontSize, esc(bar.Label))
		pct := 0.0
		if maxV > 0 && !bar.Cell.Suppressed && bar.Cell.Value > 0 {
			pct = max(float64(bar.Cell.Value)*barSpanPct/float64(maxV), 0.3) // a non-zero count stays visible
		}
		barY := y + labelLine
		if pct > 0 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%.2f%%" height="%d" fill="#1d4ed8"></rect>`, barY, pct, barHeight)
		}
		fill := "#1f2937"
		if bar.Cell.Suppressed {
			fill = "#6b7280"
		}
		fmt.Fprintf(&b, `<text x="%.2f%%" dx="6" y="%d" font-size="%d" fill="%s">%s</text>`,
			pct, barY+barHeight/2+fontSize/2-2, fontSize, fill, esc(bar.Cell.Text))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// Bars turns one measure of a table into bars, labelled by label.
func Bars(t Table, m Measure, label Labeler) []Bar {
	col := -1
	for i, mm := range Measures {
		if mm == m {
			col = i
		}
	}
	var out []Bar
	if col < 0 {
		return out
	}
	for _, r := range t.Rows {
		name := r.Key
		if label != nil {
			name = label(t.Dimension, r.Key)
		}
		out = append(out, Bar{Label: name, Cell: r.Cells[col]})
	}
	return out
}
