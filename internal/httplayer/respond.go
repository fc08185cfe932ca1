package httplayer

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/cityid/cityid/internal/i18n"
)

// Responder turns the errors of one surface into responses. Every surface
// speaks to its own readers (staff, programs, residents), so each gives
// the message key it shows for an error that carries none; everything else
// — classifying, logging the cause, the headers of a refusal, the JSON
// shape — is the same for all three.
type Responder struct {
	Log *slog.Logger
	// Keys maps an error code to the message key the surface shows when
	// the error carries no key of its own. Keys[CodeInternal] is the
	// fallback for a code not in the map.
	Keys map[string]string
}

// Resolve classifies err, fills in its message key, logs it (the cause at
// error level for a server failure, at info level for a refusal; never the
// request's query or form) and sets the headers every error response
// carries. The caller renders e.Key (and e.Fields) with e.Status.
func (rs Responder) Resolve(w http.ResponseWriter, r *http.Request, err error) *Error {
	e := Classify(err)
	if e.Key == "" {
		e = &Error{Status: e.Status, Code: e.Code, Key: rs.key(e.Code), Fields: e.Fields, Cause: e.Cause}
	}
	if rs.Log != nil {
		if e.Status >= 500 {
			rs.Log.Error("request failed", "route", r.Pattern, "status", e.Status, "err", err)
		} else {
			rs.Log.Info("request refused", "route", r.Pattern, "status", e.Status, "code", e.Code, "key", e.Key, "err", err)
		}
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if e.Status == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "60")
	}
	return e
}

func (rs Responder) key(code string) string {
	if k, ok := rs.Keys[code]; ok {
		return k
	}
	return rs.Keys[CodeInternal]
}

// ErrorBody is the JSON of an API error: a stable code, a message in the
// reader's language and, for validation errors, the fields.
type ErrorBody struct {
	Error ErrorJSON `json:"error"`
}

// ErrorJSON is the "error" object of ErrorBody.
type ErrorJSON struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Fields  []FieldJSON `json:"fields,omitempty"`
}

// FieldJSON is one field error: the field, its message key as a code, and
// the message in the reader's language.
type FieldJSON struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// JSON writes err as an ErrorBody in p's language.
func (rs Responder) JSON(w http.ResponseWriter, r *http.Request, p i18n.Printer, err error) {
	e := rs.Resolve(w, r, err)
	body := ErrorBody{Error: ErrorJSON{Code: e.Code, Message: p.T(e.Key)}}
	for _, fe := range e.Fields {
		body.Error.Fields = append(body.Error.Fields, FieldJSON{Field: fe.Field, Code: fe.Key, Message: p.T(fe.Key, "n", fe.N)})
	}
	WriteJSON(w, e.Status, body)
}

// WriteJSON writes v as JSON with status. HTML characters are escaped, so
// a body opened in a browser by mistake cannot run as markup.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
