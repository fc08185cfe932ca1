package pdf417

import (
	"bytes"
	"testing"

	"github.com/boombuler/barcode/pdf417"
	"github.com/makiuchi-d/gozxing/common"
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

// TestDecodePerspective reads a symbol seen at a steep angle: one end
// drawn at 70 % of the other's height, so the modules at the two ends
// differ in size and a width measured with one end's module misjudges the
// number of columns.
func TestDecodePerspective(t *testing.T) {
	data := "@\n\x1e\rANSI 000000100002ID00410120ZC01610017IDDAQ4821093755216\nDCSGARCIA LOPEZ\nDACMARIA\nDBB19840309\r"
	src := symbolImage(t, data, 5, 3, 4)
	W, H := src.W*9/10, src.H*3/2
	// The symbol's corners land on a trapezoid: full height on the left,
	// 70 % on the right, and the right end foreshortened.
	tr := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		20, 20, float64(W-20), float64(H)*0.15, float64(W-20), float64(H)*0.85, 20, float64(H-20),
		0, 0, float64(src.W), 0, float64(src.W), float64(src.H), 0, float64(src.H))
	g := Grey{W: W, H: H, Pix: make([]byte, W*H)}
	pts := make([]float64, 2*W)
	for y := range H {
		for x := range W {
			pts[2*x], pts[2*x+1] = float64(x)+0.5, float64(y)+0.5
		}
		tr.TransformPoints(pts)
		for x := range W {
			g.Pix[y*W+x] = byte(src.at(pts[2*x], pts[2*x+1]))
		}
	}
	res, err := Decode(g)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != data {
		t.Fatalf("read %q, want %q", res.Data, data)
	}
}
