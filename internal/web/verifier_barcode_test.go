package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/verify"
)

// TestVerifyBarcodeWhenQRDestroyed photographs a real card's back whose QR
// is covered (a sticker over it, and a glare spot) so no decoder can read
// it: the page and the API say the code could not be read, give the card
// number from the PDF417 and what the records say about it (active, then
// revoked), warn that the photo and signature were not checked, and never
// call the card genuine or valid — in English and in Spanish.
func TestVerifyBarcodeWhenQRDestroyed(t *testing.T) {
	ce := newCardEnv(t)
	ctx := context.Background()
	id := ce.issue(t)
	c, err := ce.app.Cards.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	backPNG, err := ce.app.Cards.Preview(ctx, ce.supActor, id, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(bytes.NewReader(backPNG))
	if err != nil {
		t.Fatal(err)
	}
	back := image.NewRGBA(src.Bounds())
	draw.Draw(back, back.Bounds(), src, src.Bounds().Min, draw.Src)
	// The QR sits below the PDF417 on the left: cover it whole.
	b := back.Bounds()
	draw.Draw(back, image.Rect(0, b.Dy()*46/100, b.Dx()*35/100, b.Dy()), image.NewUniform(color.RGBA{0xe8, 0xe4, 0xd8, 0xff}), image.Point{}, draw.Src)
	jpg, err := cardphoto.Photo(back, cardphoto.Params{FrameW: 2000, FrameH: 1500, Fill: 0.6, Rotate: 3, TiltX: 2, TiltY: -2,
		Blur: 0.8, Light: 0.95, Uneven: 0.1, Glare: 0.6, GlareX: 0.2, GlareY: 0.7, GlareR: 0.08, Noise: 2, Quality: 88,
		Background: cardphoto.Table, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify.DecodeQRImage(bytes.NewReader(jpg), 0); err == nil {
		t.Fatal("the covered QR still reads: the test would not exercise the barcode")
	}

	post := func(lang string) string {
		t.Helper()
		cl := ce.client()
		if lang == "es" {
			cl.get(t, "/lang/es?next=/verify")
		}
		ct, body := multipartForm(t, url.Values{}, jpg)
		req, _ := http.NewRequest(http.MethodPost, ce.ts.URL+"/verify", body)
		req.Header.Set("Content-Type", ct)
		r := cl.do(t, req)
		if r.Status != http.StatusOK {
			t.Fatalf("POST /verify = %d", r.Status)
		}
		if !strings.Contains(r.Body, `data-outcome="unreadable"`) || strings.Contains(r.Body, "verdict-ok") {
			t.Errorf("page is not the amber unreadable answer: %s", text(r.Body))
		}
		return text(r.Body)
	}
	want := func(got string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(got, p) {
				t.Errorf("page does not say %q: %s", p, got)
			}
		}
		for _, p := range []string{"GENUINE AND VALID", "AUTÉNTICA Y VÁLIDA", "NOT VALID", "NO VÁLIDA"} {
			if strings.Contains(got, p) {
				t.Errorf("page says %q for an unread QR: %s", p, got)
			}
		}
	}
	number := c.Number.String()
	want(post("en"), "COULD NOT READ THE CODE", "The barcode (PDF417) gives card number", number, "active (valid)", "The photo and the signature were not checked", "Compare the person with the card")
	want(post("es"), "NO SE PUDO LEER EL CÓDIGO", "El código de barras (PDF417) indica la tarjeta número", number, "activa (válida)", "No se comprobaron la foto ni la firma")

	tok := ce.token(t, "clerk1")
	apiCheck := func(record string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"image": base64.StdEncoding.EncodeToString(jpg)})
		r := ce.apiVerify(t, tok, body)
		var res verify.Result
		if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != http.StatusOK {
			t.Fatalf("API verify = %d %s (%v)", r.Status, r.Body, err)
		}
		if res.Valid || res.Outcome != verify.OutcomeUnreadable || res.Advice != verify.AdviceRetake || res.Claims != nil ||
			res.Barcode == nil || res.Barcode.Number != number || res.Barcode.Record != record {
			t.Errorf("API verify = %s, want unreadable with barcode %s %s", r.Body, number, record)
		}
	}
	apiCheck(verify.RecordActive)

	if _, err := ce.app.Cards.Revoke(ctx, ce.supActor, id, "fraud"); err != nil {
		t.Fatal(err)
	}
	want(post("en"), "COULD NOT READ THE CODE", number, "revoked")
	want(post("es"), number, "revocada")
	apiCheck(verify.RecordRevoked)
}
