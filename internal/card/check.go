package card

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/credential/statuslist"
)

// Check is what CheckAll found.
type Check struct {
	Cards    int      // cards checked
	Lists    int      // status lists decoded
	Problems []string // one line per problem (card ids, never personal data)
}

// cardWalker is the storage's walk over every card (store.DB has it).
type cardWalker interface {
	EachCard(ctx context.Context, fn func(Record) error) error
}

// CheckAll checks every card against the published status lists: its list
// exists and decodes, and its entry says what its status says (valid,
// suspended or invalid). Used after a restore, where a list and its cards
// that disagree would make verifiers accept a revoked card or refuse a good
// one. It also checks that the signing key of every live card is published.
func (s *Service) CheckAll(ctx context.Context) (Check, error) {
	var c Check
	walker, ok := s.db.(cardWalker)
	if !ok {
		return c, errors.New("card check: the storage cannot list every card")
	}
	rows, err := s.db.StatusLists(ctx)
	if err != nil {
		return c, err
	}
	lists := map[string]*statuslist.List{}
	for _, r := range rows {
		l, err := statuslist.Decode(r.Compressed, r.Bits, r.Size)
		if err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("status list %s does not decode: %v", r.ID, err))
			continue
		}
		lists[r.ID] = l
	}
	c.Lists = len(lists)
	pub, err := s.keys.Published()
	if err != nil {
		return c, fmt.Errorf("signing keys: %w", err)
	}
	err = walker.EachCard(ctx, func(r Record) error {
		c.Cards++
		l, ok := lists[r.StatusListID]
		if !ok {
			c.Problems = append(c.Problems, fmt.Sprintf("card %s: status list %s missing", r.ID, r.StatusListID))
			return nil
		}
		got, err := l.Get(r.StatusIndex)
		if err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("card %s: %v", r.ID, err))
			return nil
		}
		if want := listValue(r.Status); got != want {
			c.Problems = append(c.Problems, fmt.Sprintf("card %s is %s but its status-list entry says %s", r.ID, r.Status, got))
		}
		live := r.Status == StatusActive || r.Status == StatusSuspended
		if _, ok := pub.Lookup(r.KeyID); live && r.KeyID != "" && !ok {
			c.Problems = append(c.Problems, fmt.Sprintf("card %s: signing key %s is not in the keyring", r.ID, r.KeyID))
		}
		return nil
	})
	return c, err
}
