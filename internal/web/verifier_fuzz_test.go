package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/verify"
)

// FuzzVerifyForm feeds the verifier's form reader hostile bodies, both
// url-encoded and multipart: it returns a payload, a reason code or an
// HTTP error, never panics, and never a payload longer than a card's.
func FuzzVerifyForm(f *testing.F) {
	ct, body := multipartForm(f, nil, []byte("\x89PNG\r\n\x1a\nnot really"))
	f.Add(ct, body.Bytes())
	f.Add("application/x-www-form-urlencoded", []byte("payload=NCFOXN%25TSMAHK"))
	f.Add("application/x-www-form-urlencoded", []byte("payload=%zz"))
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\nabc\r\n--x--\r\n"))
	f.Add("multipart/form-data", []byte("--"))
	f.Fuzz(func(t *testing.T, contentType string, b []byte) {
		req := httptest.NewRequest(http.MethodPost, "/verify", bytes.NewReader(b))
		req.Header.Set("Content-Type", contentType)
		payload, _, reason, err := readVerifyForm(httptest.NewRecorder(), req, verify.NewDecoder(1))
		var he *httplayer.Error
		switch {
		case err != nil:
			if !errors.As(err, &he) || he.Status < 400 || he.Status >= 500 {
				t.Fatalf("readVerifyForm error %v, want a 4xx", err)
			}
		case reason != "":
			known := []string{verify.ReasonTooLarge, verify.ReasonImageTooBig, verify.ReasonNoQR, verify.ReasonUnreadable}
			if payload != "" || !slices.Contains(known, reason) {
				t.Fatalf("readVerifyForm = %q, reason %q", payload, reason)
			}
		case len(payload) > claim169.MaxPayloadLen:
			t.Fatalf("readVerifyForm payload of %d bytes, over %d", len(payload), claim169.MaxPayloadLen)
		}
	})
}
