package card

import (
	"context"
	"io"
	"time"

	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/enroll"
)

// Hooks for the external tests (package card_test), which need internal/app
// and so cannot live in package card.

func (s *Service) ArtworkPayloadForTest(ctx context.Context, app *enroll.Application, c Card, signer signing.Signer) (string, error) {
	_, p, err := s.artworkPayload(ctx, app, c, signer)
	return p, err
}

func (s *Service) LocationForTest() *time.Location { return s.loc }

const MinListSizeForTest = minListSize

func (s *Service) FrontFieldsForTest(ctx context.Context, app *enroll.Application, c Card, signer signing.Signer) (map[string]string, error) {
	rc, _, err := s.artworkPayload(ctx, app, c, signer)
	out := map[string]string{}
	for _, f := range rc.Fields {
		out[f.Label] = f.Value
	}
	return out, err
}

// AllocateForTest draws a status-list entry in tx with randomness r.
func (s *Service) AllocateForTest(ctx context.Context, tx Tx, r io.Reader, now time.Time) (string, int, error) {
	saved := s.rand
	s.rand = r
	defer func() { s.rand = saved }()
	return s.allocate(ctx, tx, now)
}
