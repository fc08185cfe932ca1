package photo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func sizedJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withSegments inserts an EXIF APP1 with a GPS-like payload and a comment after SOI, and junk after EOI.
func withSegments(b []byte) []byte {
	seg := func(marker byte, payload string) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	app1 := seg(0xE1, "Exif\x00\x00GPS 41.3N 72.9W")
	com := seg(0xFE, "secret-ish")
	out := append([]byte{}, b[:2]...)
	out = append(out, app1...)
	out = append(out, com...)
	out = append(out, b[2:]...)
	return append(out, []byte("TRAILING-PAYLOAD")...)
}

func TestNormalizeExactSizeStripsMetadataWithoutReencoding(t *testing.T) {
	s := DefaultSpec()
	orig := sizedJPEG(t, s.Width, s.Height)
	in := withSegments(orig)
	out, err := Normalize(bytes.NewReader(in), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{"Exif", "GPS", "secret-ish", "TRAILING-PAYLOAD"} {
		if bytes.Contains(out, []byte(needle)) {
			t.Errorf("output still contains %q", needle)
		}
	}
	a, err := jpeg.Decode(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	b, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("stripped output does not decode: %v", err)
	}
	if b.Bounds() != a.Bounds() {
		t.Fatalf("bounds %v, want %v", b.Bounds(), a.Bounds())
	}
	for _, p := range []image.Point{{0, 0}, {100, 200}, {599, 749}} {
		if a.At(p.X, p.Y) != b.At(p.X, p.Y) {
			t.Errorf("pixel %v changed: %v → %v (want a lossless strip)", p, a.At(p.X, p.Y), b.At(p.X, p.Y))
		}
	}
}

func TestStripJPEGRefusesWhatItCannotRewrite(t *testing.T) {
	good := sizedJPEG(t, 64, 64)
	tests := []struct {
		name string
		in   []byte
	}{
		{"not a jpeg", []byte("GIF89a....")},
		{"truncated", good[:len(good)/2]},
		{"progressive SOF2", bytes.Replace(good, []byte{0xFF, 0xC0}, []byte{0xFF, 0xC2}, 1)},
		{"adobe app14", append(append([]byte{0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E}, []byte("Adobe\x00\x64\x00\x00\x00\x00\x00")...), good[2:]...)},
	}
	for _, tt := range tests {
		if _, ok := stripJPEG(tt.in); ok {
			t.Errorf("stripJPEG(%s) ok = true, want false", tt.name)
		}
	}
	if _, ok := stripJPEG(good); !ok {
		t.Error("stripJPEG(baseline) ok = false, want true")
	}
}

func FuzzStripJPEG(f *testing.F) {
	f.Add(sizedJPEG(f, 16, 16))
	f.Add(withSegments(sizedJPEG(f, 8, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, ok := stripJPEG(data)
		if !ok {
			return
		}
		if len(out) > len(data) {
			t.Fatalf("stripped output grew: %d > %d", len(out), len(data))
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(out)); err != nil {
			if _, err2 := jpeg.DecodeConfig(bytes.NewReader(data)); err2 == nil {
				t.Fatalf("input header decodes but stripped does not: %v", err)
			}
		}
	})
}
