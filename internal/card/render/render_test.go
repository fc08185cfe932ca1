package render

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/zxingtest"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/")

// portrait draws a synthetic 600×750 ID-style portrait (no real face).
func portrait(shade uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 600, 750))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xe8, 0xee, 0xf4, 0xff}), image.Point{}, draw.Src)
	skin := color.RGBA{shade, shade * 3 / 4, shade / 2, 0xff}
	for y := 0; y < 750; y++ {
		for x := 0; x < 600; x++ {
			dx, dy := float64(x-300)/150, float64(y-330)/200
			switch {
			case dx*dx+dy*dy <= 1:
				img.Set(x, y, skin)
			case y > 560 && (x-300)*(x-300) < (y-520)*(y-520)*4:
				img.Set(x, y, color.RGBA{0x33, 0x44, 0x66, 0xff})
			}
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes()
}

// testSigner is an Ed25519 signer from a fixed seed: Ed25519 signatures are
// deterministic, so the golden back image is stable.
func testSigner(t testing.TB) signing.Signer {
	t.Helper()
	s, err := signing.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	issued  = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2031, 3, 2, 0, 0, 0, 0, time.UTC)
)

func testStyle() Style {
	return Style{
		City:    "New Haven",
		Titles:  []string{"Elm City Resident Card", "Tarjeta de Residente de Elm City"},
		Primary: color.RGBA{0x0b, 0x3d, 0x91, 0xff}, Accent: color.RGBA{0xf2, 0xa9, 0x00, 0xff},
		BackLines: []string{
			"This card is the property of the City of New Haven. If found, return it to City Hall.",
			"Esta tarjeta es propiedad de la Ciudad de New Haven. Si la encuentra, devuélvala a la Alcaldía (City Hall).",
			"Verify / Verificar: https://id.newhavenct.gov/verify",
		},
	}
}

// sampleCard builds a complete card for José Ñúñez Peña with a signed QR
// (face thumbnail included) and an AAMVA PDF417.
func sampleCard(t testing.TB, s signing.Signer, photoJPEG []byte) (Card, string) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(photoJPEG))
	if err != nil {
		t.Fatal(err)
	}
	face, err := claim169.FaceThumbnail(img)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := claim169.Encode(claim169.Claims{
		ID: "4821093755216", FullName: "José Ñúñez Peña", FirstName: "José", LastName: "Ñúñez Peña",
		DateOfBirth: "19850714", Gender: claim169.GenderMale, Face: claim169.FaceBiometric(face),
	}, claim169.Meta{Issuer: "https://id.newhavenct.gov", IssuedAt: issued, NotBefore: issued, ExpiresAt: expires,
		Status: &claim169.StatusRef{URI: "https://id.newhavenct.gov/status/1", Index: 98765}}, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	qr, _, err := claim169.QRCode(payload)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := aamva.NewBarcode(aamva.Record{
		FamilyName: "Ñúñez Peña", FirstName: "José", BirthDate: person.Date{Year: 1985, Month: 7, Day: 14},
		IssueDate: person.DateOf(issued), ExpiryDate: person.DateOf(expires), Sex: person.SexMale,
		Address:  person.Address{Line1: "200 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"},
		IDNumber: "4821093755216", DocumentDiscriminator: "CRD7Q2M4XTR9", ProgramName: "Elm City Resident Card",
	}, aamva.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Card{
		Surnames: "Ñúñez Peña", GivenNames: "José", PhotoJPEG: photoJPEG,
		Number: "4821 0937 5521 6", NumberLabel: "Card No. / Núm. de tarjeta",
		Fields: []Field{
			{Label: "Date of birth / Fecha de nac.", Value: "07/14/1985"},
			{Label: "Sex / Sexo", Value: "M"},
			{Label: "Issued / Expedida", Value: "03/02/2026"},
			{Label: "Expires / Vence", Value: "03/02/2031"},
			{Label: "Address / Dirección", Value: "200 Orange St, New Haven, CT 06510", Wide: true},
		},
		Badges: []string{"VETERAN / VETERANO", "DONOR / DONANTE"},
		QR:     qr, PDF417: bc.Image(),
	}, payload
}

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New(testStyle())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPNGSize(t *testing.T) {
	r := newRenderer(t)
	c, _ := sampleCard(t, testSigner(t), portrait(200))
	for name, f := range map[string]func(Card) (*image.RGBA, error){"front": r.FrontPNG, "back": r.BackPNG} {
		img, err := f(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := img.Bounds().Size(); got != (image.Point{WidthPx, HeightPx}) {
			t.Errorf("%s size = %v, want 1011×638 (ID-1 at 300 dpi)", name, got)
		}
	}
}

// TestGolden compares the rendered sides with reviewed images in testdata,
// allowing for small anti-aliasing differences between platforms. Run with
// -update to rewrite them after an intended layout change, then look.
func TestGolden(t *testing.T) {
	r := newRenderer(t)
	c, _ := sampleCard(t, testSigner(t), portrait(200))
	for name, f := range map[string]func(Card) (*image.RGBA, error){"front": r.FrontPNG, "back": r.BackPNG} {
		t.Run(name, func(t *testing.T) {
			got, err := f(c)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".png")
			if *update {
				var buf bytes.Buffer
				if err := png.Encode(&buf, got); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once to create it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if n, total := diffPixels(want, got, 48); float64(n) > 0.002*float64(total) {
				t.Errorf("%s differs from %s in %d of %d pixels, want at most 0.2%%", name, path, n, total)
			}
		})
	}
}

// diffPixels counts pixels whose channels differ by more than tol.
func diffPixels(a, b image.Image, tol int) (int, int) {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return ab.Dx() * ab.Dy(), ab.Dx() * ab.Dy()
	}
	n := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			d := max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2)) >> 8
			if int(d) > tol {
				n++
			}
		}
	}
	return n, ab.Dx() * ab.Dy()
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestPDFStructure(t *testing.T) {
	r := newRenderer(t)
	s := testSigner(t)
	var cards []Card
	for i := 0; i < 5; i++ {
		c, _ := sampleCard(t, s, portrait(uint8(150+i*10)))
		cards = append(cards, c)
	}
	tests := []struct {
		sheet    Sheet
		pages    int
		mediaBox string
	}{
		{CardPages, 10, "[0 0 242.65 153.01]"}, // 85.60 × 53.98 mm in points
		{ProofSheet, 2, "[0 0 612.00 792.00]"}, // US Letter
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := r.PDF(&buf, cards, PDFOptions{Sheet: tt.sheet, Title: "batch", Created: issued}); err != nil {
			t.Fatal(err)
		}
		pdf := buf.String()
		if got := len(regexp.MustCompile(`/Type /Page\b`).FindAllString(pdf, -1)); got != tt.pages {
			t.Errorf("sheet %d: %d pages, want %d", tt.sheet, got, tt.pages)
		}
		if !strings.Contains(pdf, "/MediaBox "+tt.mediaBox) {
			t.Errorf("sheet %d: no page with /MediaBox %s", tt.sheet, tt.mediaBox)
		}
		// Both Go fonts embedded as TrueType subsets, none merely referenced.
		if got := strings.Count(pdf, "/FontFile2"); got != 2 {
			t.Errorf("sheet %d: %d embedded TrueType fonts, want 2 (regular and bold)", tt.sheet, got)
		}
		if got := strings.Count(pdf, "/Subtype /Image"); got != 5 {
			t.Errorf("sheet %d: %d images, want 5 photos (barcodes are vector)", tt.sheet, got)
		}
	}
}

// TestBackDecodes reads both barcodes off the 300-dpi back image with an
// independent decoder, as a verifier's scanner would.
func TestBackDecodes(t *testing.T) {
	r := newRenderer(t)
	s := testSigner(t)
	c, payload := sampleCard(t, s, portrait(180))
	back, err := r.BackPNG(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("QR", func(t *testing.T) {
		got := string(zxingtest.Read(t, back, "QRCode"))
		if got != payload {
			t.Fatalf("ZXingReader read %d characters, want the %d-character payload", len(got), len(payload))
		}
		keys, err := signing.NewKeySet(cose.Key{ID: s.KeyID(), Alg: s.Algorithm(), Public: s.Public()})
		if err != nil {
			t.Fatal(err)
		}
		cred, err := claim169.Decode(got, claim169.Options{Keys: keys, At: issued.Add(time.Hour)})
		if err != nil || !cred.Verified || cred.Claims.FullName != "José Ñúñez Peña" {
			t.Errorf("Decode(scanned QR) = %+v, %v; want a verified credential for José Ñúñez Peña", cred, err)
		}
	})
	t.Run("PDF417", func(t *testing.T) {
		rec, err := aamva.Parse(zxingtest.Read(t, back, "PDF417"))
		if err != nil {
			t.Fatal(err)
		}
		if rec.FamilyName != "NUNEZ PENA" || rec.FirstName != "JOSE" || rec.IDNumber != "4821093755216" {
			t.Errorf("scanned AAMVA = %q %q %q, want NUNEZ PENA, JOSE, 4821093755216", rec.FamilyName, rec.FirstName, rec.IDNumber)
		}
	})
}

func TestLayoutRejectsOverflow(t *testing.T) {
	r := newRenderer(t)
	c, _ := sampleCard(t, testSigner(t), portrait(200))
	c.Surnames = strings.Repeat("Fernández-Villaverde ", 8)
	if _, err := r.FrontPNG(c); err == nil {
		t.Error("FrontPNG with a 160-character surname succeeded, want ErrLayout")
	}
}

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want color.RGBA
		ok   bool
	}{
		{"#0b3d91", color.RGBA{0x0b, 0x3d, 0x91, 0xff}, true},
		{"#FFFFFF", color.RGBA{0xff, 0xff, 0xff, 0xff}, true},
		{"0b3d91", color.RGBA{}, false},
		{"#0b3d9", color.RGBA{}, false},
		{"#zzzzzz", color.RGBA{}, false},
	}
	for _, tt := range tests {
		got, err := ParseColor(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseColor(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{"New Haven": "NH", "San Francisco": "SF", "Ávila": "Á", "City of New York": "CNY", "el paso": ""} {
		if got := initials(in); got != want {
			t.Errorf("initials(%q) = %q, want %q", in, got, want)
		}
	}
}

// A shelter's care-of address is longer than one line of the card at the
// smallest size: it takes two, every field still fits above the card
// number, and nothing overlaps. The demo's residents at shelters got a
// 500 for their card preview before.
func TestLongAddressWrapsToTwoLines(t *testing.T) {
	r := newRenderer(t)
	c, _ := sampleCard(t, testSigner(t), portrait(200))
	const addr = "c/o Columbus House, 586 Ella T. Grasso Boulevard, New Haven CT 06519"
	c.Fields[4].Value = addr
	c.Fields = append(c.Fields, Field{Label: "Emergency contact / Contacto de emergencia", Value: "Ana Ñúñez 203-555-0142", Wide: true})
	if _, err := r.FrontPNG(c); err != nil {
		t.Fatalf("FrontPNG with a care-of address: %v", err)
	}
	if err := r.PDF(io.Discard, []Card{c}, PDFOptions{Sheet: CardPages}); err != nil {
		t.Fatalf("PDF with a care-of address: %v", err)
	}
	ops, err := r.front(r.newMetrics(), c)
	if err != nil {
		t.Fatal(err)
	}
	var texts []textOp
	for _, op := range ops {
		if to, ok := op.(textOp); ok && to.y > fieldsTop-1 && to.x >= colX && to.y < numberBase-4 {
			texts = append(texts, to)
		}
	}
	var addrLines []string
	for i, op := range texts {
		if strings.Contains(addr, op.s) && op.bold {
			addrLines = append(addrLines, op.s)
		}
		if i > 0 && op.x == texts[i-1].x && op.y < texts[i-1].y+op.size*0.3528 {
			t.Errorf("%q at y %.2f mm overlaps %q at y %.2f mm", op.s, op.y, texts[i-1].s, texts[i-1].y)
		}
		if op.y > fieldsBot+0.5 {
			t.Errorf("%q at y %.2f mm is below the fields' area (%.1f mm)", op.s, op.y, fieldsBot)
		}
	}
	if len(addrLines) != 2 || strings.Join(addrLines, " ") != addr {
		t.Errorf("address printed as %q, want it whole on two lines", addrLines)
	}

	// A street address that fits one line stays on one.
	short, _ := sampleCard(t, testSigner(t), portrait(200))
	ops, err = r.front(r.newMetrics(), short)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, op := range ops {
		if to, ok := op.(textOp); ok && to.s == "200 Orange St, New Haven, CT 06510" {
			found = true
		}
	}
	if !found {
		t.Error("a one-line address was not printed on one line")
	}

	// Three lines' worth is still refused, not cut.
	c.Fields[4].Value = strings.Repeat(addr+", ", 2)
	if _, err := r.FrontPNG(c); !errors.Is(err, ErrLayout) {
		t.Errorf("FrontPNG with a three-line address: err = %v, want ErrLayout", err)
	}
}
