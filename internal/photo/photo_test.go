package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
)

var (
	red    = color.RGBA{220, 20, 20, 255}
	green  = color.RGBA{20, 200, 20, 255}
	blue   = color.RGBA{20, 20, 220, 255}
	yellow = color.RGBA{230, 220, 20, 255}
)

// quadrants is a w×h image: top-left red, top-right green, bottom-left
// blue, bottom-right yellow, so any turn or mirror is visible.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [2][2]color.RGBA{{red, green}, {blue, yellow}}[2*y/h][2*x/w]
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	// An exact palette: the default Plan 9 palette would shift the colors.
	pal := image.NewPaletted(img.Bounds(), color.Palette{red, green, blue, yellow, color.White})
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			pal.Set(x, y, img.At(x, y))
		}
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, pal, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif inserts an APP1 Exif segment (big-endian TIFF, IFD0 holding the
// orientation tag and an ASCII ImageDescription) right after SOI.
func withExif(j []byte, orientation uint16, secret string) []byte {
	desc := []byte(secret + "\x00")
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = binary.BigEndian.AppendUint16(tiff, 2) // entries
	// 0x010E ImageDescription, ASCII, count, offset after the IFD
	tiff = binary.BigEndian.AppendUint16(tiff, 0x010E)
	tiff = binary.BigEndian.AppendUint16(tiff, 2)
	tiff = binary.BigEndian.AppendUint32(tiff, uint32(len(desc)))
	tiff = binary.BigEndian.AppendUint32(tiff, 8+2+2*12+4)
	// 0x0112 Orientation, SHORT, 1, value
	tiff = binary.BigEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.BigEndian.AppendUint16(tiff, 3)
	tiff = binary.BigEndian.AppendUint32(tiff, 1)
	tiff = binary.BigEndian.AppendUint16(tiff, orientation)
	tiff = append(tiff, 0, 0)
	tiff = append(tiff, 0, 0, 0, 0) // no next IFD
	tiff = append(tiff, desc...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// pngHeader is a PNG signature and IHDR claiming w×h, with nothing after.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

type corners struct{ tl, tr, bl, br color.RGBA }

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) < 40 && d(a.G, b.G) < 40 && d(a.B, b.B) < 40
}

// checkOutput verifies what every Normalize output must be and returns its
// corner colors (sampled inside each quadrant).
func checkOutput(t *testing.T, out []byte, s Spec) corners {
	t.Helper()
	if !bytes.HasPrefix(out, []byte{0xFF, 0xD8}) {
		t.Fatalf("output starts % x, want ff d8", out[:min(4, len(out))])
	}
	for _, seg := range segments(out) {
		if seg >= 0xE1 && seg <= 0xEF {
			t.Errorf("output has APP%d segment, want no metadata", seg-0xE0)
		}
	}
	if bytes.Contains(out, []byte("Exif")) {
		t.Error("output contains Exif")
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(s.Width, s.Height) {
		t.Fatalf("output size = %v, want %dx%d", got, s.Width, s.Height)
	}
	at := func(fx, fy float64) color.RGBA {
		return color.RGBAModel.Convert(img.At(int(fx*float64(s.Width)), int(fy*float64(s.Height)))).(color.RGBA)
	}
	return corners{at(.2, .2), at(.8, .2), at(.2, .8), at(.8, .8)}
}

// segments lists the JPEG markers before the scan.
func segments(j []byte) []byte {
	var out []byte
	for i := 2; i+4 <= len(j) && j[i] == 0xFF; {
		m := j[i+1]
		out = append(out, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(j[i+2:]))
	}
	return out
}

func TestNormalize(t *testing.T) {
	s := DefaultSpec()
	upright := corners{red, green, blue, yellow}
	webpData, err := os.ReadFile("testdata/quadrants.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want corners
	}{
		{"png exact size", encPNG(t, quadrants(600, 750)), upright},
		{"png larger", encPNG(t, quadrants(800, 1000)), upright},
		{"jpeg 12 MP-ish", encJPEG(t, quadrants(2400, 3000)), upright},
		{"jpeg small upscaled", encJPEG(t, quadrants(320, 400)), upright},
		{"gif", encGIF(t, quadrants(400, 500)), upright},
		{"webp lossless", webpData, upright},
		// A too-wide image loses its sides: the middle columns are the
		// right edge of red/blue and the left edge of green/yellow.
		{"jpeg landscape cropped", encJPEG(t, quadrants(1600, 1000)), upright},
		{"jpeg exif 1 with text", withExif(encJPEG(t, quadrants(800, 1000)), 1, "GPS 41.3N SECRET"), upright},
		{"jpeg exif 6 (phone held upright)", withExif(encJPEG(t, quadrants(1000, 800)), 6, ""), corners{blue, red, yellow, green}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Normalize(bytes.NewReader(tt.in), s)
			if err != nil {
				t.Fatalf("Normalize = %v", err)
			}
			got := checkOutput(t, out, s)
			if !near(got.tl, tt.want.tl) || !near(got.tr, tt.want.tr) || !near(got.bl, tt.want.bl) || !near(got.br, tt.want.br) {
				t.Errorf("Normalize corners = %v, want %v", got, tt.want)
			}
			if bytes.Contains(out, []byte("SECRET")) {
				t.Error("output keeps the EXIF text")
			}
		})
	}
}

func TestNormalizeOrientations(t *testing.T) {
	s := DefaultSpec()
	want := map[uint16]corners{
		1: {red, green, blue, yellow},
		2: {green, red, yellow, blue},
		3: {yellow, blue, green, red},
		4: {blue, yellow, red, green},
		5: {red, blue, green, yellow},
		6: {blue, red, yellow, green},
		7: {yellow, green, blue, red},
		8: {green, yellow, red, blue},
	}
	for o := uint16(1); o <= 8; o++ {
		w, h := 800, 1000
		if o >= 5 {
			w, h = h, w // stored sideways
		}
		out, err := Normalize(bytes.NewReader(withExif(encJPEG(t, quadrants(w, h)), o, "")), s)
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		got := checkOutput(t, out, s)
		if wc := want[o]; !near(got.tl, wc.tl) || !near(got.tr, wc.tr) || !near(got.bl, wc.bl) || !near(got.br, wc.br) {
			t.Errorf("Normalize(orientation %d) corners = %v, want %v", o, got, wc)
		}
	}
}

func TestNormalizeTransparent(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 500)) // fully transparent
	s := DefaultSpec()
	out, err := Normalize(bytes.NewReader(encPNG(t, img)), s)
	if err != nil {
		t.Fatal(err)
	}
	got := checkOutput(t, out, s)
	white := color.RGBA{255, 255, 255, 255}
	if !near(got.tl, white) || !near(got.br, white) {
		t.Errorf("transparent PNG corners = %v, want white", got)
	}
}

func TestNormalizeRejects(t *testing.T) {
	s := DefaultSpec()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	good := encJPEG(t, quadrants(800, 1000))
	small := s
	small.MaxUploadBytes = 1000
	capped := s
	capped.MaxPixels = 2_000_000
	tests := []struct {
		name    string
		in      []byte
		spec    Spec
		want    error
		wantKey string
	}{
		{"random bytes", random, s, ErrNotImage, KeyNotImage},
		{"empty", nil, s, ErrNotImage, KeyNotImage},
		{"pdf", []byte("%PDF-1.7\n"), s, ErrNotImage, KeyNotImage},
		{"truncated jpeg", good[:len(good)/2], s, ErrCorrupt, KeyCorrupt},
		{"jpeg header only", good[:20], s, ErrCorrupt, KeyCorrupt},
		{"png bomb header", pngHeader(100000, 100000), s, ErrTooManyPixels, KeyTooManyPixels},
		{"png claims size without data", pngHeader(400, 500), s, ErrCorrupt, KeyCorrupt},
		{"16-bit png over half the limit", encPNG(t, image.NewNRGBA64(image.Rect(0, 0, 1000, 1100))), capped, ErrTooManyPixels, KeyTooManyPixels},
		{"progressive jpeg over the limit", progressive(encJPEG(t, quadrants(1000, 1100))), capped, ErrTooManyPixels, KeyTooManyPixels},
		{"tiny", encPNG(t, quadrants(100, 125)), s, ErrTooSmall, KeyTooSmall},
		{"panorama crops too small", encJPEG(t, quadrants(3000, 300)), s, ErrTooSmall, KeyTooSmall},
		{"upload too large", good, small, ErrTooLarge, KeyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Normalize(bytes.NewReader(tt.in), tt.spec)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Normalize(%s) = %d bytes, %v; want %v", tt.name, len(out), err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Key != tt.wantKey {
				t.Errorf("Normalize(%s) error key = %+v, want %q", tt.name, pe, tt.wantKey)
			}
		})
	}
}

// progressive marks a baseline JPEG as progressive (SOF0 → SOF2): enough
// for the header checks, which run before decoding.
func progressive(j []byte) []byte {
	out := bytes.Clone(j)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	out[i+1] = 0xC2
	return out
}

func TestPixelLimitBaseline(t *testing.T) {
	// The same sizes pass as 8-bit PNG and baseline JPEG.
	s := DefaultSpec()
	s.MaxPixels = 2_000_000
	for name, in := range map[string][]byte{
		"8-bit png":     encPNG(t, quadrants(1000, 1100)),
		"baseline jpeg": encJPEG(t, quadrants(1000, 1100)),
	} {
		if _, err := Normalize(bytes.NewReader(in), s); err != nil {
			t.Errorf("Normalize(%s 1000×1100, MaxPixels 2e6) = %v, want success", name, err)
		}
	}
}

func TestNormalizeBombMemory(t *testing.T) {
	in := pngHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Normalize(bytes.NewReader(in), DefaultSpec())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("Normalize(bomb) = %v, want ErrTooManyPixels", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Normalize(bomb) allocated %d bytes, want under 1 MiB", n)
	}
}

func TestNormalizeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Normalize(iotest.ErrReader(boom), DefaultSpec())
	var pe *Error
	if !errors.Is(err, boom) || errors.As(err, &pe) {
		t.Errorf("Normalize(failing reader) = %v, want the read error, not a photo rejection", err)
	}
}

func TestSpecValidate(t *testing.T) {
	for _, mut := range []func(*Spec){
		func(s *Spec) { s.Width = 0 },
		func(s *Spec) { s.Height = 5000 },
		func(s *Spec) { s.Quality = 0 },
		func(s *Spec) { s.Quality = 101 },
		func(s *Spec) { s.MaxPixels = 0 },
		func(s *Spec) { s.MaxUploadBytes = 0 },
		func(s *Spec) { s.MinWidth = -1 },
	} {
		s := DefaultSpec()
		mut(&s)
		if _, err := Normalize(bytes.NewReader(nil), s); err == nil || errors.Is(err, ErrNotImage) {
			t.Errorf("Normalize with spec %+v = %v, want a spec error", s, err)
		}
	}
}

func TestMegabytes(t *testing.T) {
	for n, want := range map[int64]string{10 << 20: "10", 1000: "0.1", 3 << 19: "1.5", 10<<20 - 1: "9.9"} {
		if got := megabytes(n); got != want {
			t.Errorf("megabytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestJPEGProgressive(t *testing.T) {
	j := encJPEG(t, quadrants(16, 16))
	if jpegProgressive(j) {
		t.Error("jpegProgressive(baseline) = true")
	}
	if !jpegProgressive(progressive(j)) {
		t.Error("jpegProgressive(SOF2) = false")
	}
}

func TestJPEGOrientation(t *testing.T) {
	j := encJPEG(t, quadrants(16, 16))
	le := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x22}
	le = append(le, "Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00"...)
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{"none", j, 1},
		{"big-endian 6", withExif(j, 6, "x"), 6},
		{"little-endian 8", append(le, j[2:]...), 8},
		{"out of range 9", withExif(j, 9, ""), 1},
		{"zero", withExif(j, 0, ""), 1},
		{"truncated segment", withExif(j, 6, "")[:30], 1},
		{"not jpeg", []byte("hello"), 1},
	}
	for _, tt := range tests {
		if got := jpegOrientation(tt.in); got != tt.want {
			t.Errorf("jpegOrientation(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestThumbnail(t *testing.T) {
	s := DefaultSpec()
	photo, err := Normalize(bytes.NewReader(encJPEG(t, quadrants(800, 1000))), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, gray := range []bool{true, false} {
		th, err := Thumbnail(photo, 48, 64, 60, gray)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(th))
		if err != nil {
			t.Fatalf("Thumbnail(gray=%v) does not decode: %v", gray, err)
		}
		if got := img.Bounds().Size(); got != image.Pt(48, 64) {
			t.Errorf("Thumbnail(gray=%v) size = %v, want 48x64", gray, got)
		}
		if _, isGray := img.(*image.Gray); isGray != gray {
			t.Errorf("Thumbnail(gray=%v) decodes as %T", gray, img)
		}
		if len(th) > 4000 {
			t.Errorf("Thumbnail(gray=%v) is %d bytes, want a QR-sized image under 4000", gray, len(th))
		}
	}
	if _, err := Thumbnail(encPNG(t, quadrants(48, 64)), 48, 64, 60, true); !errors.Is(err, ErrNotImage) {
		t.Errorf("Thumbnail(PNG) = %v, want ErrNotImage", err)
	}
	if _, err := Thumbnail(photo[:100], 48, 64, 60, true); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Thumbnail(truncated) = %v, want ErrCorrupt", err)
	}
	if _, err := Thumbnail(photo, 0, 64, 60, true); err == nil {
		t.Error("Thumbnail(width 0) succeeded")
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add(encPNG(f, quadrants(40, 50)))
	f.Add(encJPEG(f, quadrants(50, 40)))
	f.Add(withExif(encJPEG(f, quadrants(50, 40)), 6, "desc"))
	f.Add(encGIF(f, quadrants(40, 50)))
	f.Add(pngHeader(1000, 1000))
	// At the spec's size: the path that checks the scan instead of decoding.
	f.Add(withSegments(noisyJPEG(f, 20, 25, 85, false)))
	f.Add(noisyJPEG(f, 20, 25, 50, true))
	if w, err := os.ReadFile("testdata/quadrants.webp"); err == nil {
		f.Add(w)
	}
	s := Spec{Width: 20, Height: 25, MaxUploadBytes: 1 << 20, MinWidth: 1, MinHeight: 1, MaxPixels: 256 * 256, Quality: 75}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Normalize(bytes.NewReader(in), s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Key == "" {
				t.Fatalf("Normalize error %v is not a photo *Error with a key", err)
			}
			return
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("output does not decode: %v", err)
		}
		if img.Bounds().Size() != image.Pt(20, 25) {
			t.Fatalf("output size %v, want 20x25", img.Bounds().Size())
		}
	})
}

// phoneJPEG is a 4000×3000 (12 MP) JPEG with smooth gradients and noise,
// about the size and entropy of a phone photo.
func phoneJPEG(b testing.TB) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range 3000 {
		for x := range 4000 {
			img.Y[img.YOffset(x, y)] = uint8((x/16+y/12)%200) + uint8(rng.UintN(40))
		}
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(100 + i%50)
		img.Cr[i] = uint8(120 + i%30)
	}
	return withExif(encJPEG(b, img), 6, "")
}

func FuzzJPEGOrientation(f *testing.F) {
	j := encJPEG(f, quadrants(8, 8))
	for o := uint16(0); o <= 9; o++ {
		f.Add(withExif(j, o, "x")[:200])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if o := jpegOrientation(in); o < 1 || o > 8 {
			t.Fatalf("jpegOrientation = %d, want 1–8", o)
		}
		jpegProgressive(in)
	})
}

func BenchmarkNormalize12MP(b *testing.B) {
	in := phoneJPEG(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Normalize(bytes.NewReader(in), DefaultSpec()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkScale12MP compares the resampling step alone on a decoded 12 MP
// photo, to justify the two-step choice in scale.
func BenchmarkScale12MP(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(phoneJPEG(b)))
	if err != nil {
		b.Fatal(err)
	}
	crop := centerCrop(img.Bounds(), 750, 600)
	for _, m := range []struct {
		name string
		m    scaleMethod
	}{{"TwoStep", twoStep}, {"CatmullRom", catmullRom}, {"ApproxBiLinear", bilinear}} {
		b.Run(m.name, func(b *testing.B) {
			dst := image.NewRGBA(image.Rect(0, 0, 750, 600))
			for b.Loop() {
				scaleWith(dst, img, crop, m.m)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}

// TestScaleQuality holds the two-step resampling close to a single
// Catmull-Rom pass on a noisy 12 MP photo, where aliasing shows.
func TestScaleQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 12 MP JPEG")
	}
	img, err := jpeg.Decode(bytes.NewReader(phoneJPEG(t)))
	if err != nil {
		t.Fatal(err)
	}
	crop := centerCrop(img.Bounds(), 750, 600)
	run := func(m scaleMethod) *image.RGBA {
		d := image.NewRGBA(image.Rect(0, 0, 750, 600))
		scaleWith(d, img, crop, m)
		return d
	}
	ref := run(catmullRom)
	if got := psnr(ref, run(twoStep)); got < 35 {
		t.Errorf("PSNR(two-step, Catmull-Rom) = %.1f dB, want ≥ 35", got)
	}
	// The check can fail: plain bilinear is far off.
	if got := psnr(ref, run(bilinear)); got > 30 {
		t.Errorf("PSNR(bilinear, Catmull-Rom) = %.1f dB, want < 30 (aliasing)", got)
	}
}

func psnr(a, b *image.RGBA) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	return 10 * math.Log10(255*255*float64(len(a.Pix))/se)
}

func BenchmarkDecode12MP(b *testing.B) {
	in := phoneJPEG(b)
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkNormalizeSpecSize is the intake page's camera capture: a JPEG
// already at the ID size, with a little metadata, which intake only checks
// and strips.
func BenchmarkNormalizeSpecSize(b *testing.B) {
	s := DefaultSpec()
	in := withSegments(sizedJPEG(b, s.Width, s.Height))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Normalize(bytes.NewReader(in), s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
}
