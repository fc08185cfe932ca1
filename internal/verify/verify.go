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
	Valid     bool           `json:"valid"`
	Reason    string         `json:"reason,omitempty"`
	Claims    map[string]any `json:"claims,omitempty"`
	KeyID     string         `json:"keyId,omitempty"`
	Algorithm string         `json:"alg,omitempty"`
	Issuer    string         `json:"issuer,omitempty"`
	Status    string         `json:"status"`
	IssuedAt  *time.Time     `json:"issuedAt,omitempty"`
	ExpiresAt *time.Time     `json:"expiresAt,omitempty"`
}

// Verify judges payload at time at. Claims are filled only when the signature
// verified (an expired card still shows whose it is); a status-list failure
// fails closed (the verifier asked for it, so "could not check" is not "valid").
func (v *Verifier) Verify(ctx context.Context, payload string, at time.Time) Result {
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
