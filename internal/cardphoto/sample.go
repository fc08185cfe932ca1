package cardphoto

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/person"
)

// Card is one synthetic card back with what its codes carry.
type Card struct {
	Back    *image.RGBA // the rendered back at 300 dpi
	Payload string      // the signed QR payload
	Number  string      // the card number (PDF417 DAQ, claim 169 id)
	// QRVersion is the version of the QR symbol (21 + 4·(v−1) modules a side).
	QRVersion int
}

var (
	given    = []string{"José", "María José", "Ana Lucía", "Óscar", "Iñaki", "Zoë", "Thị Ngọc", "Kwame", "Aisha", "François", "Łukasz", "Juan Pablo", "Mónica", "Xochitl"}
	surnames = []string{"Ñúñez Peña", "García López", "Fernández de Córdoba", "O'Brien", "Smith", "Müller", "Ramírez-Ortega", "Nguyễn", "Mensah", "Lefèvre", "de la Cruz Hernández", "Álvarez Núñez"}
	streets  = []string{"Orange St", "Chapel Street", "Grand Avenue", "Ferry St", "Whalley Avenue", "Dixwell Ave"}
)

// Style is the look of the synthetic cards: New Haven's example program.
func Style() render.Style {
	return render.Style{
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

// Face is the face thumbnail carried in the QR: width and height in pixels
// and JPEG quality; the zero value is the card's own (claim169.FaceWidth…),
// and Omit leaves the face out.
type Face struct {
	Width, Height, Quality int
	Omit                   bool
}

// Sample builds synthetic card i (deterministic in i): a varied name,
// sometimes an address, a face thumbnail in a QR signed by s, and the AAMVA
// PDF417, rendered by r; random is the signing randomness.
func Sample(r *render.Renderer, s signing.Signer, random io.Reader, i int, f Face) (Card, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	g, sur := given[rng.IntN(len(given))], surnames[rng.IntN(len(surnames))]
	dob := person.Date{Year: 1935 + rng.IntN(70), Month: time.Month(1 + rng.IntN(12)), Day: 1 + rng.IntN(28)}
	issued := time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	expires := issued.AddDate(5, 0, 0)
	number := fmt.Sprintf("%013d", rng.Int64N(1e13))
	if f.Width == 0 {
		f.Width, f.Height, f.Quality = claim169.FaceWidth, claim169.FaceHeight, claim169.FaceQuality
	}
	face, err := claim169.FaceThumbnailSized(portrait(rng), f.Width, f.Height, f.Quality)
	if err != nil {
		return Card{}, err
	}
	claims := claim169.Claims{ID: number, FullName: g + " " + sur, FirstName: g, LastName: sur,
		DateOfBirth: fmt.Sprintf("%04d%02d%02d", dob.Year, int(dob.Month), dob.Day), Gender: int64(rng.IntN(4)),
		Face: claim169.FaceBiometric(face)}
	if f.Omit {
		claims.Face = nil
	}
	rec := aamva.Record{FamilyName: sur, FirstName: g, BirthDate: dob, IssueDate: person.DateOf(issued), ExpiryDate: person.DateOf(expires),
		IDNumber: number, DocumentDiscriminator: fmt.Sprintf("SAMPLE%06d", i), ProgramName: "Elm City Resident Card", NoAddress: true,
		Address: person.Address{City: "New Haven", State: "CT"}}
	if rng.IntN(2) == 0 {
		a := person.Address{Line1: fmt.Sprintf("%d %s", 1+rng.IntN(2000), streets[rng.IntN(len(streets))]), City: "New Haven", State: "CT", PostalCode: fmt.Sprintf("065%02d", rng.IntN(40))}
		claims.Address = a.Line1 + "\n" + a.City + "\n" + a.State + " " + a.PostalCode
		rec.Address, rec.NoAddress = a, false
	}
	payload, err := claim169.Encode(claims, claim169.Meta{Issuer: "https://id.newhavenct.gov", IssuedAt: issued, NotBefore: issued,
		ExpiresAt: expires, Status: &claim169.StatusRef{URI: "https://id.newhavenct.gov/status/1", Index: rng.Int64N(1 << 17)}}, s, random)
	if err != nil {
		return Card{}, err
	}
	qr, version, err := claim169.QRCode(payload)
	if err != nil {
		return Card{}, err
	}
	bc, err := aamva.NewBarcode(rec, aamva.Options{})
	if err != nil {
		return Card{}, err
	}
	back, err := r.BackPNG(render.Card{Number: number[:4] + " " + number[4:8] + " " + number[8:12] + " " + number[12:], QR: qr, PDF417: bc.Image()})
	if err != nil {
		return Card{}, err
	}
	return Card{Back: back, Payload: payload, Number: number, QRVersion: version}, nil
}

// portrait draws a synthetic ID portrait (no real person): a light
// background, a head and shoulders with shading, hair and eyes, varied in
// tone and shape so the thumbnails compress like real faces do.
func portrait(rng *rand.Rand) image.Image {
	const w, h = 480, 600
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xe4, 0xe9, 0xef, 0xff}), image.Point{}, draw.Src)
	tone := 0.35 + 0.6*rng.Float64()
	skin := [3]float64{0.95 * tone, 0.75 * tone, 0.6 * tone}
	hair := 0.05 + 0.3*rng.Float64()
	hw, hh := 0.22+0.04*rng.Float64(), 0.29+0.04*rng.Float64()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/w-0.5, float64(y)/h-0.45
			d := (fx*fx)/(hw*hw) + (fy*fy)/(hh*hh)
			var c [3]float64
			switch {
			case d <= 1 && fy < -hh*0.55:
				c = [3]float64{hair, hair * 0.8, hair * 0.6}
			case d <= 1:
				shade := 1 - 0.35*d + 0.08*math.Sin(fx*20)
				c = [3]float64{skin[0] * shade, skin[1] * shade, skin[2] * shade}
				for _, ex := range []float64{-0.08, 0.08} {
					if (fx-ex)*(fx-ex)/0.0012+(fy+0.04)*(fy+0.04)/0.0004 < 1 {
						c = [3]float64{0.1, 0.08, 0.07}
					}
				}
				if fx*fx/0.006+(fy-0.16)*(fy-0.16)/0.0003 < 1 {
					c = [3]float64{skin[0] * 0.6, skin[1] * 0.45, skin[2] * 0.45}
				}
			case fy > 0.3 && math.Abs(fx) < (fy-0.2)*1.6:
				c = [3]float64{0.2, 0.25, 0.4}
			default:
				continue
			}
			img.Set(x, y, color.RGBA{uint8(255 * c[0]), uint8(255 * c[1]), uint8(255 * c[2]), 0xff})
		}
	}
	// Round-trip through JPEG like a stored application photo.
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	out, _ := jpeg.Decode(&buf)
	return out
}
