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

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	labelWidth  = 220
	valueWidth  = 60
	barHeight   = 22
	barGap      = 8
	chartMargin = 8
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
	height := 2*chartMargin + len(bars)*(barHeight+barGap)
	if len(bars) == 0 {
		height = 2*chartMargin + barHeight
	}
	span := chartWidth - labelWidth - valueWidth - 2*chartMargin
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s-title %s-desc">`,
		chartWidth, height, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	for i, bar := range bars {
		y := chartMargin + i*(barHeight+barGap)
		mid := y + barHeight/2 + 5
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="14" fill="#1f2937">%s</text>`,
			labelWidth-8, mid, esc(bar.Label))
		w := 0
		if maxV > 0 && !bar.Cell.Suppressed {
			w = bar.Cell.Value * span / maxV
			if bar.Cell.Value > 0 && w == 0 {
				w = 1
			}
		}
		if w > 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#1d4ed8"></rect>`, labelWidth, y, w, barHeight)
		}
		fill := "#1f2937"
		if bar.Cell.Suppressed {
			fill = "#6b7280"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" fill="%s">%s</text>`, labelWidth+w+6, mid, fill, esc(bar.Cell.Text))
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
