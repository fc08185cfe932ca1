package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/qrcode"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/verify"
	"github.com/cityid/cityid/internal/wallet/present"
)

// pollSeconds is how often the waiting page reloads itself (a meta
// refresh: the page runs no script of its own).
const pollSeconds = 3

// askerCookie holds the handle of the browser's latest phone check, so a
// wallet on the same phone can send its user back to the answer (the
// response endpoint never knows the handle). Scoped to /verify/phone.
const askerCookie = "cityid_vp"

// askerCookieAge outlives a request and the time its answer is kept.
const askerCookieAge = 15 * 60

// phoneVerifier is the verifier page's "phone" tab: the verifier picks what
// to ask, the page shows the request as a QR code (and a link for a wallet
// on the same phone), and once the wallet answered, only what was asked
// and whether the card is still valid.
type phoneVerifier struct {
	s     *Server
	pv    *present.Verifier
	limit *throttle.Limiter
}

// presentView is what verifier_phone.html shows.
type presentView struct {
	Tabs    []navLink
	Presets []option
	// Handle is set once a request exists.
	Handle  string
	Asked   []string     // the asked claims' labels
	URI     template.URL // openid4vp:// request (html/template would refuse the scheme)
	QR      template.URL
	Waiting bool
	Expired bool
	Refresh int
	// The answer.
	Done    bool
	Valid   bool
	Word    string // the verdict in one or two words
	Outcome string
	Reason  string
	Status  string
	Expires string
	Claims  []shownClaim
}

type shownClaim struct{ Label, Value string }

func (s *Server) verifyTabs(c *call) []navLink {
	return []navLink{{Href: "/verify", Label: c.P.T("present.tab.card")}, {Href: "/verify/phone", Label: c.P.T("present.tab.phone")}}
}

func (pv *phoneVerifier) form(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Cache-Control", "no-store")
	p := pv.s.newPage(r, c, "present.title")
	p.Data = pv.formView(c, present.PresetResidentOver21)
	return pv.s.views.render(w, http.StatusOK, "verifier_phone", "layout", p)
}

func (pv *phoneVerifier) formView(c *call, selected present.Preset) *presentView {
	v := &presentView{Tabs: pv.s.verifyTabs(c)}
	for _, pr := range present.Presets() {
		v.Presets = append(v.Presets, option{Value: string(pr), Label: c.P.T("present.preset." + string(pr)), Selected: pr == selected})
	}
	return v
}

func (pv *phoneVerifier) start(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Cache-Control", "no-store")
	if ok, wait := pv.limit.Allow(httplayer.ClientKey(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter(wait)))
		return httplayer.Fail(http.StatusTooManyRequests, "cards_web.error.rate_limited", errors.New("phone verifier rate limit"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		return httplayer.TooLargeOr(err)
	}
	preset, err := present.ParsePreset(r.PostFormValue("preset"))
	if err != nil {
		p := pv.s.newPage(r, c, "present.title")
		p.setErrors(person.Errors{{Field: "preset", Key: "present.error.preset"}})
		p.Data = pv.formView(c, "")
		return pv.s.views.render(w, http.StatusUnprocessableEntity, "verifier_phone", "layout", p)
	}
	req, err := pv.pv.Start(r.Context(), "web", preset, pv.s.baseURL(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: askerCookie, Value: req.Handle, Path: "/verify/phone", HttpOnly: true,
		Secure: pv.s.opts.Secure, SameSite: http.SameSiteLaxMode, MaxAge: askerCookieAge})
	http.Redirect(w, r, "/verify/phone/"+req.Handle, http.StatusSeeOther)
	return nil
}

// back serves GET /verify/phone/return/{id}, where a wallet on the same
// phone sends its user after answering: the browser that asked has the
// handle in its cookie and is sent on to the answer; any other browser
// learns nothing.
func (pv *phoneVerifier) back(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(askerCookie)
	if err != nil {
		return httplayer.Fail(http.StatusNotFound, "present.error.gone", err)
	}
	poll, err := pv.pv.Result(r.Context(), ck.Value)
	if err != nil || poll.Request.ID != r.PathValue("id") {
		return httplayer.Fail(http.StatusNotFound, "present.error.gone", fmt.Errorf("return to a check this browser did not start: %v", err))
	}
	http.Redirect(w, r, "/verify/phone/"+ck.Value, http.StatusSeeOther)
	return nil
}

func (pv *phoneVerifier) show(w http.ResponseWriter, r *http.Request, c *call) error {
	// The answer names a resident: never cache it.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	poll, err := pv.pv.Result(r.Context(), r.PathValue("handle"))
	if errors.Is(err, present.ErrNotFound) {
		return httplayer.Fail(http.StatusNotFound, "present.error.gone", err)
	}
	if err != nil {
		return err
	}
	p := pv.s.newPage(r, c, "present.title")
	v := pv.formView(c, poll.Request.Preset)
	v.Handle = poll.Request.Handle
	for _, name := range poll.Request.Preset.Claims() {
		v.Asked = append(v.Asked, c.P.T("present.claim."+name))
	}
	switch {
	case poll.Answer != nil:
		answerView(v, c, poll.Request, *poll.Answer, pv.s)
	case poll.Expired:
		v.Expired = true
	default:
		uri := poll.Request.URI()
		// Built here from our own request: safe to mark as a URL.
		v.Waiting, v.Refresh, v.URI = true, pollSeconds, template.URL(uri)
		if v.QR, err = requestQR(uri); err != nil {
			return err
		}
	}
	p.Data = v
	return pv.s.views.render(w, http.StatusOK, "verifier_phone", "layout", p)
}

// answerView puts an answer into words: the verdict, the status, and only
// the claims asked for, in the order asked.
func answerView(v *presentView, c *call, req present.Request, a present.Answer, s *Server) {
	v.Done, v.Valid, v.Outcome = true, a.Valid, a.Outcome
	v.Word = c.P.T(phoneOutcomeWord(a.Outcome))
	v.Status = c.P.T("verify.status." + a.Status)
	if a.Reason != "" {
		v.Reason = c.P.T("present.reason." + a.Reason)
	}
	if a.ExpiresAt != nil && a.Valid {
		e := a.ExpiresAt.In(s.svc.Location)
		v.Expires = printedDate(c.P, e.Year(), int(e.Month()), e.Day())
	}
	for _, name := range req.Preset.Claims() {
		val, ok := a.Claims[name]
		if !ok {
			continue
		}
		v.Claims = append(v.Claims, shownClaim{Label: c.P.T("present.claim." + name), Value: claimText(c, val)})
	}
}

// claimText writes a claim's value: yes/no for the age claims, the text
// for names and the city.
func claimText(c *call, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return c.P.T("cards_web.yes")
		}
		return c.P.T("cards_web.no")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// requestQR renders the openid4vp:// request as a QR code PNG data URL.
// Low error correction: a screen is not a scratched card, and the ~850
// characters fit version 20 (97 modules) instead of 23 at medium, so each
// module is bigger on a phone's screen. Proof-read with ZXing (package qrcode).
func requestQR(uri string) (template.URL, error) {
	code, err := qrcode.Encode(uri, qrcode.L)
	if err != nil {
		return "", fmt.Errorf("request qr: %w", err)
	}
	var buf bytes.Buffer
	// The page's styling draws the quiet zone.
	if err := png.Encode(&buf, qrcode.Scale(qrcode.Bare(code), 4)); err != nil {
		return "", fmt.Errorf("request qr: %w", err)
	}
	// Our own PNG bytes only: safe to mark as a URL.
	return template.URL("data:image/png;base64," + encodeBase64(buf.Bytes())), nil
}

// baseURL is the server's address as wallets and browsers reach it: the
// configured public URL, or else the scheme and host of this request.
func (s *Server) baseURL(r *http.Request) string {
	if u := strings.TrimRight(s.opts.PublicURL, "/"); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil || s.opts.Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// walletResponse serves POST /oid4vp/response/{id}: a wallet's answer
// (response mode direct_post). It is not a browser page: no session, no
// cross-origin check (wallets send no Origin), JSON back. A presentation
// that fails verification is still "received" — the verifier who asked
// sees why; the wallet hears only of a request it cannot answer.
func (s *Server) walletResponse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	pv := s.svc.Presentations
	r.Body = http.MaxBytesReader(w, r.Body, present.MaxResponse+4<<10)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the response must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the response could not be read")
		return
	}
	err := pv.Respond(r.Context(), r.PathValue("id"), r.PostForm)
	switch {
	case err == nil:
		// A check made on the page: a wallet on the same phone takes its
		// user back to it (the browser's cookie finds the answer).
		if asker, _ := pv.Asker(r.Context(), r.PathValue("id")); asker == "web" {
			httplayer.WriteJSON(w, http.StatusOK, map[string]string{"redirect_uri": s.baseURL(r) + "/verify/phone/return/" + r.PathValue("id")})
			return
		}
		httplayer.WriteJSON(w, http.StatusOK, struct{}{})
	case errors.Is(err, present.ErrNotFound), errors.Is(err, present.ErrExpired):
		oauthError(w, http.StatusBadRequest, "invalid_request", "this request has expired or does not exist")
	case errors.Is(err, present.ErrAnswered):
		oauthError(w, http.StatusBadRequest, "invalid_request", "this request has already been answered")
	case errors.Is(err, present.ErrState):
		oauthError(w, http.StatusBadRequest, "invalid_request", "state does not match the request")
	default:
		s.log.Error("wallet response", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "the response could not be processed")
	}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	httplayer.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// phoneOutcomeWord is the verdict key for an answer's outcome.
func phoneOutcomeWord(outcome string) string {
	switch outcome {
	case verify.OutcomeValid:
		return "cards_web.verify.valid"
	case verify.OutcomeUnknown:
		return "cards_web.verify.unknown"
	case present.OutcomeDeclined:
		return "present.declined"
	}
	return "cards_web.verify.invalid"
}
