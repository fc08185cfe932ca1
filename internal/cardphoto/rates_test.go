package cardphoto_test

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/pdf417"
	"github.com/cityid/cityid/internal/verify"
)

const zxingReader = "/usr/bin/ZXingReader"

// TestDecodeRates photographs synthetic cards under every condition
// (CITYID_PHOTO_SET photos per condition; the test is skipped without it)
// and reports, per condition, the share whose QR cityid's decoder and
// Debian's ZXingReader read back exactly, and cityid's decode time. The
// photos stay in CITYID_PHOTO_DIR when it is set (and are reused).
//
//	CITYID_PHOTO_SET=30 go test -run DecodeRates -v -timeout 3h ./internal/cardphoto/
//
// CITYID_PHOTO_ONLY=name,name limits the set to some conditions;
// CITYID_PHOTO_ZXING=0 skips ZXingReader; CITYID_PHOTO_SEED=N draws another
// set (default 1); CITYID_PHOTO_CARDS=N photographs N distinct synthetic
// residents (default 20); CITYID_PHOTO_DECODE=0 only writes the set (to
// make a large one while the machine is busy with something else). The
// last column is the share whose PDF417 alone gives
// the card number (what the verifier falls back on when the QR is
// unreadable).
func TestDecodeRates(t *testing.T) {
	per, _ := strconv.Atoi(os.Getenv("CITYID_PHOTO_SET"))
	if per <= 0 {
		t.Skip("set CITYID_PHOTO_SET=N to measure decode rates on N photos per condition")
	}
	dir := os.Getenv("CITYID_PHOTO_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	var only []string
	if o := os.Getenv("CITYID_PHOTO_ONLY"); o != "" {
		only = strings.Split(o, ",") // condition names
	}
	seed := uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("CITYID_PHOTO_SEED"), 10, 64); err == nil {
		seed = v
	}
	cards, _ := strconv.Atoi(os.Getenv("CITYID_PHOTO_CARDS"))
	want := per * len(cardphoto.Conditions)
	if only != nil {
		want = per * len(only)
	}
	shots, err := cardphoto.Load(dir)
	if err != nil || len(shots) != want {
		shots, err = cardphoto.Generate(dir, cardphoto.SetOptions{PerCondition: per, Seed: seed, Only: only, Cards: cards,
			Progress: func(done, total int) {
				if done%20 == 0 || done == total {
					t.Logf("generated %d/%d", done, total)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("CITYID_PHOTO_DECODE") == "0" {
		t.Logf("wrote %d photos to %s", len(shots), dir)
		return
	}
	_, zerr := os.Stat(zxingReader)
	if os.Getenv("CITYID_PHOTO_ZXING") == "0" {
		zerr = os.ErrNotExist // measure cityid alone
	}
	// pdfOnly: the QR did not read but the PDF417 gave the number (the
	// page's amber answer with the card's record).
	type tally struct{ n, ours, zx, either, pdf, pdfOnly int }
	byCond := map[string]*tally{}
	var times []time.Duration
	for i, s := range shots {
		b, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		c := byCond[s.Condition]
		if c == nil {
			c = &tally{}
			byCond[s.Condition] = c
		}
		c.n++
		start := time.Now()
		got, _ := verify.DecodeQRImage(bytes.NewReader(b), 0)
		times = append(times, time.Since(start))
		ok := got == s.Payload
		if ok {
			c.ours++
		}
		if pdfNumber(t, b) == s.Number {
			c.pdf++
			if !ok {
				c.pdfOnly++
			}
		}
		zok := false
		if zerr == nil {
			out, _ := exec.Command(zxingReader, "-format", "QRCode", "-bytes", filepath.Join(dir, s.File)).Output()
			zok = string(out) == s.Payload
			if zok {
				c.zx++
			}
		}
		if ok || zok {
			c.either++
		}
		if !ok {
			t.Logf("cityid missed %s (%s)", s.File, s.Condition)
		}
		if (i+1)%50 == 0 {
			t.Logf("decoded %d/%d", i+1, len(shots))
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "| condition | photos | cityid QR | 95 %% lower bound | QR or PDF417 number | ZXingReader 1.4 | PDF417 number |\n|---|---|---|---|---|---|---|\n")
	var sum tally
	row := func(name string, r *tally) {
		zx := "not run"
		if zerr == nil {
			zx = frac(r.zx, r.n)
		}
		fmt.Fprintf(&out, "| %s | %d | %s | %.1f %% | %s | %s | %s |\n", name, r.n, frac(r.ours, r.n), 100*wilsonLow(r.ours, r.n), frac(r.ours+r.pdfOnly, r.n), zx, frac(r.pdf, r.n))
	}
	for _, c := range cardphoto.Conditions {
		r := byCond[c.Name]
		if r == nil {
			continue
		}
		sum.n, sum.ours, sum.zx, sum.pdf, sum.pdfOnly = sum.n+r.n, sum.ours+r.ours, sum.zx+r.zx, sum.pdf+r.pdf, sum.pdfOnly+r.pdfOnly
		row(c.Name, r)
	}
	row("**all**", &sum)
	slices.Sort(times)
	fmt.Fprintf(&out, "\ncityid decode time per photo: median %v, p95 %v, max %v\n",
		times[len(times)/2].Round(time.Millisecond), times[len(times)*95/100].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	t.Log("\n" + out.String())
}

// frac writes "k/n (p %)".
func frac(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%.1f %%)", k, n, 100*float64(k)/float64(n))
}

// wilsonLow is the lower end of the 95 % Wilson score interval for k
// successes in n trials: what the sample shows the rate is at least.
func wilsonLow(k, n int) float64 {
	if n == 0 {
		return 0
	}
	const z = 1.96
	p, nf := float64(k)/float64(n), float64(n)
	centre := p + z*z/(2*nf)
	spread := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return (centre - spread) / (1 + z*z/nf)
}

// pdfNumber is the card number the PDF417 in the JPEG photo b gives, or "".
func pdfNumber(t *testing.T, b []byte) string {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bd := img.Bounds()
	gi := image.NewGray(image.Rect(0, 0, bd.Dx(), bd.Dy()))
	draw.Draw(gi, gi.Bounds(), img, bd.Min, draw.Src)
	res, err := pdf417.Decode(pdf417.Grey{W: bd.Dx(), H: bd.Dy(), Pix: gi.Pix})
	if err != nil {
		return ""
	}
	rec, err := aamva.Parse(res.Data)
	if err != nil {
		return ""
	}
	return rec.IDNumber
}

func TestWilsonLow(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want float64 // the 95 % Wilson lower bound, computed independently
	}{{200, 200, 0.9812}, {300, 300, 0.9874}, {57, 60, 0.8630}, {0, 10, 0}} {
		if got := wilsonLow(tc.k, tc.n); math.Abs(got-tc.want) > 0.0005 {
			t.Errorf("wilsonLow(%d, %d) = %.4f, want %.4f", tc.k, tc.n, got, tc.want)
		}
	}
}
