package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/verify"
)

// Limits on POST /api/v1/verify: a photo of a card back is refused above
// maxVerifyImage bytes (decoded); the body is that in base64 plus room for
// the JSON around it.
const (
	maxVerifyImage   = 8 << 20
	maxVerifyBody    = maxVerifyImage/3*4 + 4096
	verifyPerMinute  = 600
	verifyBurst      = 100
	verifyMaxHolders = 10_000
)

// newVerifyLimiter is the per-token budget for verification: a bank's
// branch scanning cards all day stays far below it; a script trying
// payloads does not.
func newVerifyLimiter(now func() time.Time) *throttle.Limiter {
	return throttle.New(verifyPerMinute, verifyBurst, verifyMaxHolders, now)
}

// SetVerifyRate changes the per-token budget of POST /api/v1/verify (a
// partner with a high-volume system, or a load test); burst is a sixth of
// a minute's budget.
func (x *API) SetVerifyRate(perMinute int) {
	if perMinute > 0 {
		x.verifyLimit = throttle.New(perMinute, max(perMinute/6, 1), verifyMaxHolders, x.svc.Now)
		x.svc.Guard.Share(x.verifyLimit, "api.verify")
	}
}

// VerifyRequest is the body of POST /api/v1/verify: the QR payload as a
// scanner reads it, or a PNG/JPEG photo of the card back in base64.
type VerifyRequest struct {
	Payload string `json:"payload,omitempty"`
	Image   string `json:"image,omitempty"`
}

// ParseVerifyRequest reads and checks a verification body, returning the
// payload to verify; for a photo whose QR is unreadable, the card number its
// PDF417 gave, or else the reason code to report.
func ParseVerifyRequest(body []byte) (payload, number, reason string, err error) {
	var req VerifyRequest
	if err := decodeJSON(bytes.NewReader(body), &req); err != nil {
		return "", "", "", err
	}
	p, img := strings.TrimSpace(req.Payload), strings.TrimSpace(req.Image)
	switch {
	case p == "" && img == "":
		return "", "", "", &httplayer.Error{Status: http.StatusBadRequest, Code: "payload_required", Key: "cards_web.api.payload_required"}
	case p != "" && img != "":
		return "", "", "", &httplayer.Error{Status: http.StatusBadRequest, Code: "payload_or_image", Key: "cards_web.api.payload_or_image"}
	case p != "":
		if len(p) > claim169.MaxPayloadLen {
			return "", "", verify.ReasonTooLarge, nil
		}
		return p, "", "", nil
	}
	if base64.StdEncoding.DecodedLen(len(img)) > maxVerifyImage+2 {
		return "", "", verify.ReasonImageTooBig, nil
	}
	raw, err := base64.StdEncoding.DecodeString(img)
	if err != nil {
		return "", "", "", &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_image", Key: "cards_web.api.bad_image", Cause: err}
	}
	ph, err := verify.DecodeCardImage(bytes.NewReader(raw), maxVerifyImage)
	if err != nil {
		return "", "", verify.InputReason(err), nil
	}
	return ph.QR, ph.Number, "", nil
}

// verify serves POST /api/v1/verify for verifier partners (banks, clinics):
// any valid API token may verify; the check is counted per token holder,
// day and outcome, and nothing else about it is kept.
func (x *API) verify(w http.ResponseWriter, r *http.Request, c *call) error {
	if x.svc.Cards == nil {
		return &httplayer.Error{Status: http.StatusServiceUnavailable, Code: "cards_off", Key: "cards_web.error.cards_off"}
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if ok, wait := x.verifyLimit.Allow(hex.EncodeToString(sum[:8])); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter(wait)))
		return &httplayer.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Key: "cards_web.error.rate_limited"}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &httplayer.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Key: "api.error.json"}
	}
	body, err := readBody(w, r, maxVerifyBody)
	if err != nil {
		return err
	}
	payload, number, reason, err := ParseVerifyRequest(body)
	if err != nil {
		return err
	}
	if number != "" {
		writeJSON(w, http.StatusOK, x.svc.Cards.CheckNumber(r.Context(), c.Actor.StaffID, number))
		return nil
	}
	if reason != "" {
		writeJSON(w, http.StatusOK, verify.InputResult(reason))
		return nil
	}
	writeJSON(w, http.StatusOK, x.svc.Cards.Verify(r.Context(), c.Actor.StaffID, payload))
	return nil
}

// readBody reads at most limit bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &httplayer.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "api.error.too_large", Cause: err}
	}
	if err != nil {
		return nil, &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_json", Key: "api.error.json", Cause: err}
	}
	return buf.Bytes(), nil
}
