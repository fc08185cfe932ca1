package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/verify"
)

// Limits of the public verifier page: a phone photo of a card back, and a
// budget per client address (a desk scanning all day stays below it).
const (
	maxVerifyPhoto      = 8 << 20
	verifyPagePerMinute = 30
	verifyPageBurst     = 20
	verifyPageClients   = 10_000
)

// verifier is the public page where anyone checks a card: a handheld 2-D
// scanner types the QR payload into the text box, or a phone uploads a
// photo of the card back. It needs no sign-in and keeps nothing but the
// per-day outcome counters the card service records (partner "web").
type verifier struct {
	s     *Server
	limit *throttle.Limiter
}

// verifyView is what verifier.html shows.
type verifyView struct {
	Tabs      []navLink // card / phone, when phone credentials are on
	Done      bool      // a check was made
	Valid     bool
	Outcome   string // verify.Outcome*: picks the verdict's words and colour
	Retake    bool   // the photo could not be read: advice, not a verdict
	Genuine   bool   // the signature verified: the data below is the city's
	Reason    string
	Status    string
	Expired   bool
	Name      string
	BirthDate string
	Face      template.URL // data: URL of the signed face image, "" when none
	Expires   string
	// Barcode, for an unreadable QR whose PDF417 gave a card number: the
	// number and the records' words for it.
	BarcodeNumber, BarcodeRecord string
}

func (v *verifier) form(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Cache-Control", "no-store")
	p := v.s.newPage(r, c, "cards_web.verify.title")
	p.Data = &verifyView{Tabs: v.tabs(c)}
	return v.s.views.render(w, http.StatusOK, "verifier", "layout", p)
}

// tabs are the verifier page's card and phone tabs; none when phone
// credentials are off.
func (v *verifier) tabs(c *call) []navLink {
	if v.s.svc.Presentations == nil {
		return nil
	}
	return v.s.verifyTabs(c)
}

func (v *verifier) check(w http.ResponseWriter, r *http.Request, c *call) error {
	// Results show a holder's name and face: never cache them.
	w.Header().Set("Cache-Control", "no-store")
	if ok, wait := v.limit.Allow(httplayer.ClientKey(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter(wait)))
		return httplayer.Fail(http.StatusTooManyRequests, "cards_web.error.rate_limited", errors.New("verifier rate limit"))
	}
	payload, number, reason, err := readVerifyForm(w, r, v.s.photos)
	if err != nil {
		return err
	}
	p := v.s.newPage(r, c, "cards_web.verify.title")
	if number != "" {
		// The QR did not read but the PDF417 gave a card number: what the
		// records say about it, never a verdict that the card is genuine.
		res := resultView(c.P, v.s.svc.Cards.CheckNumber(r.Context(), "web", number), v.s.svc.Location)
		res.Tabs = v.tabs(c)
		p.Data = res
		return v.s.views.render(w, http.StatusOK, "verifier", "layout", p)
	}
	if payload == "" && reason == "" {
		p.setErrors(person.Errors{{Field: "payload", Key: "cards_web.verify.payload_required"}})
		p.Data = &verifyView{Tabs: v.tabs(c)}
		return v.s.views.render(w, http.StatusUnprocessableEntity, "verifier", "layout", p)
	}
	res := verify.InputResult(reason)
	if reason == "" {
		res = v.s.svc.Cards.Verify(r.Context(), "web", payload)
	}
	view := resultView(c.P, res, v.s.svc.Location)
	view.Tabs = v.tabs(c)
	p.Data = view
	return v.s.views.render(w, http.StatusOK, "verifier", "layout", p)
}

// readVerifyForm reads the payload typed or scanned into the form, or the
// QR code in an uploaded photo; for a photo whose QR is unreadable it
// returns the card number its PDF417 gave, or else the reason code to show.
func readVerifyForm(w http.ResponseWriter, r *http.Request, photos *verify.Decoder) (payload, number, reason string, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxVerifyPhoto+64<<10)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return "", "", "", httplayer.TooLargeOr(err)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if f, _, ferr := r.FormFile("photo"); ferr == nil {
		defer f.Close()
		return decodePhoto(r.Context(), photos, f)
	} else if !errors.Is(ferr, http.ErrMissingFile) && !errors.Is(ferr, http.ErrNotMultipart) {
		return "", "", "", httplayer.TooLargeOr(ferr)
	}
	payload, reason, err = parsePayloadField(r.PostFormValue("payload"))
	return payload, "", reason, err
}

// parsePayloadField cleans what a scanner typed: surrounding whitespace and
// the Enter it sends; a payload longer than any card's is refused unread.
func parsePayloadField(s string) (payload, reason string, err error) {
	s = strings.TrimSpace(s)
	if len(s) > claim169.MaxPayloadLen {
		return "", verify.ReasonTooLarge, nil
	}
	return s, "", nil
}

func decodePhoto(ctx context.Context, photos *verify.Decoder, f multipart.File) (payload, number, reason string, err error) {
	ph, err := photos.DecodeCardImage(ctx, io.Reader(f), maxVerifyPhoto)
	if err != nil {
		return "", "", verify.InputReason(err), nil
	}
	return strings.TrimSpace(ph.QR), ph.Number, "", nil
}

// resultView turns a verification result into the words on the page.
func resultView(pr i18n.Printer, res verify.Result, loc *time.Location) *verifyView {
	v := &verifyView{Done: true, Valid: res.Valid, Outcome: res.Outcome, Retake: res.Outcome == verify.OutcomeUnreadable,
		Genuine: res.Claims != nil && res.KeyID != "",
		Status:  pr.T("verify.status." + res.Status), Expired: res.Reason == verify.ReasonExpired}
	if res.Reason != "" {
		v.Reason = pr.T("verify.reason." + res.Reason)
	}
	if b := res.Barcode; b != nil {
		v.BarcodeNumber, v.BarcodeRecord = b.Number, pr.T("verify.record."+b.Record)
	}
	if res.ExpiresAt != nil {
		// The QR's exp is the end of the printed expiry day in the program's
		// time zone (older cards: midnight UTC after it, still that day there).
		e := res.ExpiresAt.Add(-time.Second).In(loc)
		v.Expires = printedDate(pr, e.Year(), int(e.Month()), e.Day())
	}
	if res.Claims == nil {
		return v
	}
	v.Name, _ = res.Claims["fullName"].(string)
	dob, _ := res.Claims["dateOfBirth"].(string)
	v.BirthDate = dob
	if len(dob) == 8 {
		y, yerr := strconv.Atoi(dob[:4])
		m, merr := strconv.Atoi(dob[4:6])
		d, derr := strconv.Atoi(dob[6:])
		if yerr == nil && merr == nil && derr == nil && m >= 1 && m <= 12 {
			v.BirthDate = printedDate(pr, y, m, d)
		}
	}
	// verify only ever sets an image data URL here; check anyway, since the
	// template trusts it as a URL.
	if face, _ := res.Claims["face"].(string); strings.HasPrefix(face, "data:image/") && !strings.ContainsAny(face, "\"'<> ") {
		v.Face = template.URL(face)
	}
	return v
}

// printedDate writes a date the way the card prints it ("17 APR 1988",
// "17 ABR 1988": day, month abbreviation in the page's language, year), so
// the verifier compares like with like and no one reads 04/07 the wrong
// way round.
func printedDate(pr i18n.Printer, y, m, d int) string {
	return fmt.Sprintf("%02d %s %04d", d, pr.T(fmt.Sprintf("card.month.%d", m)), y)
}
