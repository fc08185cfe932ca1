package card_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/card"
)

// BenchmarkPrint prints a batch end to end: opening each holder's record
// (audited), signing its QR, drawing both barcodes and the PDF, and
// recording the prints. It reports cards per second.
func BenchmarkPrint(b *testing.B) {
	const n = 200
	e := newEnv(b, "")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.issue(b, "b"+strconv.Itoa(i)).ID
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := e.cards.Print(ctx, e.supervisor, ids, card.CardPages); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "cards/s")
}
