// Package enroll runs the application workflow: a clerk takes an intake
// (person, documents shown, photo, fee), submits it, and a supervisor
// approves or rejects it. Personal data is sealed by the vault before it
// reaches the store, and every read and change writes an audit event in the
// same transaction.
package enroll

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
)

// Status is where an application is in the workflow:
// draft → submitted → (needs_review) → approved | rejected → issued.
type Status string

// The statuses.
const (
	StatusDraft       Status = "draft"
	StatusSubmitted   Status = "submitted"
	StatusNeedsReview Status = "needs_review"
	StatusApproved    Status = "approved"
	StatusRejected    Status = "rejected"
	StatusIssued      Status = "issued"
)

// Age categories, kept in plain text for fees and aggregate statistics.
const (
	CategoryAdult = "adult"
	CategoryChild = "child"
)

// Purpose is why a staff member opens a person's record. It is chosen from
// a fixed list (Purposes), never typed: the audit event records it, and
// free text there or in a log could hold the very names and dates of birth
// the log must not. Anything the reader wants to add goes in a note, which
// is sealed with the person's data (see GetNoted) and never logged.
type Purpose string

// The purposes, in the order pages offer them.
const (
	PurposeReview      Purpose = "review"           // deciding an application, printing its card
	PurposeReceipt     Purpose = "receipt"          // the receipt for the applicant
	PurposeReplacement Purpose = "replacement"      // a lost, stolen or damaged card
	PurposeCorrection  Purpose = "correction"       // fixing a mistake in the record
	PurposeFraudReview Purpose = "fraud_review"     // a suspected fraud or duplicate
	PurposeOwnRequest  Purpose = "resident_request" // the resident's own access request
	// The card desk's work after approval: each action reads the record
	// under its own name, so the audit log says what was done.
	PurposeIssue    Purpose = "card_issue"    // issuing the card of an approved application
	PurposePrint    Purpose = "card_print"    // previewing and printing an issued card
	PurposeHandOver Purpose = "card_handover" // checking the holder at the desk before handing the card over
	PurposeRenewal  Purpose = "card_renewal"  // renewing a card near its expiry (age-based fee, new artwork)
)

// Purposes lists every purpose.
func Purposes() []Purpose {
	return []Purpose{PurposeReview, PurposeReceipt, PurposeReplacement, PurposeCorrection, PurposeFraudReview, PurposeOwnRequest,
		PurposeIssue, PurposePrint, PurposeHandOver, PurposeRenewal}
}

// actionStatus is the one status in which each card-desk purpose applies.
var actionStatus = map[Purpose]Status{PurposeIssue: StatusApproved, PurposePrint: StatusIssued, PurposeHandOver: StatusIssued,
	PurposeRenewal: StatusIssued}

// PurposesFor lists the purposes a staff member may state to open a decided
// record in status st, the card-desk action that fits the status first.
// Review is not among them: deciding is over.
func PurposesFor(st Status) []Purpose {
	var out []Purpose
	for _, p := range []Purpose{PurposeIssue, PurposePrint, PurposeHandOver} { // the desk's steps first
		if actionStatus[p] == st {
			out = append(out, p)
		}
	}
	out = append(out, PurposeReceipt)
	if st == StatusIssued {
		out = append(out, PurposeRenewal, PurposeReplacement)
	}
	return append(out, PurposeCorrection, PurposeFraudReview, PurposeOwnRequest)
}

// Valid reports whether p is one of Purposes.
func (p Purpose) Valid() bool { return slices.Contains(Purposes(), p) }

// MessageKey is the key of the purpose's label, e.g. "web.purpose.review".
func (p Purpose) MessageKey() string { return "web.purpose." + string(p) }

// ParsePurpose reads a purpose as a form or query sends it: "" is no
// purpose (the service decides whether one is needed); anything not in the
// list is ErrPurpose, and the error does not repeat what was sent.
func ParsePurpose(s string) (Purpose, error) {
	if s == "" || Purpose(s).Valid() {
		return Purpose(s), nil
	}
	return "", fmt.Errorf("purpose not in the list: %w", ErrPurpose)
}

// Intake is what a clerk enters. Photo holds the raw upload; nil keeps the
// photo already stored on a draft.
type Intake struct {
	Person         person.Person
	Documents      []evidence.Shown
	Caretaker      bool
	Photo          []byte
	Payment        fee.Payment
	IdempotencyKey string
	// Field is set only for an application taken offline at a field
	// station and imported from its sealed packet (package field/intake);
	// the staff portal and the API leave it nil.
	Field *FieldOrigin
}

// FieldOrigin is what differs when an intake was taken offline at a field
// station: the receipt the resident holds already has a reference, the
// clerk judged the documents on the station's day, and the application
// has been waiting since it was sealed.
type FieldOrigin struct {
	// Reference is the reference printed on the station's receipt; "" or
	// malformed draws a new one.
	Reference string
	// TakenOn is the station's calendar day of the intake. Age, fee and
	// "dated within N days" are judged on it, as the clerk saw them, so a
	// packet uploaded weeks later still imports; a day after the server's
	// today (a fast station clock) counts as today.
	TakenOn person.Date
	// Since is when the pending application's retention starts (its
	// submitted_at); the caller bounds the station's clock. Zero or later
	// than the server's now means now.
	Since time.Time
	// Review, when set, sends the application to a supervisor with this
	// reason (ReviewRevokedStation) whatever the screening found.
	Review string
}

// Application is a decrypted application as shown to staff allowed to see it.
type Application struct {
	ID          string
	Reference   string
	PersonID    string
	SiteID      string
	ClerkID     string
	Status      Status
	Person      person.Person
	Documents   []evidence.Shown
	Caretaker   bool
	Photo       []byte // normalized JPEG, no metadata
	Quote       fee.Quote
	Payment     fee.Payment
	Evidence    evidence.Result
	AgeCategory string
	// ReviewReason says why it waits for a supervisor (possible duplicate, screening failed).
	ReviewReason string
	// FieldReview is its field station's reason for review (ReviewRevokedStation),
	// which stands whatever ReviewReason says about the screening.
	FieldReview string
	// Decision
	DecisionReason string
	DecisionNote   string
	DecidedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SubmittedAt    time.Time
	DecidedAt      time.Time
	// Repeated marks the answer to a retried submission (an idempotency key
	// already used): only ID and Status are set. Opening the record is a
	// Get, with its purpose and audit event.
	Repeated bool
}

// Summary is an application without personal data, for queues and lists.
type Summary struct {
	ID, Reference, SiteID, ClerkID string
	Status                         Status
	Language, AgeCategory          string
	PaymentMethod                  string
	ReviewReason                   string
	EvidenceOK                     bool
	CreatedAt, UpdatedAt           time.Time
	SubmittedAt, DecidedAt         time.Time
	DecidedBy                      string // staff id of who approved or rejected it
}

// Errors callers check with errors.Is.
var (
	ErrState   = fmt.Errorf("application is not in a state that allows this: %w", errs.ErrConflict)
	ErrPurpose = errors.New("a purpose is required to open this record")
	// ErrFourEyes: four eyes on every card. Whoever took or edited an
	// application cannot approve it, and whoever approved it cannot issue
	// its card, unless the site is listed in review.single_person_sites.
	ErrFourEyes = fmt.Errorf("four eyes: another staff member must do this: %w", errs.ErrForbidden)
)

// ValidationError lists what is wrong with an intake, field by field, as
// message keys; nothing was stored.
type ValidationError struct {
	Fields person.Errors
}

// Error lists the intake's field errors.
func (e *ValidationError) Error() string { return "invalid application: " + e.Fields.Error() }

func validationErr(fields person.Errors) error {
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: fields}
}

// ListFilter selects applications for a queue or list.
type ListFilter struct {
	SiteID   string
	Statuses []Status
	// ReferencePrefix keeps applications whose reference starts with it
	// (normalized by ReferencePrefix); the list never searches names.
	ReferencePrefix string
	Limit           int
	Offset          int
}

// ReferencePrefix normalizes what staff type to find a reference ("k7qm 4x"
// → "K7QM-4X"): upper case, spaces and dashes dropped and put back where
// references have them. ok is false when a character cannot be in a reference.
func ReferencePrefix(typed string) (prefix string, ok bool) {
	var out []byte
	n := 0
	for _, r := range strings.ToUpper(typed) {
		if r == ' ' || r == '-' {
			continue
		}
		if r > 127 || !strings.ContainsRune(ReferenceAlphabet, r) || n == 12 {
			return "", false
		}
		if n == 4 || n == 8 {
			out = append(out, '-')
		}
		out = append(out, byte(r))
		n++
	}
	return string(out), true
}

func wrapNotFound(err error, id string) error {
	return fmt.Errorf("application %s: %w", id, errors.Join(errs.ErrNotFound, err))
}
