package cardphoto_test

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
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
	type tally struct{ n, ours, zx, either, pdf int }
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
	fmt.Fprintf(&out, "| condition | photos | cityid | ZXingReader 1.4 | cityid PDF417 number |\n|---|---|---|---|---|\n")
	var all, allOurs, allZX, allPDF int
	for _, c := range cardphoto.Conditions {
		r := byCond[c.Name]
		if r == nil {
			continue
		}
		all, allOurs, allZX, allPDF = all+r.n, allOurs+r.ours, allZX+r.zx, allPDF+r.pdf
		fmt.Fprintf(&out, "| %s | %d | %.0f %% | %.0f %% | %.0f %% |\n", c.Name, r.n, pct(r.ours, r.n), pct(r.zx, r.n), pct(r.pdf, r.n))
	}
	fmt.Fprintf(&out, "| **all** | %d | %.1f %% | %.1f %% | %.1f %% |\n", all, pct(allOurs, all), pct(allZX, all), pct(allPDF, all))
	slices.Sort(times)
	fmt.Fprintf(&out, "\ncityid decode time per photo: median %v, p95 %v, max %v\n",
		times[len(times)/2].Round(time.Millisecond), times[len(times)*95/100].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	t.Log("\n" + out.String())
}

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
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
