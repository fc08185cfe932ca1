package card

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
)

// The card desk's work queues after approval: cards to print, printed
// cards awaiting pick-up at a site, and pick-ups overdue. ("Approved, card
// to issue" is a list of applications: enroll.List with StatusApproved.)

// AwaitingPickup lists active cards printed but not handed over, oldest
// first, at siteID (every site when empty), printed before olderThan when
// that is set. A clerk sees only their own site.
func (s *Service) AwaitingPickup(ctx context.Context, by auth.Actor, siteID string, olderThan time.Time, limit int) ([]Card, error) {
	if !by.Can(auth.RoleSupervisor, auth.RoleClerk) {
		return nil, s.deny(ctx, by, "card.list", "pickup", errs.ErrForbidden)
	}
	if by.Role == auth.RoleClerk {
		siteID = by.SiteID
	}
	return s.List(ctx, Filter{Statuses: []Status{StatusActive}, AwaitingPickup: true, SiteID: siteID, PrintedBefore: olderThan, Limit: limit})
}

// PickupOverdueSince is the print time before which an uncollected card is
// overdue (card.pickup_overdue_days).
func (s *Service) PickupOverdueSince() time.Time {
	return s.now().AddDate(0, 0, -s.settings.Card.PickupOverdueDays)
}

// Visible returns card id if by may look at it: supervisors any card,
// clerks the cards of applications taken at their site (a card row holds
// no personal data, but a clerk's desk is their site's).
func (s *Service) Visible(ctx context.Context, by auth.Actor, id string) (Card, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Card{}, err
	}
	if err := s.atDesk(ctx, by, c); err != nil {
		return Card{}, err
	}
	return c, nil
}

// atDesk allows supervisors, and clerks for cards of their own site.
func (s *Service) atDesk(ctx context.Context, by auth.Actor, c Card) error {
	switch by.Role {
	case auth.RoleSupervisor:
		return nil
	case auth.RoleClerk:
		site, err := s.apps.SiteOf(ctx, c.ApplicationID)
		if err != nil {
			return err
		}
		if site != "" && site == by.SiteID {
			return nil
		}
	}
	return s.deny(ctx, by, "card.read", c.ID, errs.ErrForbidden)
}

// RenewalOpen reports whether c may be renewed today: active or expired,
// and today inside the renewal window around its expiry date.
func (s *Service) RenewalOpen(c Card) bool {
	if c.Status != StatusActive && c.Status != StatusExpired {
		return false
	}
	cc := s.settings.Card
	t := s.today().Time()
	exp := c.ExpiresOn.Time()
	return !t.Before(exp.AddDate(0, 0, -cc.RenewalWindowBeforeDays)) && !t.After(exp.AddDate(0, 0, cc.RenewalWindowAfterDays))
}

// BatchResult is what happened to one application of a batch issue.
type BatchResult struct {
	ApplicationID string
	Card          Card  // the new card, when issued
	Err           error // why not: enroll.ErrFourEyes, ErrState, errs.ErrForbidden…
}

// MaxBatch is the most applications one batch issue takes.
const MaxBatch = 200

// IssueBatch issues the cards of approved applications one by one, each in
// its own transaction and with every rule of Issue (four eyes: an approver
// cannot issue the cards of their own approvals). One refusal does not stop
// the rest; each result says what happened.
func (s *Service) IssueBatch(ctx context.Context, by auth.Actor, applicationIDs []string) ([]BatchResult, error) {
	if !canManage(by) {
		return nil, s.deny(ctx, by, "card.issue", "batch", errs.ErrForbidden)
	}
	if len(applicationIDs) == 0 || len(applicationIDs) > MaxBatch {
		return nil, fmt.Errorf("issue batch of %d: want 1 to %d: %w", len(applicationIDs), MaxBatch, ErrBatch)
	}
	out := make([]BatchResult, 0, len(applicationIDs))
	seen := map[string]bool{}
	for _, id := range applicationIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := s.Issue(ctx, by, id)
		if err != nil && !refusal(err) {
			return out, err
		}
		out = append(out, BatchResult{ApplicationID: id, Card: c, Err: err})
	}
	return out, nil
}

// ErrBatch: an empty or too large batch.
var ErrBatch = errors.New("card batch size")

// refusal reports an error that refuses one item rather than failing the batch.
func refusal(err error) bool {
	return errors.Is(err, enroll.ErrFourEyes) || errors.Is(err, ErrState) || errors.Is(err, errs.ErrForbidden) ||
		errors.Is(err, errs.ErrNotFound) || errors.Is(err, enroll.ErrPurpose)
}

// PreviewShown reports whether staff look at c's artwork at all: while it
// waits to be printed or handed over, and for a reprint in the grace
// period. Later work on a card (suspend, revoke) needs no look at the holder.
func (s *Service) PreviewShown(c Card) bool {
	return c.Status == StatusActive && s.reprintAllowed(c, s.now())
}
