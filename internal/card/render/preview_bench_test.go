package render

import "testing"

// BenchmarkPreviewPNG draws a card's front and back at 300 dpi, as the staff
// portal's preview does, and reports cards per second.
func BenchmarkPreviewPNG(b *testing.B) {
	r := newRenderer(b)
	c, _ := sampleCard(b, testSigner(b), portrait(190))
	for b.Loop() {
		if _, err := r.FrontPNG(c); err != nil {
			b.Fatal(err)
		}
		if _, err := r.BackPNG(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}
