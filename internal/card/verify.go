package card

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/verify"
)

// Verify checks a scanned or pasted QR payload for partner (a verifier
// partner id, "" for the public page) against the published keys and the
// local status lists, read straight from the database. It counts the check
// per partner, day and outcome and records nothing else: not the card, not
// the holder.
func (s *Service) Verify(ctx context.Context, partner, payload string) verify.Result {
	keys, err := s.keys.Published()
	if err != nil {
		return verify.Result{Status: verify.StatusUnavailable, Reason: verify.ReasonStatusUnavailable, Outcome: verify.OutcomeUnknown}
	}
	v := verify.Verifier{Keys: keys, Status: localStatus{s.db}}
	res := v.Verify(ctx, payload, s.now())
	outcome := res.Reason
	if res.Valid {
		outcome = verify.StatusValid
	}
	if partner == "" {
		partner = "public"
	}
	// A failed counter update must not fail the verification itself.
	_ = s.db.CountVerification(ctx, s.today().String(), safeID(partner), outcome)
	return res
}

// Counts returns the verification counters for days from..to (YYYY-MM-DD),
// for auditors, administrators and supervisors.
func (s *Service) Counts(ctx context.Context, by auth.Actor, from, to string) ([]VerificationCount, error) {
	if !by.Can(auth.RoleAuditor, auth.RoleAdmin, auth.RoleSupervisor) {
		return nil, fmt.Errorf("verification counts: %w", errs.ErrForbidden)
	}
	return s.db.VerificationCounts(ctx, from, to)
}

// CheckNumber answers for a card number read from a card's PDF417 when its
// QR could not be read: what the city's records say about that number
// (verify.BarcodeResult). The barcode is unsigned, so this is never a
// verdict that the card is genuine. Like Verify it records only a counter
// (outcome "barcode_<record>"), never which card was asked about.
func (s *Service) CheckNumber(ctx context.Context, partner, number string) verify.Result {
	record := verify.RecordUnavailable
	c, err := s.ByNumber(ctx, number)
	switch {
	case errors.Is(err, errs.ErrNotFound), errors.Is(err, ErrFormat), errors.Is(err, ErrCheckDigit):
		record = verify.RecordNotFound
	case err == nil:
		record = map[Status]string{StatusActive: verify.RecordActive, StatusSuspended: verify.RecordSuspended,
			StatusRevoked: verify.RecordRevoked, StatusExpired: verify.RecordExpired, StatusReplaced: verify.RecordReplaced}[c.EffectiveStatus(s.today())]
		if record == "" {
			record = verify.RecordUnavailable
		}
	}
	if partner == "" {
		partner = "public"
	}
	_ = s.db.CountVerification(ctx, s.today().String(), safeID(partner), "barcode_"+record)
	res := verify.BarcodeResult(number, record)
	if n, err := ParseNumber(number); err == nil {
		res.Barcode.Number = n.String()
	}
	return res
}

// PublishedKeys returns the public keys verifiers accept: the keyring's
// active and retired keys (the phone credential's verifier checks issuer
// signatures against them, like the card QR's).
func (s *Service) PublishedKeys() (*signing.KeySet, error) { return s.keys.Published() }

// ListStatus reads entry idx of the local status list at uri (a phone
// credential's status reference) from the database, as Verify does for a
// card: the server never fetches its own lists over HTTP.
func (s *Service) ListStatus(ctx context.Context, uri string, idx int) (statuslist.Status, error) {
	return localStatus{s.db}.Status(ctx, uri, idx)
}

// CountCheck bumps the day's counter of outcome for partner ("" for the
// public page), as Verify does: the count and nothing about the card.
func (s *Service) CountCheck(ctx context.Context, partner, outcome string) {
	if partner == "" {
		partner = "public"
	}
	// A failed counter update must not fail the verification itself.
	_ = s.db.CountVerification(ctx, s.today().String(), safeID(partner), safeID(outcome))
}
