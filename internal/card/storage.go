package card

import (
	"context"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/enroll"
)

// Store is the storage the card lifecycle needs; package store implements
// it (store.DB.Cards). Lookups that find nothing return an error wrapping
// errs.ErrNotFound; a lost race (a number or list index already drawn, a
// status or list version changed meanwhile) is errs.ErrWriteConflict.
type Store interface {
	// InTx runs fn in one write transaction: a card change, its status-list
	// entry and its audit event commit together or not at all.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Audit chains an event that records no change (a refusal, a report
	// with nothing to change) on its own and returns once it is committed;
	// concurrent calls are written together, a batch per transaction.
	Audit(ctx context.Context, e audit.Event) error

	Card(ctx context.Context, id string) (Record, error)
	// CardByNumber finds a card by its compact 13-digit number.
	CardByNumber(ctx context.Context, number string) (Record, error)
	// ListCards returns cards oldest first; the limit defaults to 50 and is
	// at most 1000.
	ListCards(ctx context.Context, f Filter) ([]Record, error)

	StatusList(ctx context.Context, id string) (StatusListRecord, error)
	StatusListByURI(ctx context.Context, uri string) (StatusListRecord, error)
	StatusLists(ctx context.Context) ([]StatusListRecord, error) // oldest first

	// CountVerification adds one check by partner on day (YYYY-MM-DD) with
	// outcome; only the count is kept, never which card was checked.
	CountVerification(ctx context.Context, day, partner, outcome string) error
	// VerificationCounts returns the counters for days from..to, inclusive.
	VerificationCounts(ctx context.Context, from, to string) ([]VerificationCount, error)

	// LivePhoneCredentials counts a card's phone credentials not revoked and
	// the newest one's issue time.
	LivePhoneCredentials(ctx context.Context, cardID string) (int, time.Time, error)

	// PendingCardReviews lists cards waiting for a second review, oldest first.
	PendingCardReviews(ctx context.Context, limit int) ([]ReviewRecord, error)
	// AuditEvents lists audit events, newest first.
	AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error)
}

// ReviewRecord is a card listed for a second review (four eyes waived at a
// single-person site).
type ReviewRecord struct {
	CardID     string
	Reason     string
	CreatedAt  time.Time
	ReviewedBy string
	ReviewedAt time.Time
}

// Tx is a write transaction of the card lifecycle.
type Tx interface {
	Card(ctx context.Context, id string) (Record, error)
	// InsertCard: a number or list index already taken is errs.ErrWriteConflict.
	InsertCard(ctx context.Context, r Record) error
	// SetCardStatus: errs.ErrWriteConflict when the card is no longer in status from.
	SetCardStatus(ctx context.Context, id string, from, to Status, reason string, at time.Time) error
	// SetCardReplacedBy records the card that renews or replaces id and
	// retires id (StatusReplaced) if it is still in status from.
	SetCardReplacedBy(ctx context.Context, id string, from Status, by, reason string, at time.Time) error
	// MarkCardPrinted keeps the first print time and counts the print.
	MarkCardPrinted(ctx context.Context, id, keyID string, at time.Time) error
	// MarkCardHandedOver: errs.ErrWriteConflict when never printed or already handed over.
	MarkCardHandedOver(ctx context.Context, id string, at time.Time) error
	CardIndexUsed(ctx context.Context, listID string, idx int) (bool, error)

	// LockStatusLists serializes list allocation until the transaction ends.
	LockStatusLists(ctx context.Context) error
	// OpenStatusList returns the newest list used below maxUsed, or errs.ErrNotFound.
	OpenStatusList(ctx context.Context, maxUsed int) (StatusListRecord, error)
	// StatusListForUpdate reads a list and locks it until the transaction ends.
	StatusListForUpdate(ctx context.Context, id string) (StatusListRecord, error)
	CountStatusLists(ctx context.Context) (int, error)
	InsertStatusList(ctx context.Context, l StatusListRecord) error
	// UpdateStatusList writes l if the stored version is still l.Version
	// (and bumps it); errs.ErrWriteConflict otherwise.
	UpdateStatusList(ctx context.Context, l StatusListRecord, at time.Time) error

	// SetApplicationStatus moves the application a card is issued from
	// (approved → issued) in the same transaction as the new card.
	SetApplicationStatus(ctx context.Context, id string, from, to enroll.Status, reason, decidedBy string, notes []byte, at time.Time) error
	// InsertCardReview lists a card for a second review.
	InsertCardReview(ctx context.Context, r ReviewRecord) error
	// CompleteCardReview records the second review; errs.ErrNotFound when
	// the card is not waiting for one.
	CompleteCardReview(ctx context.Context, cardID, by string, at time.Time) error
	// AppendAudit chains e onto the audit log in this transaction.
	AppendAudit(ctx context.Context, e audit.Event) error

	PhoneTx
}

// Record is a card as stored. It holds no personal data: the holder's data
// is sealed in the application the card was issued from.
type Record struct {
	ID            string
	Number        string // 13 digits, compact form
	ApplicationID string
	PersonID      string
	Kind          Kind
	Status        Status
	StatusListID  string
	StatusIndex   int
	KeyID         string
	IssuedAt      time.Time // midnight UTC of the issue date
	ExpiresAt     time.Time // midnight UTC of the expiry date
	PrintedAt     time.Time // first print; zero while in the print queue
	PrintCount    int
	HandedOverAt  time.Time
	Replaces      string // the card this one renews or replaces
	ReplacedBy    string
	FeeCents      int
	WaiverReason  string
	// FeeTakenBy, FeeSiteID and PaymentMethod say who took a renewal or
	// replacement fee, at which site, and how (for the cash
	// reconciliation); "" on first issues and on cards from before.
	FeeTakenBy    string
	FeeSiteID     string
	PaymentMethod string
	Reason        string // reason code of the last status change
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// StatusListRecord is a status list as stored: the compressed list, how
// many of its indexes are given to cards, and a version for optimistic
// updates.
type StatusListRecord struct {
	ID         string
	URI        string
	Bits       int
	Size       int
	Used       int // indexes given to cards
	Compressed []byte
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// VerificationCount is one verification counter: checks by a partner on a
// day with an outcome.
type VerificationCount struct {
	Day, Partner, Outcome string
	Checks                int64
}
