package photo

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"testing"
)

// noisyJPEG is a w×h photo-like JPEG (gradients and noise) at quality q,
// colour or gray.
func noisyJPEG(t testing.TB, w, h, q int, gray bool) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i%w/3+i/w/4) + uint8(rng.UintN(30))
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				c.SetRGBA(x, y, color.RGBA{uint8(x/3) + uint8(rng.UintN(30)), uint8(y / 4), uint8((x + y) / 5), 255})
			}
		}
		img = c
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// scanStart is the index of the first byte of entropy-coded data.
func scanStart(j []byte) int {
	i := bytes.Index(j, []byte{0xFF, 0xDA})
	return i + 2 + int(j[i+2])<<8 | int(j[i+3])
}

func TestCheckBaselineAccepts(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"colour q85", noisyJPEG(t, 600, 750, 85, false)},
		{"colour q100", noisyJPEG(t, 600, 750, 100, false)},
		{"colour q1", noisyJPEG(t, 600, 750, 1, false)},
		{"gray", noisyJPEG(t, 600, 750, 85, true)},
		{"odd size", noisyJPEG(t, 601, 749, 85, false)},
		{"one pixel", noisyJPEG(t, 1, 1, 85, false)},
	} {
		if err := checkBaseline(tt.in); err != nil {
			t.Errorf("checkBaseline(%s) = %v, want nil", tt.name, err)
		}
	}
}

func TestCheckBaselineRefuses(t *testing.T) {
	good := noisyJPEG(t, 600, 750, 85, false)
	s := scanStart(good)
	eoi := []byte{0xFF, 0xD9}
	mutate := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		in   []byte
	}{
		{"scan cut in half, EOI added", append(bytes.Clone(good[:s+(len(good)-s)/2]), eoi...)},
		{"scan cut one byte short", append(bytes.Clone(good[:len(good)-3]), eoi...)},
		{"no EOI", good[:len(good)-2]},
		{"bytes after the last block", append(append(bytes.Clone(good[:len(good)-2]), 0x12, 0x34), eoi...)},
		{"trailing data after EOI", append(bytes.Clone(good), 0)},
		{"zeroed scan", mutate(func(b []byte) []byte { clear(b[s+100 : s+400]); return b })},
		{"RST marker where none is due", mutate(func(b []byte) []byte { b[s+200], b[s+201] = 0xFF, 0xD0; return b })},
		{"second scan", mutate(func(b []byte) []byte {
			return append(b[:len(b)-2], append(b[bytes.Index(b, []byte{0xFF, 0xDA}):s], eoi...)...)
		})},
		{"RGB component ids", mutate(func(b []byte) []byte {
			f := bytes.Index(b, []byte{0xFF, 0xC0})
			b[f+10], b[f+13], b[f+16] = 'R', 'G', 'B'
			o := bytes.Index(b, []byte{0xFF, 0xDA})
			b[o+5], b[o+7], b[o+9] = 'R', 'G', 'B'
			return b
		})},
		{"progressive", progressive(good)},
		{"undefined Huffman table", mutate(func(b []byte) []byte {
			o := bytes.Index(b, []byte{0xFF, 0xDA})
			b[o+6] = 0x11
			b[o+8] = 0x11
			b[o+10] = 0x11
			return b
		})},
	}
	for _, tt := range tests {
		if err := checkBaseline(tt.in); err == nil {
			t.Errorf("checkBaseline(%s) = nil, want an error", tt.name)
		}
	}
	// Every single-bit flip in the first part of the scan either keeps a
	// file image/jpeg decodes or is refused.
	for i := s; i < s+300; i++ {
		for bit := range 8 {
			b := bytes.Clone(good)
			b[i] ^= 1 << bit
			if checkBaseline(b) != nil {
				continue
			}
			if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
				t.Fatalf("flip of byte %d bit %d: checkBaseline accepts what image/jpeg refuses: %v", i-s, bit, err)
			}
		}
	}
}

// A photo already at the ID size that is damaged inside its scan is refused
// with the clear error, not stored; the check that lets intake skip the
// decode must not let it through.
func TestNormalizeSpecSizeCorrupt(t *testing.T) {
	sp := DefaultSpec()
	good := withSegments(noisyJPEG(t, sp.Width, sp.Height, 85, false))
	s := scanStart(good)
	eoi := []byte{0xFF, 0xD9}
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"truncated", good[:s+(len(good)-s)/2]},
		{"truncated, EOI added", append(bytes.Clone(good[:s+(len(good)-s)/2]), eoi...)},
		{"header only", good[:s]},
	} {
		out, err := Normalize(bytes.NewReader(tt.in), sp)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("Normalize(%s) = %d bytes, %v; want ErrCorrupt", tt.name, len(out), err)
		}
	}
}

// A spec-size JPEG whose components are named R, G, B with a JFIF segment
// is YCbCr to image/jpeg; stripping the JFIF segment alone would make it
// RGB and change every colour, so it is re-encoded instead.
func TestNormalizeSpecSizeKeepsColoursOfRGBNamedComponents(t *testing.T) {
	sp := DefaultSpec()
	img := image.NewRGBA(image.Rect(0, 0, sp.Width, sp.Height))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{200, 40, 60, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	f := bytes.Index(b, []byte{0xFF, 0xC0})
	b[f+10], b[f+13], b[f+16] = 'R', 'G', 'B'
	o := bytes.Index(b, []byte{0xFF, 0xDA})
	b[o+5], b[o+7], b[o+9] = 'R', 'G', 'B'
	jfif := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	in := append(append(bytes.Clone(b[:2]), jfif...), b[2:]...)
	ref, err := jpeg.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Normalize(bytes.NewReader(in), sp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := color.RGBAModel.Convert(ref.At(300, 375)).(color.RGBA)
	if c := color.RGBAModel.Convert(got.At(300, 375)).(color.RGBA); !near(c, want) {
		t.Errorf("centre pixel = %v, want %v (as the upload decodes)", c, want)
	}
}

// The ID-size fast path decodes no pixels: a full decode of 600×750 at
// 4:2:0 allocates at least its 675 kB of planes.
func TestNormalizeSpecSizeDoesNotDecode(t *testing.T) {
	sp := DefaultSpec()
	in := withSegments(noisyJPEG(t, sp.Width, sp.Height, 85, false))
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Normalize(bytes.NewReader(in), sp); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	if limit := uint64(3*len(in)) + 64<<10; perRun > limit {
		t.Errorf("Normalize of a %d-byte ID-size JPEG allocated %d bytes a run, want ≤ %d (no pixel decode)", len(in), perRun, limit)
	}
}

// FuzzCheckBaseline holds checkBaseline to its promise: whatever it
// accepts, image/jpeg decodes to the header's size and the same pixels as
// the file before stripping.
func FuzzCheckBaseline(f *testing.F) {
	f.Add(noisyJPEG(f, 16, 16, 85, false))
	f.Add(noisyJPEG(f, 24, 8, 50, true))
	f.Add(withSegments(noisyJPEG(f, 9, 17, 100, false)))
	f.Fuzz(func(t *testing.T, in []byte) {
		stripped, ok := stripJPEG(in)
		if !ok || checkBaseline(stripped) != nil {
			return
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(stripped))
		if err != nil {
			t.Fatalf("accepted, but the header does not decode: %v", err)
		}
		if cfg.Width*cfg.Height > 1<<20 {
			return // too slow to decode in a fuzz loop
		}
		got, err := jpeg.Decode(bytes.NewReader(stripped))
		if err != nil {
			t.Fatalf("accepted, but image/jpeg refuses it: %v", err)
		}
		if got.Bounds() != image.Rect(0, 0, cfg.Width, cfg.Height) {
			t.Fatalf("decoded bounds %v, header %dx%d", got.Bounds(), cfg.Width, cfg.Height)
		}
		orig, err := jpeg.Decode(bytes.NewReader(in))
		if err != nil {
			return // the original's metadata may be what is broken
		}
		for _, p := range []image.Point{{0, 0}, {cfg.Width / 2, cfg.Height / 2}, {cfg.Width - 1, cfg.Height - 1}} {
			if orig.At(p.X, p.Y) != got.At(p.X, p.Y) {
				t.Fatalf("pixel %v: %v before stripping, %v after", p, orig.At(p.X, p.Y), got.At(p.X, p.Y))
			}
		}
	})
}

// BenchmarkCheckBaseline is the entropy check alone on a photo-like
// 600×750 colour JPEG (quality 85), as intake runs it on every camera
// capture.
//
//	go test ./internal/photo -run '^$' -bench CheckBaseline -benchtime 2000x
func BenchmarkCheckBaseline(b *testing.B) {
	in := noisyJPEG(b, 600, 750, 85, false)
	stripped, ok := stripJPEG(in)
	if !ok {
		b.Fatal("not strippable")
	}
	b.SetBytes(int64(len(stripped)))
	for b.Loop() {
		if err := checkBaseline(stripped); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
}
