package api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/wallet/present"
)

// SetPublicURL sets the server's public address, under which the wallet's
// response URI (and the credential's issuer) live; without it the request's
// own scheme and host are used.
func (x *API) SetPublicURL(u string) { x.publicURL = strings.TrimRight(u, "/") }

// PresentationRequest is the body of POST /api/v1/presentations.
type PresentationRequest struct {
	// Preset is what to ask the wallet: resident, over21,
	// resident_over21 or name.
	Preset string `json:"preset"`
}

// PresentationStarted is the answer to POST /api/v1/presentations: the
// request to show the resident (as a QR code, or a link on their phone)
// and where to poll for the answer.
type PresentationStarted struct {
	Handle     string    `json:"handle"`
	RequestURI string    `json:"request_uri"` // openid4vp://?…
	Poll       string    `json:"poll"`        // GET this with the same token
	Expires    time.Time `json:"expires"`
	Claims     []string  `json:"claims"` // what is asked for
}

// PresentationResult is GET /api/v1/presentations/{handle}: state is
// "pending", "answered" or "expired"; answer is set once answered.
type PresentationResult struct {
	State  string          `json:"state"`
	Answer *present.Answer `json:"answer,omitempty"`
}

// startPresentation serves POST /api/v1/presentations for verifier
// partners: make a request for one preset's claims. The check is counted
// per token holder and outcome, and nothing else about it is kept.
func (x *API) startPresentation(w http.ResponseWriter, r *http.Request, c *call) error {
	pv := x.svc.Presentations
	if pv == nil {
		return &httplayer.Error{Status: http.StatusServiceUnavailable, Code: "cards_off", Key: "cards_web.error.cards_off"}
	}
	if ok, wait := x.verifyLimit.Allow("present:" + c.Actor.StaffID); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter(wait)))
		return &httplayer.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Key: "cards_web.error.rate_limited"}
	}
	body, err := readBody(w, r, 4<<10)
	if err != nil {
		return err
	}
	var in PresentationRequest
	if err := decodeJSON(bytes.NewReader(body), &in); err != nil {
		return err
	}
	preset, err := present.ParsePreset(in.Preset)
	if err != nil {
		return &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_preset", Key: "present.error.preset", Cause: err}
	}
	req, err := pv.Start(r.Context(), c.Actor.StaffID, preset, x.baseURL(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, PresentationStarted{Handle: req.Handle, RequestURI: req.URI(),
		Poll: "/api/v1/presentations/" + req.Handle, Expires: req.Expires, Claims: preset.Claims()})
	return nil
}

// presentationResult serves GET /api/v1/presentations/{handle}: only the
// token holder who asked may read the answer.
func (x *API) presentationResult(w http.ResponseWriter, r *http.Request, c *call) error {
	pv := x.svc.Presentations
	if pv == nil {
		return &httplayer.Error{Status: http.StatusServiceUnavailable, Code: "cards_off", Key: "cards_web.error.cards_off"}
	}
	p, err := pv.Result(r.Context(), r.PathValue("handle"))
	if errors.Is(err, present.ErrNotFound) || err == nil && p.Partner != c.Actor.StaffID {
		return &httplayer.Error{Status: http.StatusNotFound, Code: "not_found", Key: "present.error.gone", Cause: err}
	}
	if err != nil {
		return err
	}
	out := PresentationResult{State: "pending", Answer: p.Answer}
	switch {
	case p.Answer != nil:
		out.State = "answered"
	case p.Expired:
		out.State = "expired"
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (x *API) baseURL(r *http.Request) string {
	if x.publicURL != "" {
		return x.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
