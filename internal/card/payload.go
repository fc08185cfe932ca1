package card

import (
	"context"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
)

// QRPayload returns the signed payload the card's QR code carries (what a
// handheld scanner types), signed now with the active key, for supervisors
// checking a card and for tests. Opening the holder's data is audited, as
// for Preview.
func (s *Service) QRPayload(ctx context.Context, by auth.Actor, id string) (string, error) {
	if !canManage(by) {
		return "", s.deny(ctx, by, "card.qr", id, errs.ErrForbidden)
	}
	c, app, err := s.open(ctx, by, id, enroll.PurposePrint)
	if err != nil {
		return "", err
	}
	signer, err := s.keys.Active()
	if err != nil {
		return "", err
	}
	_, payload, err := s.artworkPayload(ctx, app, c, signer)
	return payload, err
}
