package cardphoto_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/verify"
)

// faceVariants are the face thumbnails the payload study compares.
var faceVariants = []struct {
	name string
	face cardphoto.Face
}{
	{"48×64 q10 (current)", cardphoto.Face{}},
	{"40×52 q10", cardphoto.Face{Width: 40, Height: 52, Quality: 10}},
	{"36×48 q10", cardphoto.Face{Width: 36, Height: 48, Quality: 10}},
	{"48×64 q5", cardphoto.Face{Width: 48, Height: 64, Quality: 5}},
	{"no face", cardphoto.Face{Omit: true}},
}

// TestQRPayloadStudy reports, for each face-thumbnail variant, the mean
// payload length and the QR versions over 40 synthetic cards; with
// CITYID_PAYLOAD_PHOTOS=N it also photographs N cards per hard condition
// for each variant and reports cityid's decode rate (slow: skipped by
// default).
func TestQRPayloadStudy(t *testing.T) {
	if os.Getenv("CITYID_PAYLOAD_STUDY") == "" {
		t.Skip("set CITYID_PAYLOAD_STUDY=1 (and CITYID_PAYLOAD_PHOTOS=N) to run the QR payload study")
	}
	s, err := signing.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(cardphoto.Style())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "| face | mean payload (chars) | QR versions | modules a side |\n|---|---|---|---|\n")
	for _, v := range faceVariants {
		var chars, minV, maxV = 0, 99, 0
		const n = 40
		for i := range n {
			c, err := cardphoto.Sample(r, s, rand.Reader, i, v.face)
			if err != nil {
				t.Fatal(err)
			}
			chars += len(c.Payload)
			minV, maxV = min(minV, c.QRVersion), max(maxV, c.QRVersion)
		}
		fmt.Fprintf(&out, "| %s | %d | %d–%d | %d–%d |\n", v.name, chars/n, minV, maxV, 17+4*minV, 17+4*maxV)
	}
	t.Log("\n" + out.String())
	per, _ := strconv.Atoi(os.Getenv("CITYID_PAYLOAD_PHOTOS"))
	if per <= 0 {
		return
	}
	hard := []string{"small: fill 30–40 %", "blur σ 1.5–2.5", "low light", "mixed"}
	out.Reset()
	fmt.Fprintf(&out, "| face | %s | all |\n|---|---|---|---|---|---|\n", joinPipe(hard))
	for vi, v := range faceVariants {
		if vi == 1 || vi == 3 {
			continue // the photo comparison: current, smaller, none
		}
		dir := filepath.Join(os.Getenv("CITYID_PHOTO_DIR"), fmt.Sprintf("face%d", vi))
		if os.Getenv("CITYID_PHOTO_DIR") == "" {
			dir = t.TempDir()
		}
		shots, err := cardphoto.Generate(dir, cardphoto.SetOptions{PerCondition: per, Seed: 5, Face: v.face, Only: hard})
		if err != nil {
			t.Fatal(err)
		}
		ok := map[string]int{}
		all := 0
		for _, sh := range shots {
			b, err := os.ReadFile(filepath.Join(dir, sh.File))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := verify.DecodeQRImage(bytes.NewReader(b), 0); got == sh.Payload {
				ok[sh.Condition]++
				all++
			}
		}
		fmt.Fprintf(&out, "| %s |", v.name)
		for _, h := range hard {
			fmt.Fprintf(&out, " %d/%d |", ok[h], per)
		}
		fmt.Fprintf(&out, " %.0f %% |\n", 100*float64(all)/float64(len(shots)))
		t.Logf("variant %s done", v.name)
	}
	t.Log("\n" + out.String())
}

func joinPipe(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(x)
	}
	return b.String()
}
