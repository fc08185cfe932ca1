// Package httplayer is the HTTP layer the staff portal (package web), the
// JSON API (package api) and the resident site (package resident) share,
// so each of those concerns exists once:
//
//   - Error: what a handler returns — the HTTP status, a stable code for
//     programs, the message key a person reads, field errors, and the cause
//     that only the log sees.
//   - Classify: the one mapping from domain errors (the shared sentinels of
//     package errs, and the few domain errors that carry their own message)
//     to an Error.
//   - Responder: the one place an error becomes a response: logged with its
//     cause, then rendered as a page in the reader's language (through the
//     surface's own template) or as JSON for the API.
//   - Headers: the security-header middleware, one Policy per surface.
//   - Proxies and ClientKey: the client's address, from the forwarded
//     headers only when the connection comes from a trusted proxy; every
//     rate limit keys on ClientKey.
//
// TLS, HSTS and Secure cookies build on this layer: Policy.HSTS and the
// Secure flags the surfaces take are the seam.
package httplayer

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Codes are the stable error codes of the JSON API (and of the logs).
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeTooLarge        = "too_large"
	CodeUnsupported     = "unsupported_media_type"
	CodeValidation      = "validation"
	CodePurposeRequired = "purpose_required"
	CodeRateLimited     = "rate_limited"
	CodeBadJSON         = "bad_json"
	CodeInternal        = "internal"
	CodeUnavailable     = "unavailable"
)

// Error is a refused or failed request: Status and Code for programs, Key
// (a message key, translated for the reader) and Fields for people, Cause
// for the log only. A zero Key means "the surface's message for Code".
type Error struct {
	Status int
	Code   string
	Key    string
	Fields person.Errors
	Cause  error
}

// Fail is an Error with a status, a message key and a cause for the log;
// its code follows from the status.
func Fail(status int, key string, cause error) *Error {
	return &Error{Status: status, Code: codeFor(status), Key: key, Cause: cause}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s %s: %v", e.Status, e.Code, e.Key, e.Cause)
	}
	return fmt.Sprintf("%d %s %s", e.Status, e.Code, e.Key)
}

func (e *Error) Unwrap() error { return e.Cause }

// codeFor is the code of a status when a handler gave none.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupported
	case http.StatusUnprocessableEntity:
		return CodeValidation
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}

// Classify maps any error a handler returns to an Error. Errors that carry
// their own message (an *Error, field errors, the login and card refusals)
// keep it; the shared sentinels of package errs map to one status each;
// anything else is an internal error whose cause only the log sees.
func Classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Code == "" {
			e.Code = codeFor(e.Status)
		}
		return e
	}
	var ve *enroll.ValidationError
	if errors.As(err, &ve) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Fields: ve.Fields, Cause: err}
	}
	var pe person.Errors
	if errors.As(err, &pe) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Fields: pe, Cause: err}
	}
	is := func(target error) bool { return errors.Is(err, target) }
	out := func(status int, key string) *Error {
		return &Error{Status: status, Code: codeFor(status), Key: key, Cause: err}
	}
	switch {
	case is(auth.ErrNoSession):
		return out(http.StatusUnauthorized, auth.ErrNoSession.Key)
	case is(auth.ErrRateLimited):
		return out(http.StatusTooManyRequests, auth.ErrRateLimited.Key)
	case is(auth.ErrLocked):
		return out(http.StatusTooManyRequests, auth.ErrLocked.Key)
	case is(auth.ErrLastAdmin):
		return out(http.StatusConflict, auth.ErrLastAdmin.Key)
	case is(card.ErrReprint):
		return out(http.StatusConflict, "card.error.reprint_grace")
	case is(card.ErrState):
		return out(http.StatusConflict, "card.error.state")
	case is(card.ErrReason):
		return out(http.StatusBadRequest, "card.error.reason")
	case is(enroll.ErrPurpose):
		e := out(http.StatusBadRequest, "")
		e.Code = CodePurposeRequired
		return e
	case is(errs.ErrForbidden):
		return out(http.StatusForbidden, "")
	case is(errs.ErrNotFound):
		return out(http.StatusNotFound, "")
	case is(errs.ErrConflict):
		return out(http.StatusConflict, "")
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return out(http.StatusBadRequest, ae.Key)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return out(http.StatusRequestEntityTooLarge, "")
	}
	return out(http.StatusInternalServerError, "")
}

// TooLargeOr reads a body error: over the size limit is 413, anything else
// a 400 (a form or body that could not be read).
func TooLargeOr(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Cause: err}
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Cause: err}
}

// FieldErrors returns the field errors an error carries, or nil.
func FieldErrors(err error) person.Errors {
	var ve *enroll.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	var pe person.Errors
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
