package pdf417

import (
	"bytes"
	"testing"

	"github.com/boombuler/barcode/pdf417"
)

// symbolImage draws data as a PDF417 symbol at scale px per module (rows
// 3 modules tall) with a quiet zone of q modules.
func symbolImage(t testing.TB, data string, level byte, px, q int) Grey {
	g, ok := tryDraw(data, level, px, q)
	if !ok {
		t.Fatalf("the encoder refused %q", data)
	}
	return g
}

// tryDraw is symbolImage without a test: ok is false when the encoder
// refuses the data.
func tryDraw(data string, level byte, px, q int) (Grey, bool) {
	bc, err := pdf417.Encode(data, level)
	if err != nil {
		return Grey{}, false
	}
	r := bc.Bounds()
	rows := r.Dy() / 2
	g := Grey{W: (r.Dx() + 2*q) * px, H: (rows*3 + 2*q) * px}
	g.Pix = bytes.Repeat([]byte{255}, g.W*g.H)
	for row := range rows {
		for x := range r.Dx() {
			c, _, _, _ := bc.At(r.Min.X+x, r.Min.Y+row*2).RGBA()
			if c >= 0x8000 {
				continue
			}
			for dy := range 3 * px {
				for dx := range px {
					g.Pix[((row*3+q)*px+dy)*g.W+(x+q)*px+dx] = 0
				}
			}
		}
	}
	return g, true
}

func TestDecodeDrawnSymbols(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  string
		level byte
		px    int
	}{
		{"text", "HELLO world, this is PDF417: 1 + 1 = 2 (ok?)", 2, 3},
		{"digits", "12345678901234567890123456789012345", 3, 2},
		{"mixed", "@\n\x1e\rANSI 000000100002ID00410120ZC01610017IDDAQ4821093755216\nDCSGARCIA LOPEZ\r", 5, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := symbolImage(t, tc.data, tc.level, tc.px, 4)
			for q := range 4 {
				res, err := Decode(g.rotate(q))
				if err != nil {
					t.Fatalf("quarter turns %d: %v", q, err)
				}
				if string(res.Data) != tc.data {
					t.Fatalf("quarter turns %d: read %q, want %q", q, res.Data, tc.data)
				}
			}
		})
	}
}
