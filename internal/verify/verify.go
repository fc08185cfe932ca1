// Package verify checks a card's QR payload the way a verifier at a clinic,
// bank or police desk would: signature against the city's published keys,
// validity period, and optionally the card's entry in the status list.
// It records nothing about which card was checked.
package verify

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/statuslist"
)

// Reason codes in Result.Reason (stable, machine-readable; the user-facing text
// is the message key "verify.reason.<code>").
const (
	ReasonMalformed         = "malformed"
	ReasonTooLarge          = "too_large"
	ReasonBadSignature      = "bad_signature"
	ReasonUnknownKey        = "unknown_key"
	ReasonBadAlgorithm      = "bad_algorithm"
	ReasonEncrypted         = "encrypted"
	ReasonExpired           = "expired"
	ReasonNotYetValid       = "not_yet_valid"
	ReasonRevoked           = "revoked"
	ReasonSuspended         = "suspended"
	ReasonStatusUnavailable = "status_unavailable"
)

// Status values in Result.Status.
const (
	StatusValid       = "valid"
	StatusRevoked     = "revoked"
	StatusSuspended   = "suspended"
	StatusNotChecked  = "not_checked"
	StatusUnavailable = "unavailable"
)

// Outcomes in Result.Outcome: the one answer a verifier acts on. "The code
// could not be read" is never a verdict on the card: a photo that is too
// blurred, too small or glared over says nothing about whether the card is
// genuine, so it is OutcomeUnreadable (retake the photo), not OutcomeNotGenuine.
const (
	// OutcomeValid: genuine, in date, and not revoked or suspended (or, when
	// Status is StatusNotChecked, no status list was consulted).
	OutcomeValid = "valid"
	// OutcomeInvalid: issued by the city, but expired, not yet valid,
	// revoked or suspended.
	OutcomeInvalid = "invalid"
	// OutcomeNotGenuine: the code was read but is not a card the city
	// signed (altered, signed by an unknown key, or not a card code at all).
	OutcomeNotGenuine = "not_genuine"
	// OutcomeUnreadable: no code could be read from the photo or input.
	OutcomeUnreadable = "unreadable"
	// OutcomeUnknown: genuine and in date, but its status list could not be
	// checked, so it cannot be called valid.
	OutcomeUnknown = "unknown"
)

// AdviceRetake is Result.Advice for an unreadable photo (message key
// "verify.advice.retake"): how to take a photo that reads.
const AdviceRetake = "retake"

// InputResult is the result for input that was refused before any
// verification: reason is an input reason (ReasonNoQR, ReasonImageTooBig,
// ReasonUnreadable: the outcome is OutcomeUnreadable, with advice to retake
// the photo) or ReasonTooLarge for text longer than any card's code.
func InputResult(reason string) Result {
	res := Result{Reason: reason, Status: StatusNotChecked}
	res.Outcome = outcome(res)
	if res.Outcome == OutcomeUnreadable {
		res.Advice = AdviceRetake
	}
	return res
}

// StatusSource looks up a card's entry in the status list at uri.
type StatusSource interface {
	Status(ctx context.Context, uri string, idx int) (statuslist.Status, error)
}

// Verifier verifies QR payloads offline against a key set and, when Status is
// set, against the status list the card points to.
type Verifier struct {
	Keys   claim169.KeyLookup
	Status StatusSource // nil: status is reported as not checked
}

// Result is the outcome of one verification.
type Result struct {
	Valid bool `json:"valid"`
	// Outcome is one of the Outcome constants; Valid is Outcome == OutcomeValid.
	Outcome string `json:"outcome"`
	// Advice is what to do next when the outcome is not a verdict
	// (AdviceRetake), empty otherwise.
	Advice    string         `json:"advice,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	Claims    map[string]any `json:"claims,omitempty"`
	KeyID     string         `json:"keyId,omitempty"`
	Algorithm string         `json:"alg,omitempty"`
	Issuer    string         `json:"issuer,omitempty"`
	Status    string         `json:"status"`
	IssuedAt  *time.Time     `json:"issuedAt,omitempty"`
	ExpiresAt *time.Time     `json:"expiresAt,omitempty"`
	// Barcode is set when the QR could not be read but the PDF417 gave a
	// card number (BarcodeResult); the outcome stays OutcomeUnreadable.
	Barcode *Barcode `json:"barcode,omitempty"`
}

// Verify judges payload at time at. Claims are filled only when the signature
// verified (an expired card still shows whose it is); a status-list failure
// fails closed (the verifier asked for it, so "could not check" is not "valid").
func (v *Verifier) Verify(ctx context.Context, payload string, at time.Time) Result {
	res := v.verify(ctx, payload, at)
	res.Outcome = outcome(res)
	return res
}

func (v *Verifier) verify(ctx context.Context, payload string, at time.Time) Result {
	res := Result{Status: StatusNotChecked}
	cred, err := claim169.Decode(payload, claim169.Options{Keys: v.Keys, At: at})
	if cred != nil {
		res.fill(cred)
	}
	if err != nil {
		res.Reason = reason(err)
		return res
	}
	if ref := cred.Meta.Status; ref != nil && v.Status != nil {
		st, err := v.Status.Status(ctx, ref.URI, int(ref.Index))
		switch {
		case err != nil:
			res.Status, res.Reason = StatusUnavailable, ReasonStatusUnavailable
			return res
		case st == statuslist.Valid:
			res.Status = StatusValid
		case st == statuslist.Suspended:
			res.Status, res.Reason = StatusSuspended, ReasonSuspended
			return res
		default: // Invalid, and any value this version does not know, means no.
			res.Status, res.Reason = StatusRevoked, ReasonRevoked
			return res
		}
	}
	res.Valid = true
	return res
}

func (res *Result) fill(cred *claim169.Credential) {
	res.KeyID, res.Algorithm, res.Issuer = cred.KeyID, cred.Algorithm, cred.Meta.Issuer
	if t := cred.Meta.IssuedAt; !t.IsZero() {
		res.IssuedAt = &t
	}
	if t := cred.Meta.ExpiresAt; !t.IsZero() {
		res.ExpiresAt = &t
	}
	res.Claims = cred.ClaimMap()
	if url := faceDataURL(cred.Claims.Face); url != "" {
		res.Claims["face"] = url
	}
}

// faceDataURL returns the first face image as a data URL for display.
func faceDataURL(face []claim169.Biometric) string {
	types := map[int64]string{0: "image/png", 1: "image/jpeg", 2: "image/jp2", 3: "image/avif", 4: "image/webp"}
	for _, f := range face {
		if t, ok := types[f.SubFormat]; ok && f.Format == claim169.BiometricImage && len(f.Data) > 0 {
			return "data:" + t + ";base64," + base64.StdEncoding.EncodeToString(f.Data)
		}
	}
	return ""
}

// outcome classifies a finished verification.
func outcome(res Result) string {
	switch {
	case res.Valid:
		return OutcomeValid
	case res.Reason == ReasonStatusUnavailable:
		return OutcomeUnknown
	case res.Reason == ReasonNoQR, res.Reason == ReasonImageTooBig, res.Reason == ReasonUnreadable:
		return OutcomeUnreadable
	case res.Reason == ReasonExpired, res.Reason == ReasonNotYetValid, res.Reason == ReasonRevoked, res.Reason == ReasonSuspended:
		return OutcomeInvalid
	}
	return OutcomeNotGenuine
}

// reason maps a decoding error to its reason code.
func reason(err error) string {
	switch {
	case errors.Is(err, claim169.ErrExpired):
		return ReasonExpired
	case errors.Is(err, claim169.ErrNotYetValid):
		return ReasonNotYetValid
	case errors.Is(err, claim169.ErrSignature):
		return ReasonBadSignature
	case errors.Is(err, claim169.ErrUnknownKey):
		return ReasonUnknownKey
	case errors.Is(err, claim169.ErrAlgorithm):
		return ReasonBadAlgorithm
	case errors.Is(err, claim169.ErrEncrypted), errors.Is(err, claim169.ErrDecrypt):
		return ReasonEncrypted
	case errors.Is(err, claim169.ErrTooLarge):
		return ReasonTooLarge
	}
	return ReasonMalformed
}
