package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/signing"
)

// TestDecodeHardTellerPhotos reads photos from the decode-rate sets that
// an earlier decoder missed, each remade exactly (the set's key, card and
// photo parameters):
//
//   - "finder beside PDF417": a clear photo (card half the frame, 6°
//     rotation, 3° and 7° tilt, blur σ 1.3) whose PDF417 edge passes for a
//     finder pattern; zxing's finder search then skips the rows of the
//     QR's top-left pattern and the photo read as "no QR code". Fixed by
//     the row-by-row search (finderCandidates, triplesOf).
//   - "steep tilt, close": the card filling the frame at 11° of tilt about
//     both axes, dim light; the three finder patterns and one guessed
//     corner put the far modules of the 105-module symbol a module or more
//     off. Fixed by fitting the grid to the alignment patterns (refine).
func TestDecodeHardTellerPhotos(t *testing.T) {
	r, err := render.New(cardphoto.Style())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		seed, card int // cardphoto.Generate's seed and card index
		p          cardphoto.Params
	}{
		{"finder beside PDF417", 1, 16, cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.5017336179815748, Rotate: -6.166250441179184,
			TiltX: -3.2693929499931063, TiltY: -6.698973416109863, OffX: 0.019548473366075625, OffY: -0.018435281885231906,
			Blur: 1.3338548605790086, Light: 0.8584836223121302, Uneven: 0.09117897202005493, UnevenAngle: 1.444825319161714,
			Warm: 0.22750627374824908, Noise: 1.795890377898442, Quality: 86, Background: cardphoto.Desk, Seed: 7665737165297390637}},
		{"steep tilt, close", 5, 86, cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.9605361690664618, Rotate: -0.48037985500284763,
			TiltX: -11.477461221144255, TiltY: 11.261990385527671, Blur: 0.6046637528209164, Light: 0.5455668599315198,
			Uneven: 0.19104828772631371, UnevenAngle: 3.396010088938177, Warm: 0.39169030116251474, Noise: 5.687921529416394,
			Quality: 73, Background: cardphoto.Table, Seed: 13966952747612960131}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The key cardphoto.Generate derives from its seed.
			var seed [ed25519.SeedSize]byte
			seed[0] = byte(tc.seed)
			copy(seed[8:], "cityid card photo set")
			signer, err := signing.NewSigner(ed25519.NewKeyFromSeed(seed[:]))
			if err != nil {
				t.Fatal(err)
			}
			c, err := cardphoto.Sample(r, signer, rand.Reader, tc.card, cardphoto.Face{})
			if err != nil {
				t.Fatal(err)
			}
			jpg, err := cardphoto.Photo(c.Back, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeQRImageWithin(bytes.NewReader(jpg), 0, testBackstop)
			if err != nil || got != c.Payload {
				t.Errorf("DecodeQRImage(photo) = %d chars, %v; want the card's %d-char payload", len(got), err, len(c.Payload))
			}
		})
	}
}
