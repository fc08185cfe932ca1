package enroll

import (
	"context"
	"time"

	"github.com/cityid/cityid/internal/audit"
)

// Store is the storage the application workflow needs; package store
// implements it (store.DB.Enroll). Lookups that find nothing return an
// error wrapping errs.ErrNotFound; a lost race (a repeated idempotency key,
// a status changed meanwhile) is errs.ErrWriteConflict.
type Store interface {
	// InTx runs fn in one write transaction: an intake's rows and its
	// audit event commit together or not at all.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Audit chains an event that records no change (a read, a refusal)
	// on its own and returns once it is committed; concurrent calls are
	// written together, a batch per transaction.
	Audit(ctx context.Context, e audit.Event) error

	Application(ctx context.Context, id string) (Record, error)
	// ApplicationWithKey is Application with its person's wrapped data key
	// (nil once erased) read in the same statement; without photo the
	// sealed photo is not read (Sealed.Photo nil), for pages that do not
	// show it.
	ApplicationWithKey(ctx context.Context, id string, photo bool) (Record, []byte, error)
	// ApplicationByReference finds the record with a reference code.
	ApplicationByReference(ctx context.Context, ref string) (Record, error)
	// ListApplications returns summaries (no personal data), oldest
	// submission first; the limit defaults to 50 and is at most 500.
	ListApplications(ctx context.Context, f ListFilter) ([]Summary, error)
	// CountApplications counts by status, of one site or ("") all.
	CountApplications(ctx context.Context, siteID string) (map[Status]int, error)
	// ApplicationsByNameDOB returns the records whose name/date-of-birth
	// blind index is index, oldest first.
	ApplicationsByNameDOB(ctx context.Context, index []byte) ([]Record, error)
	// EachApplication calls fn for every record in one of statuses, with its
	// person's wrapped data key (nil once erased). The large sealed columns
	// (photo, documents, notes) and the times are not read.
	EachApplication(ctx context.Context, statuses []Status, fn func(r Record, wrappedKey []byte) error) error
	// ScreeningApplications is EachApplication for the given ids (those
	// that no longer exist are skipped), in no particular order.
	ScreeningApplications(ctx context.Context, ids []string, fn func(r Record, wrappedKey []byte) error) error
	// PendingScreening lists (at most limit) the ids of applications in
	// review with ReviewScreeningPending.
	PendingScreening(ctx context.Context, limit int) ([]string, error)
	// DuplicateCandidates lists an application's open candidates, most likely first.
	DuplicateCandidates(ctx context.Context, applicationID string) ([]DuplicateCandidate, error)
	// CardsOf lists the cards issued from an application, oldest first.
	CardsOf(ctx context.Context, applicationID string) ([]IssuedCard, error)
	// AuditEvents lists audit events, newest first.
	AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error)
	// ReadNotes lists an application's sealed reader notes, oldest first.
	ReadNotes(ctx context.Context, applicationID string) ([]ReadNote, error)

	// Person returns a person's wrapped data key (nil once erased).
	Person(ctx context.Context, id string) (PersonKey, error)
	// PreapplicationAndKey returns the unexpired pre-application whose
	// reference code hashes to refIndex at time now, with its person's
	// wrapped data key (nil once erased); expired ones are not found.
	PreapplicationAndKey(ctx context.Context, refIndex []byte, now time.Time) (PreappRecord, []byte, error)
	// Preapplication returns a pre-application by id, expired or not.
	Preapplication(ctx context.Context, id string) (PreappRecord, error)
	// PreapplicationByApplication returns the pre-application a clerk made
	// application appID from.
	PreapplicationByApplication(ctx context.Context, appID string) (PreappRecord, error)
}

// Tx is a write transaction of the application workflow.
type Tx interface {
	Application(ctx context.Context, id string) (Record, error)
	// ApplicationByIdempotencyKey finds the record a clerk created with key.
	ApplicationByIdempotencyKey(ctx context.Context, clerkID, key string) (Record, error)
	// InsertApplication stores r with its screening change (the change
	// feed's row) and returns that change's number; it fails with
	// errs.ErrWriteConflict on a repeated (clerk, key).
	InsertApplication(ctx context.Context, r Record) (change int64, err error)
	// InsertPersonApplication is InsertPerson and then InsertApplication,
	// as one statement where the store can: a new applicant's intake.
	InsertPersonApplication(ctx context.Context, p PersonKey, r Record) (change int64, err error)
	// InsertPersonApplicationAudited is InsertPersonApplication and then
	// AppendAudit(e), with fewer round trips where the store can: the
	// common intake, a new applicant with no duplicate candidates.
	InsertPersonApplicationAudited(ctx context.Context, p PersonKey, r Record, e audit.Event) (change int64, err error)
	// UpdateApplication rewrites every mutable column of r.
	UpdateApplication(ctx context.Context, r Record) error
	// SetApplicationStatus moves an application from one status to another
	// (recording the decision, and notes when not nil); errs.ErrWriteConflict
	// when it is no longer in status from, so two deciders cannot both win.
	SetApplicationStatus(ctx context.Context, id string, from, to Status, reason, decidedBy string, notes []byte, at time.Time) error
	// SetScreened moves an application pending screening to status with
	// the review reason; errs.ErrWriteConflict when it is no longer pending.
	SetScreened(ctx context.Context, id string, status Status, reason string, at time.Time) error

	Person(ctx context.Context, id string) (PersonKey, error)
	InsertPerson(ctx context.Context, p PersonKey) error

	InsertDuplicateCandidates(ctx context.Context, cs []DuplicateCandidate) error
	// DeleteDuplicateCandidate removes one candidate and returns how many remain.
	DeleteDuplicateCandidate(ctx context.Context, applicationID, candidateID string) (int, error)
	ClearDuplicateCandidates(ctx context.Context, applicationID string) error
	// MarkDistinct remembers that two records are different people.
	MarkDistinct(ctx context.Context, a, b, by string, at time.Time) error
	// RecordPairDecision keeps a supervisor's decision on a pair as a label
	// for re-estimating the duplicate model (ids only).
	RecordPairDecision(ctx context.Context, applicationID, candidateID string, same bool, by string, at time.Time) error

	// AppendAudit chains e onto the audit log in this transaction.
	AppendAudit(ctx context.Context, e audit.Event) error
	// InsertReadNote stores a sealed reader's note.
	InsertReadNote(ctx context.Context, n ReadNote) error

	// InsertPreapplication fails with errs.ErrWriteConflict on a reused
	// reference or idempotency key.
	InsertPreapplication(ctx context.Context, p PreappRecord) error
	// PreapplicationByIdempotencyKey finds the pre-application a form's
	// request key (as digested) already made.
	PreapplicationByIdempotencyKey(ctx context.Context, key string) (PreappRecord, error)
	// MarkPreapplicationUsed links an unused pre-application to the
	// application made from it; errs.ErrWriteConflict when another
	// application was made from it first.
	MarkPreapplicationUsed(ctx context.Context, id, applicationID string, at time.Time) error
	// AttendPreappAppointment records that the resident of a pre-application came
	// to its live booking at site; errs.ErrNotFound when it has none there.
	AttendPreappAppointment(ctx context.Context, preappID, siteID string, at time.Time) error
	// PurgePreapplications deletes the pre-applications expired at now with
	// their bookings and data keys, and returns how many went.
	PurgePreapplications(ctx context.Context, now time.Time) (int, error)
}

// Record is an application as stored: workflow fields in clear, personal
// data sealed column by column under its person's data key (see seal.go).
type Record struct {
	ID             string
	Reference      string
	PersonID       string
	SiteID         string
	ClerkID        string
	Status         Status
	IdempotencyKey string // a digest, never the client's key
	Language       string
	AgeCategory    string
	EvidenceOK     bool
	FeeKind        string
	FeeCents       int
	PaymentMethod  string
	WaiverReason   string
	DecisionReason string
	ReviewReason   string // why it needs a supervisor: ReviewPossibleDuplicate, ReviewScreeningFailed
	// FieldReview is why a field station's application needs a supervisor
	// whatever screening finds (ReviewRevokedStation): ReviewReason says
	// the screening's state and is overwritten, this is not.
	FieldReview  string
	DecidedBy    string
	NameDOBIndex []byte // keyed blind index for exact search
	Sealed       Sealed
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SubmittedAt  time.Time
	DecidedAt    time.Time
}

// Sealed holds an application's personal data as vault ciphertext, column
// by column; only this package knows what is inside.
type Sealed struct {
	GivenNames, FirstSurname, SecondSurname []byte
	DateOfBirth, Sex                        []byte
	Address, Contact, Extras                []byte
	Documents, Photo, Notes                 []byte
}

// PersonKey is the holder of a per-person data key, wrapped by the master
// key. Erasing a person destroys it (crypto-shredding).
type PersonKey struct {
	ID         string
	WrappedKey []byte // nil once crypto-shredded
	KEKID      string
	CreatedAt  time.Time
}

// DuplicateCandidate is a possible earlier record of the same person, found
// by screening an application at submission.
type DuplicateCandidate struct {
	ApplicationID string
	CandidateID   string // the other application
	Probability   float64
	CreatedAt     time.Time
}

// IssuedCard is what the workflow needs to know of a card made from an
// application: which, and whether and when it reached its holder.
type IssuedCard struct {
	ID           string
	HandedOverAt time.Time // zero until handed over
}

// PreappRecord is a resident's pre-application as stored: ids, keyed
// hashes of the reference code and of name and date of birth, and the
// person and documents sealed (see preapp.go).
type PreappRecord struct {
	ID             string
	RefIndex       []byte // keyed blind index of the reference code
	PersonID       string
	PersonKey      []byte // keyed blind index of name and date of birth (booking.person)
	IdempotencyKey string // digest of the form's request key; "" = none
	Language       string
	Remind         bool
	Person         []byte // sealed JSON
	Documents      []byte // sealed JSON
	ApplicationID  string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         time.Time
}
