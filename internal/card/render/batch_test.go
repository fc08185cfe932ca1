package render

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/zxingtest"
)

var (
	givenNames = []string{"José", "María José", "Ana Lucía", "Óscar", "Iñaki", "Zoë", "Nguyen Van", "Kwame", "Aisha", "François", "Chloé", "Łukasz", "Ángel Gabriel", "Juan Pablo", "Mónica", "Xochitl"}
	surnames   = []string{"Ñúñez Peña", "García López", "Fernández de Córdoba", "O'Brien", "Smith", "Müller", "Dvořák", "Ramírez-Ortega", "Nguyen", "Mensah", "Lefèvre", "Wójcik", "de la Cruz Hernández", "Pérez", "Álvarez Núñez"}
	streets    = []string{"Orange St", "Chapel Street", "Grand Avenue", "Ferry St", "Whalley Avenue", "Dixwell Ave"}
)

// synthetic builds card i of a synthetic batch: varied names, addresses
// and optional fields, a distinct portrait, a freshly signed QR and an
// AAMVA PDF417.
func synthetic(tb testing.TB, i int, s signing.Signer, base *image.RGBA) (Card, string) {
	tb.Helper()
	r := mrand.New(mrand.NewPCG(uint64(i), 7))
	given := givenNames[r.IntN(len(givenNames))]
	sur := surnames[r.IntN(len(surnames))]
	dob := person.Date{Year: 1930 + r.IntN(90), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
	addr := person.Address{Line1: fmt.Sprintf("%d %s", 1+r.IntN(2000), streets[r.IntN(len(streets))]), City: "New Haven", State: "CT", PostalCode: fmt.Sprintf("065%02d", r.IntN(40))}
	if r.IntN(8) == 0 {
		addr.CareOf = "Columbus House Shelter"
	}
	number := fmt.Sprintf("%013d", r.Int64N(1e13))

	// A distinct portrait: the base with a shifted tone and a mark.
	img := image.NewRGBA(base.Bounds())
	copy(img.Pix, base.Pix)
	draw.Draw(img, image.Rect(r.IntN(500), r.IntN(650), 600, 750), image.NewUniform(color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), 0x80, 0xff}), image.Point{}, draw.Over)
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	face, err := claim169.FaceThumbnail(img)
	if err != nil {
		tb.Fatal(err)
	}
	sex := []person.Sex{person.SexFemale, person.SexMale, person.SexX, person.SexNotShown}[r.IntN(4)]
	gender := map[person.Sex]int64{person.SexFemale: claim169.GenderFemale, person.SexMale: claim169.GenderMale, person.SexX: claim169.GenderOther}[sex]
	claims := claim169.Claims{ID: number, FullName: given + " " + sur, FirstName: given, LastName: sur,
		DateOfBirth: fmt.Sprintf("%04d%02d%02d", dob.Year, int(dob.Month), dob.Day), Gender: gender, Face: claim169.FaceBiometric(face)}
	fields := []Field{
		{Label: "Date of birth / Fecha de nacimiento", Value: dob.Time().Format("01/02/2006")},
		{Label: "Expires / Vence", Value: expires.Format("01/02/2006")},
		{Label: "Issued / Expedida", Value: issued.Format("01/02/2006")},
	}
	if sex != person.SexNotShown {
		fields = append(fields, Field{Label: "Sex / Sexo", Value: string(sex)})
	}
	rec := aamva.Record{FamilyName: sur, FirstName: given, BirthDate: dob, IssueDate: person.DateOf(issued), ExpiryDate: person.DateOf(expires),
		Sex: sex, IDNumber: number, DocumentDiscriminator: fmt.Sprintf("BATCH%06d", i), ProgramName: "Elm City Resident Card", NoAddress: true,
		Address: person.Address{City: "New Haven", State: "CT"}}
	if r.IntN(2) == 0 {
		claims.Address = addr.Line1 + "\n" + addr.City + "\n" + addr.State + " " + addr.PostalCode
		fields = append(fields, Field{Label: "Address / Dirección", Value: addr.Line1 + ", " + addr.City + ", CT " + addr.PostalCode, Wide: true})
		rec.Address, rec.NoAddress = addr, false
	}
	payload, err := claim169.Encode(claims, claim169.Meta{Issuer: "https://id.newhavenct.gov", IssuedAt: issued, NotBefore: issued,
		ExpiresAt: expires, Status: &claim169.StatusRef{URI: "https://id.newhavenct.gov/status/1", Index: r.Int64N(1 << 17)}}, s, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	qr, _, err := claim169.QRCode(payload)
	if err != nil {
		tb.Fatal(err)
	}
	bc, err := aamva.NewBarcode(rec, aamva.Options{})
	if err != nil {
		tb.Fatalf("card %d: %v", i, err)
	}
	return Card{Surnames: sur, GivenNames: given, PhotoJPEG: buf.Bytes(), Number: number[:4] + " " + number[4:8] + " " + number[8:12] + " " + number[12:],
		NumberLabel: "Card No. / Núm. de tarjeta", Fields: fields, QR: qr, PDF417: bc.Image()}, payload
}

func basePortrait(tb testing.TB) *image.RGBA {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(portrait(190)))
	if err != nil {
		tb.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, image.Point{}, draw.Src)
	return out
}

func es256(tb testing.TB) signing.Signer {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := signing.NewSigner(k)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkBatchPDF renders a 1,000-card print batch (front and back
// pages, distinct photos) into one PDF and reports cards per second.
func BenchmarkBatchPDF(b *testing.B) {
	const n = 1000
	r := newRenderer(b)
	s := es256(b)
	base := basePortrait(b)
	cards := make([]Card, n)
	for i := range cards {
		cards[i], _ = synthetic(b, i, s, base)
	}
	b.ResetTimer()
	start := time.Now()
	var size int
	for range b.N {
		cw := &countWriter{}
		if err := r.PDF(cw, cards, PDFOptions{Sheet: CardPages}); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "cards/s")
	b.ReportMetric(float64(size)/n/1024, "KiB/card")
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// TestQRBatchDecodes renders the back of a synthetic batch at 300 dpi and
// reads each QR with ZXingReader, reporting the share that decodes to the
// exact signed payload, the QR versions and the printed QR size. The batch
// is CITYID_QR_BATCH cards (default 20).
func TestQRBatchDecodes(t *testing.T) {
	if _, err := os.Stat(zxingtest.Reader); err != nil {
		t.Skipf("%s is absent (Debian package zxing-cpp-tools): %v", zxingtest.Reader, err)
	}
	n := 20
	if v := os.Getenv("CITYID_QR_BATCH"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("CITYID_QR_BATCH=%q: want a positive number", v)
		}
	}
	r := newRenderer(t)
	s := es256(t)
	base := basePortrait(t)
	dir := t.TempDir()
	type result struct {
		ok              bool
		version         int
		sizeMM, payload float64
	}
	results := make([]result, n)
	cards := make([]Card, n)
	payloads := make([]string, n)
	for i := range n {
		cards[i], payloads[i] = synthetic(t, i, s, base)
	}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, payload := cards[i], payloads[i]
				back, err := r.BackPNG(c)
				if err != nil {
					t.Errorf("card %d: %v", i, err)
					continue
				}
				path := filepath.Join(dir, fmt.Sprintf("back%d.png", i))
				var buf bytes.Buffer
				if err := encodePNG(&buf, back); err != nil {
					t.Error(err)
					continue
				}
				os.WriteFile(path, buf.Bytes(), 0o600)
				out, _ := exec.Command(zxingtest.Reader, "-format", "QRCode", "-bytes", path).Output()
				os.Remove(path)
				m := c.QR.Bounds().Dx()
				k := modulePx(m, min(qrMaxSide, HeightMM-0.3-(1.0+float64(c.PDF417.Bounds().Dy())/pxPerMM+0.2)))
				results[i] = result{ok: string(out) == payload, version: (m - 2*claim169.QRQuietZone - 17) / 4,
					sizeMM: float64((m-2*claim169.QRQuietZone)*k) / pxPerMM, payload: float64(len(payload))}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	ok, minV, maxV, minMM, maxMM, chars := 0, 99, 0, 99.0, 0.0, 0.0
	for _, res := range results {
		if res.ok {
			ok++
		}
		minV, maxV = min(minV, res.version), max(maxV, res.version)
		minMM, maxMM = min(minMM, res.sizeMM), max(maxMM, res.sizeMM)
		chars += res.payload
	}
	t.Logf("QR decoded by ZXingReader from the 300-dpi back: %d of %d (%.1f%%); versions %d–%d; printed %.1f–%.1f mm square (quiet zone excluded); mean payload %.0f characters",
		ok, n, 100*float64(ok)/float64(n), minV, maxV, minMM, maxMM, chars/float64(n))
	if ok != n {
		t.Errorf("%d of %d QR codes did not decode", n-ok, n)
	}
}

func encodePNG(w io.Writer, img image.Image) error {
	e := png.Encoder{CompressionLevel: png.BestSpeed}
	return e.Encode(w, img)
}
