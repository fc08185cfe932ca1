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

// Error gives status, code, message key and the cause, for the log.
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s %s: %v", e.Status, e.Code, e.Key, e.Cause)
	}
	return fmt.Sprintf("%d %s %s", e.Status, e.Code, e.Key)
}

// Unwrap returns the cause, for errors.Is and errors.As.
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

// known are the errors Classify recognizes, most specific first: the
// refusals that carry their own message, then the shared sentinels.
var known = []struct {
	err       error
	status    int
	code, key string
}{
	{auth.ErrNoSession, http.StatusUnauthorized, "", auth.ErrNoSession.Key},
	{auth.ErrRateLimited, http.StatusTooManyRequests, "", auth.ErrRateLimited.Key},
	{auth.ErrLastAdmin, http.StatusConflict, "", auth.ErrLastAdmin.Key},
	{auth.ErrSameAdministrator, http.StatusForbidden, "", auth.ErrSameAdministrator.Key},
	{auth.ErrRetired, http.StatusConflict, "", auth.ErrRetired.Key},
	{card.ErrReprint, http.StatusConflict, "", "card.error.reprint_grace"},
	{card.ErrState, http.StatusConflict, "", "card.error.state"},
	{card.ErrReason, http.StatusBadRequest, "", "card.error.reason"},
	{enroll.ErrPurpose, http.StatusBadRequest, CodePurposeRequired, ""},
	{errs.ErrForbidden, http.StatusForbidden, "", ""},
	{errs.ErrNotFound, http.StatusNotFound, "", ""},
	{errs.ErrConflict, http.StatusConflict, "", ""},
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
	out := func(status int, key string) *Error {
		return &Error{Status: status, Code: codeFor(status), Key: key, Cause: err}
	}
	for _, k := range known {
		if errors.Is(err, k.err) {
			e := out(k.status, k.key)
			if k.code != "" {
				e.Code = k.code
			}
			return e
		}
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
