// Package card runs the card lifecycle: issuing a card from an approved
// application, printing batches, handing cards over, suspending,
// reinstating, revoking, renewing and replacing them. Every change is
// audited in the same transaction as the change itself and reaches
// verifiers through the card's entry in an IETF Token Status List, which
// this package keeps in the database and serves signed.
//
// A card row holds no personal data. What is printed (and signed into the
// QR) is read from the sealed application at print time, through the
// enroll service, which audits the read.
package card

import (
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Status is a card's state. Active cards verify; suspended ones fail until
// reinstated; revoked and replaced ones fail for good; expired ones fail on
// their printed expiry date.
type Status string

// The statuses.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
	StatusExpired   Status = "expired"
	StatusReplaced  Status = "replaced"
)

// Kind says why a card was made.
type Kind string

// The kinds.
const (
	KindNew         Kind = "new"
	KindRenewal     Kind = "renewal"
	KindReplacement Kind = "replacement"
)

// Reason codes for status changes; their text is the message key
// "card.reason.<code>". Codes, never free text: they go into the audit log.
var (
	SuspendReasons     = []string{"investigation", "reported_lost", "holder_request", "other"}
	ReinstateReasons   = []string{"resolved", "found", "other"}
	RevokeReasons      = []string{"fraud", "duplicate", "deceased", "issued_in_error", "holder_request", "other"}
	ReplacementReasons = []string{"lost", "stolen", "damaged"}
)

// Card is a card as staff see it: no personal data.
type Card struct {
	ID            string
	Number        Number
	ApplicationID string
	PersonID      string
	Kind          Kind
	Status        Status
	StatusListID  string
	StatusIndex   int
	KeyID         string
	IssuedOn      person.Date
	ExpiresOn     person.Date
	PrintedAt     time.Time
	PrintCount    int
	HandedOverAt  time.Time
	Replaces      string
	ReplacedBy    string
	FeeCents      int
	WaiverReason  string
	Reason        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// EffectiveStatus is Status, except that an active card past its expiry
// date is expired even before ExpireDue has recorded it.
func (c Card) EffectiveStatus(today person.Date) Status {
	if c.Status == StatusActive && c.ExpiresOn.Before(today) {
		return StatusExpired
	}
	return c.Status
}

// Errors callers check with errors.Is.
var (
	// ErrState: the card (or application) is not in a state that allows this.
	ErrState = fmt.Errorf("card is not in a state that allows this: %w", errs.ErrConflict)
	// ErrWindow: a renewal outside the renewal window.
	ErrWindow = errors.New("card is outside its renewal window")
	// ErrReprint: a reprint after the grace period; issue a replacement.
	ErrReprint = errors.New("reprint grace period is over")
	// ErrReason: a reason code that is not in the list for this change.
	ErrReason = errors.New("unknown reason code")
)
