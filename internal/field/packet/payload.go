package packet

import (
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
)

// Payload is what is sealed: one finished application as the station's
// clerk took it, in the same shapes the city's intake reads (person.Form,
// the documents shown by type, the normalized photo, the fee or waiver), and
// where and when it was taken. Like the city's intake it has no field for
// a document number, immigration status, citizenship, nationality, country
// of birth or SSN.
type Payload struct {
	Station string `json:"station"` // = Header.Station
	Packet  string `json:"packet"`  // = Header.Packet
	Seq     uint64 `json:"seq"`     // = Header.Seq
	// SealedAt is the station's clock when the clerk finished: recorded,
	// never trusted for ordering (the laptop's clock may be off).
	SealedAt time.Time `json:"sealed_at"`
	// Clerk is the clerk's user id at the station (station-local).
	Clerk string `json:"clerk"`
	// Reference is the code printed on the resident's receipt.
	Reference string      `json:"reference"`
	Person    person.Form `json:"person"`
	Documents []Document  `json:"documents"`
	Caretaker bool        `json:"caretaker,omitempty"`
	Photo     []byte      `json:"photo"` // photo.Normalize output: JPEG without metadata
	Payment   Payment     `json:"payment"`
}

// Document is a document shown, by catalogue type; evidence.Shown on the wire.
type Document struct {
	Type    string      `json:"type"`
	Issuer  string      `json:"issuer,omitempty"`
	Expires person.Date `json:"expires,omitzero"`
	Dated   person.Date `json:"dated,omitzero"`
}

// Payment is the fee paid or the waiver; fee.Payment on the wire.
type Payment struct {
	Method       string `json:"method,omitempty"`
	AmountCents  int    `json:"amount_cents"`
	WaiverReason string `json:"waiver_reason,omitempty"`
	WaiverNote   string `json:"waiver_note,omitempty"`
}

// Limits on a payload's parts, so a packet cannot carry a bulk of data.
const (
	maxPhoto     = 2 << 20
	maxDocuments = 16
	maxText      = 256
)

func (p Payload) validate() error {
	switch {
	case p.SealedAt.IsZero() || p.SealedAt.Before(sealedAtBounds[0]) || !p.SealedAt.Before(sealedAtBounds[1]):
		return fmt.Errorf("payload: sealed_at %v out of range: %w", p.SealedAt, ErrPayload)
	case p.Clerk == "" || len(p.Clerk) > maxText:
		return fmt.Errorf("payload: clerk id: %w", ErrPayload)
	case p.Reference == "" || len(p.Reference) > maxText:
		return fmt.Errorf("payload: reference: %w", ErrPayload)
	case len(p.Photo) == 0 || len(p.Photo) > maxPhoto:
		return fmt.Errorf("payload: photo of %d bytes: %w", len(p.Photo), ErrPayload)
	case len(p.Documents) > maxDocuments:
		return fmt.Errorf("payload: %d documents: %w", len(p.Documents), ErrPayload)
	}
	for i, d := range p.Documents {
		if d.Type == "" || len(d.Type) > maxText || len(d.Issuer) > maxText {
			return fmt.Errorf("payload: document %d: %w", i, ErrPayload)
		}
	}
	return nil
}

// IdempotencyKey is the intake's idempotency key for the packet: the same
// packet imported twice is one application.
func (p Payload) IdempotencyKey() string { return "field:" + p.Station + ":" + p.Packet }

// Intake is the payload as the city's intake path takes it. The person
// form's date of birth may not parse (the error comes back with the field
// name, as a form post's would); every other rule is enroll's.
func (p Payload) Intake() (enroll.Intake, person.Errors) {
	who, errs := p.Person.Person()
	docs := make([]evidence.Shown, len(p.Documents))
	for i, d := range p.Documents {
		docs[i] = evidence.Shown{Type: d.Type, Issuer: d.Issuer, Expires: d.Expires, Dated: d.Dated}
	}
	return enroll.Intake{
		Person: who, Documents: docs, Caretaker: p.Caretaker, Photo: p.Photo,
		Payment: fee.Payment{Method: p.Payment.Method, AmountCents: p.Payment.AmountCents,
			WaiverReason: p.Payment.WaiverReason, WaiverNote: p.Payment.WaiverNote},
		IdempotencyKey: p.IdempotencyKey(),
	}, errs
}

// FromIntake fills the application part of a payload from an intake as the
// station's form built it (photo already normalized); the caller sets
// station, packet, sequence number, time, clerk and reference.
func FromIntake(in enroll.Intake) Payload {
	docs := make([]Document, len(in.Documents))
	for i, d := range in.Documents {
		docs[i] = Document{Type: d.Type, Issuer: d.Issuer, Expires: d.Expires, Dated: d.Dated}
	}
	return Payload{
		Person: person.FormOf(in.Person), Documents: docs, Caretaker: in.Caretaker, Photo: in.Photo,
		Payment: Payment{Method: in.Payment.Method, AmountCents: in.Payment.AmountCents,
			WaiverReason: in.Payment.WaiverReason, WaiverNote: in.Payment.WaiverNote},
	}
}
