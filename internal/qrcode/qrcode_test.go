package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/cityid/cityid/internal/zxingtest"
)

// zxingRead decodes img, enlarged k times, with zxing-cpp's reader.
func zxingRead(t *testing.T, img *image.Gray, k int) string {
	t.Helper()
	return string(zxingtest.Read(t, Scale(img, k), "QRCode"))
}

// base45 is a pseudo-random string over the Base45 alphabet. It is harder on
// ZXing's detector than real card payloads (Base45 of compressed, signed
// CBOR): 9 in 150 of these need another mask, one real payload in a thousand
// does.
func base45(rng *rand.Rand, n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// TestProofRead prints cards that ZXing's detector could not read with the
// mask the standard's penalty picks. testdata/zxing-confused.txt holds three
// signed card payloads (one per line, found among 1,500 random signatures)
// whose standard rendering ZXing misreads: two at every scale from three
// pixels a module, one at even scales only.
func TestProofRead(t *testing.T) {
	data, err := os.ReadFile("testdata/zxing-confused.txt")
	if err != nil {
		t.Fatal(err)
	}
	payloads := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(payloads) != 3 {
		t.Fatalf("%d payloads in the fixture, want 3", len(payloads))
	}
	for i, payload := range payloads {
		t.Run(fmt.Sprint(i+1), func(t *testing.T) {
			standard, err := standard(payload, M)
			if err != nil {
				t.Fatal(err)
			}
			if ReadsBack(standard, payload) {
				t.Fatal("ZXing reads the standard's rendering of this payload: the fixture no longer shows the fault")
			}
			img, err := EncodeAlphanumeric(payload, M)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(img.Pix, standard.Pix) {
				t.Error("EncodeAlphanumeric returned the rendering ZXing cannot read")
			}
			if got, want := Version(img), Version(standard); got != want {
				t.Errorf("version %d, want %d (another mask needs no more room)", got, want)
			}
			// Scales beyond those proof-read, as a phone held closer gives.
			for k := 3; k <= 8; k++ {
				if !ReadsBackAt(img, payload, k) {
					t.Errorf("gozxing cannot read the code at %d pixels a module", k)
				}
			}
			if out := zxingRead(t, img, 3); out != payload {
				t.Errorf("ZXingReader read %q, want the payload", out)
			}
		})
	}
}

// TestCardSizedCodesRead draws 150 card-sized payloads (1,070 Base45
// characters, version 22 at level M) and reads every one back at three to
// eight pixels a module (not only the proof-read three and four), and one in
// ten with zxing-cpp too. Where ZXing reads the standard's choice, that is
// what is drawn.
func TestCardSizedCodesRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 169))
	changed := 0
	for i := range 150 {
		payload := base45(rng, 1070)
		img, err := EncodeAlphanumeric(payload, M)
		if err != nil {
			t.Fatal(err)
		}
		standard, err := standard(payload, M)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img.Pix, standard.Pix) {
			changed++
			if ReadsBack(standard, payload) {
				t.Errorf("payload %d: the mask was changed though ZXing reads the standard's", i)
			}
		}
		for k := 3; k <= 8; k++ {
			if !ReadsBackAt(img, payload, k) {
				t.Errorf("payload %d: gozxing cannot read it at %d pixels a module", i, k)
			}
		}
		if i%10 == 0 {
			if out := zxingRead(t, img, 3); out != payload {
				t.Errorf("payload %d: ZXingReader read %q", i, out)
			}
		}
	}
	t.Logf("150 card-sized codes, version %d; mask changed on %d", Version(mustEncode(t, base45(rng, 1070), M)), changed)
}

// standard draws text in alphanumeric mode with the mask the standard's
// penalty picks, not proof-read.
func standard(text string, level Level) (*image.Gray, error) {
	seg, err := goqr.MakeAlphanumeric(text)
	if err != nil {
		return nil, err
	}
	return render([]*goqr.QrSegment{seg}, level, -1)
}

func mustEncode(t *testing.T, text string, level Level) *image.Gray {
	t.Helper()
	img, err := EncodeAlphanumeric(text, level)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestEncodeText: the codes of other kinds (lower-case URLs in byte mode, on
// screens at level L or printed at M) read back too.
func TestEncodeText(t *testing.T) {
	request := "openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fid.example.gov%2Fverify%2Fphone%2Fresponse&request_uri=https%3A%2F%2Fid.example.gov%2Fverify%2Fphone%2Frequest%2F" + strings.Repeat("q8ZtR0x", 90)
	for _, tc := range []struct {
		name, text string
		level      Level
	}{
		{"authenticator key", "otpauth://totp/City%20ID:clerk.ana?algorithm=SHA1&digits=6&issuer=City+ID&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", M},
		{"booking code", "CITYID:PRE:7KQ2-M4XD", M},
		{"verifier request", request, L},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Encode(tc.text, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			for k := 3; k <= 8; k++ {
				if !ReadsBackAt(img, tc.text, k) {
					t.Errorf("gozxing cannot read it at %d pixels a module", k)
				}
			}
			if out := zxingRead(t, img, 4); out != tc.text {
				t.Errorf("ZXingReader read %q, want %q", out, tc.text)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := EncodeAlphanumeric("lowercase", M); err == nil {
		t.Error("EncodeAlphanumeric(lowercase) succeeded: alphanumeric mode has no lower case")
	}
	if _, err := EncodeAlphanumeric(strings.Repeat("A", 5000), M); err == nil {
		t.Error("EncodeAlphanumeric(5,000 characters) succeeded, want an error: version 40 holds 3,391 at level M")
	}
	if _, err := Encode(strings.Repeat("a", 3000), M); err == nil {
		t.Error("Encode(3,000 bytes) succeeded, want an error: version 40 holds 2,331 bytes at level M")
	}
}

func TestBareAndScale(t *testing.T) {
	img := mustEncode(t, "CITYID", M)
	bare := Bare(img)
	if got, want := bare.Bounds().Dx(), 21; got != want {
		t.Fatalf("bare code is %d modules wide, want %d (version 1)", got, want)
	}
	big := Scale(bare, 3)
	if big.Bounds().Dx() != 63 || big.Bounds().Min != (image.Point{}) {
		t.Fatalf("scaled bare code has bounds %v, want 63×63 from the origin", big.Bounds())
	}
	// The top-left finder's corner is dark, the module beyond the separator light.
	if big.GrayAt(0, 0).Y != 0 || big.GrayAt(3*7, 0).Y != 0xff {
		t.Error("scaled bare code does not start with the finder pattern")
	}
}

// BenchmarkEncodeCard is the cost of drawing and proof-reading one card's
// code (1,070 characters, version 22).
func BenchmarkEncodeCard(b *testing.B) {
	payload := base45(rand.New(rand.NewPCG(1, 2)), 1070)
	for b.Loop() {
		if _, err := EncodeAlphanumeric(payload, M); err != nil {
			b.Fatal(err)
		}
	}
}
