package cardphoto_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/cardphoto"
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
// CITYID_PHOTO_ZXING=0 skips ZXingReader.
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
	want := per * len(cardphoto.Conditions)
	if only != nil {
		want = per * len(only)
	}
	shots, err := cardphoto.Load(dir)
	if err != nil || len(shots) != want {
		shots, err = cardphoto.Generate(dir, cardphoto.SetOptions{PerCondition: per, Seed: 1, Only: only,
			Progress: func(done, total int) {
				if done%20 == 0 || done == total {
					t.Logf("generated %d/%d", done, total)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, zerr := os.Stat(zxingReader)
	if os.Getenv("CITYID_PHOTO_ZXING") == "0" {
		zerr = os.ErrNotExist // measure cityid alone
	}
	type tally struct{ n, ours, zx, either int }
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
	fmt.Fprintf(&out, "| condition | photos | cityid | ZXingReader 1.4 |\n|---|---|---|---|\n")
	var all, allOurs, allZX int
	for _, c := range cardphoto.Conditions {
		r := byCond[c.Name]
		if r == nil {
			continue
		}
		all, allOurs, allZX = all+r.n, allOurs+r.ours, allZX+r.zx
		fmt.Fprintf(&out, "| %s | %d | %.0f %% | %.0f %% |\n", c.Name, r.n, pct(r.ours, r.n), pct(r.zx, r.n))
	}
	fmt.Fprintf(&out, "| **all** | %d | %.1f %% | %.1f %% |\n", all, pct(allOurs, all), pct(allZX, all))
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
