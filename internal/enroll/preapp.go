package enroll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/vault"
)

// A pre-application is what a resident fills in on the public site before
// a visit: person and the documents they will bring, sealed like an
// application (a per-person data key, each column bound to its table,
// column and row) and found again only by its reference code, whose keyed
// hash is all the store keeps. It expires after the program's draft
// retention period. A clerk turns it into a draft application with Admit.

// Preapplication is a decrypted pre-application, for the clerk who loads it
// and for the resident's own status page.
type Preapplication struct {
	ID            string
	Person        person.Person
	Documents     []evidence.Shown
	RemindBy      string // "", "sms" or "email": reminders only when the resident asked
	PersonKey     []byte // keyed index of name and date of birth (see Preapps.BookingKey)
	ApplicationID string // the application made from it; "" until a clerk admits it
	CreatedAt     time.Time
	ExpiresAt     time.Time
	code          string
}

// Intake turns a pre-application into the clerk's intake, ready to check
// against the documents actually shown.
func (p *Preapplication) Intake() Intake {
	return Intake{Person: p.Person, Documents: p.Documents}
}

// Preapps creates, opens, admits and purges pre-applications. It shares
// the application workflow's storage, vault and clock (Service.Preapps).
type Preapps struct {
	svc    *Service
	expiry time.Duration
}

// ErrUnknownCode means no live pre-application has this code (or it
// expired, or its person was erased).
var ErrUnknownCode = fmt.Errorf("unknown or expired reference code: %w", errs.ErrNotFound)

// sealedPreapp is the sealed JSON of a pre-application's person column.
type sealedPreapp struct {
	Person   storedPerson `json:"person"`
	RemindBy string       `json:"remind_by,omitempty"`
	// Code is kept sealed so a resubmitted form (lost connection) can show
	// the same code again; the lookup column holds only its keyed hash.
	Code string `json:"code"`
}

func preappBinding(column, row string) vault.Binding {
	return vault.Binding{Table: "preapplications", Column: column, Row: row}
}

// refIndex is the keyed hash stored instead of the reference code.
func (s *Preapps) refIndex(code string) []byte {
	return s.svc.vault.BlindIndex("preapp.reference", code)
}

// BookingKey is the keyed blind index of name and date of birth that
// allows one live booking per person.
func (s *Preapps) BookingKey(p person.Person) []byte {
	return s.svc.vault.BlindIndex("booking.person", p.GivenNames, p.Surnames(), p.DateOfBirth.String())
}

// requestDigest keeps only a digest of a client's request key, so whatever
// a client puts there never reaches the database.
func requestDigest(purpose, key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(purpose + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// Create seals and stores a validated pre-application and returns it with
// its reference code. A repeated requestKey (a resubmitted form after a lost
// connection) returns the pre-application and code the first one made.
func (s *Preapps) Create(ctx context.Context, p person.Person, docs []evidence.Shown, remindBy, requestKey string) (*Preapplication, string, error) {
	idem := requestDigest("preapp", requestKey)
	if idem != "" {
		if pre, err := s.byRequest(ctx, idem); err == nil {
			return pre, pre.code, nil
		}
	}
	v := s.svc.vault
	code, err := NewReference(s.svc.rand)
	if err != nil {
		return nil, "", err
	}
	id, err := randid.New(s.svc.rand, "pre")
	if err != nil {
		return nil, "", err
	}
	personID, err := randid.New(s.svc.rand, "per")
	if err != nil {
		return nil, "", err
	}
	dk, wrapped, err := v.NewDataKey()
	if err != nil {
		return nil, "", err
	}
	defer dk.Destroy()
	pj, err := json.Marshal(sealedPreapp{Person: storePerson(p), RemindBy: remindBy, Code: code})
	if err != nil {
		return nil, "", err
	}
	if docs == nil {
		docs = []evidence.Shown{}
	}
	dj, err := json.Marshal(docs)
	if err != nil {
		return nil, "", err
	}
	sealedP, err := dk.Seal(preappBinding("person", id), pj)
	if err != nil {
		return nil, "", err
	}
	sealedD, err := dk.Seal(preappBinding("documents", id), dj)
	if err != nil {
		return nil, "", err
	}
	now := s.svc.now().UTC().Truncate(time.Microsecond)
	row := PreappRecord{ID: id, RefIndex: s.refIndex(code), PersonID: personID, PersonKey: s.BookingKey(p),
		IdempotencyKey: idem, Language: p.Language, Remind: remindBy != "",
		Person: sealedP, Documents: sealedD, CreatedAt: now, ExpiresAt: now.Add(s.expiry)}
	err = s.svc.db.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertPerson(ctx, PersonKey{ID: personID, WrappedKey: wrapped, KEKID: v.KEKID(), CreatedAt: now}); err != nil {
			return err
		}
		return tx.InsertPreapplication(ctx, row)
	})
	if errors.Is(err, errs.ErrWriteConflict) && idem != "" {
		// Two copies of one form raced; the other one was stored.
		pre, err := s.byRequest(ctx, idem)
		if err != nil {
			return nil, "", err
		}
		return pre, pre.code, nil
	}
	if err != nil {
		return nil, "", err
	}
	return &Preapplication{ID: id, Person: p, Documents: docs, RemindBy: remindBy, PersonKey: row.PersonKey,
		CreatedAt: now, ExpiresAt: row.ExpiresAt}, code, nil
}

func (s *Preapps) byRequest(ctx context.Context, idem string) (*Preapplication, error) {
	var row PreappRecord
	err := s.svc.db.InTx(ctx, func(tx Tx) error {
		var err error
		row, err = tx.PreapplicationByIdempotencyKey(ctx, idem)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.open(ctx, row)
}

// Load opens the live pre-application with this code (as typed or scanned).
func (s *Preapps) Load(ctx context.Context, typed string) (*Preapplication, error) {
	code, err := ParseCode(typed)
	if err != nil {
		return nil, err
	}
	row, wrapped, err := s.svc.db.PreapplicationAndKey(ctx, s.refIndex(code), s.svc.now())
	if errors.Is(err, errs.ErrNotFound) {
		return nil, ErrUnknownCode
	}
	if err != nil {
		return nil, err
	}
	return s.openWith(row, wrapped)
}

func (s *Preapps) open(ctx context.Context, row PreappRecord) (*Preapplication, error) {
	per, err := s.svc.db.Person(ctx, row.PersonID)
	if err != nil {
		return nil, err
	}
	return s.openWith(row, per.WrappedKey)
}

func (s *Preapps) openWith(row PreappRecord, wrapped []byte) (*Preapplication, error) {
	if wrapped == nil {
		return nil, ErrUnknownCode // crypto-shredded
	}
	dk, err := s.svc.vault.OpenDataKey(wrapped)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	defer dk.Destroy()
	pj, err := dk.Open(preappBinding("person", row.ID), row.Person)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	dj, err := dk.Open(preappBinding("documents", row.ID), row.Documents)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	var sp sealedPreapp
	var docs []evidence.Shown
	if err := json.Unmarshal(pj, &sp); err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	if err := json.Unmarshal(dj, &docs); err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	return &Preapplication{ID: row.ID, Person: sp.Person.person(), Documents: docs, RemindBy: sp.RemindBy, PersonKey: row.PersonKey,
		ApplicationID: row.ApplicationID, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt, code: sp.Code}, nil
}

// ByID opens a pre-application by id (for reminders).
func (s *Preapps) ByID(ctx context.Context, id string) (*Preapplication, error) {
	row, err := s.svc.db.Preapplication(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, row)
}

// ForNotices opens the pre-application an application was made from, when
// its resident asked for notices; errs.ErrNotFound when there is none (a
// paper application) or no notices were asked for.
func (s *Preapps) ForNotices(ctx context.Context, applicationID string) (*Preapplication, error) {
	row, err := s.svc.db.PreapplicationByApplication(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	if !row.Remind {
		return nil, fmt.Errorf("pre-application %s: no notices asked for: %w", row.ID, errs.ErrNotFound)
	}
	return s.open(ctx, row)
}

// Admit turns the pre-application with this code into a draft application
// at the clerk's site, in one transaction with one audit event
// ("application.from_preapp"): the draft is sealed and stored, the
// pre-application points at it (so the resident's code shows its status),
// and the resident's booking at the clerk's site, if any, is marked
// attended. A code already admitted returns the application made from it,
// with nothing written; the caller opens it through Get, which checks the
// site. It returns the application's id.
func (s *Preapps) Admit(ctx context.Context, by auth.Actor, typed string) (string, error) {
	pre, err := s.Load(ctx, typed)
	if err != nil {
		return "", err
	}
	if pre.ApplicationID != "" {
		return pre.ApplicationID, nil
	}
	a, err := s.svc.save(ctx, by, "", pre.Intake(), false, &admission{preappID: pre.ID})
	if errors.Is(err, errs.ErrWriteConflict) {
		// Another clerk admitted the same code a moment ago: theirs stands.
		if again, lerr := s.Load(ctx, typed); lerr == nil && again.ApplicationID != "" {
			return again.ApplicationID, nil
		}
	}
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// admission is what save does besides storing a draft when the draft comes
// from a pre-application: it runs inside save's transaction.
type admission struct{ preappID string }

func (ad *admission) apply(ctx context.Context, tx Tx, by auth.Actor, applicationID string, now time.Time) error {
	if err := tx.MarkPreapplicationUsed(ctx, ad.preappID, applicationID, now); err != nil {
		return err
	}
	err := tx.AttendPreappAppointment(ctx, ad.preappID, by.SiteID, now)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	return nil
}

// actionFromPreapp is the audit action of Admit: a draft made from a
// pre-application (Handlers counts its actor as one who handled the record).
const actionFromPreapp = "application.from_preapp"

// Purge deletes expired pre-applications and their data keys.
func (s *Preapps) Purge(ctx context.Context) (int, error) {
	var n int
	err := s.svc.db.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.PurgePreapplications(ctx, s.svc.now())
		return err
	})
	return n, err
}

// Code format: three groups of four from the reference alphabet.
const codeAlphabet = ReferenceAlphabet

// ErrBadCode means the text is not a well-formed reference code.
var ErrBadCode = errors.New("not a reference code")

// ParseCode normalizes a code as typed (any case, spaces or dashes, the
// look-alikes O→0 is not in the alphabet so O and 0 are refused, I/L→1 too)
// to "XXXX-XXXX-XXXX".
func ParseCode(typed string) (string, error) {
	if len(typed) > 64 {
		return "", ErrBadCode
	}
	var b []byte
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r < 128 && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b = append(b, byte(r))
		default:
			return "", ErrBadCode
		}
	}
	if len(b) != 12 {
		return "", ErrBadCode
	}
	return string(b[:4]) + "-" + string(b[4:8]) + "-" + string(b[8:]), nil
}

// QR payloads: "CITYID:PRE:<code>" in QR alphanumeric mode (upper case,
// digits, ':' and '-').
const qrPrefix = "CITYID:PRE:"

// QRPayload is the text of a pre-application's QR code.
func QRPayload(code string) string { return qrPrefix + code }

// ParseQR returns the code in a scanned pre-application QR payload, or the
// code itself when a clerk typed it.
func ParseQR(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		return "", ErrBadCode
	}
	if len(s) >= len(qrPrefix) && strings.EqualFold(s[:len(qrPrefix)], qrPrefix) {
		s = s[len(qrPrefix):]
	}
	return ParseCode(s)
}

// auditAdmit is the one event of Admit.
func auditAdmit(by auth.Actor, applicationID string, now time.Time) audit.Event {
	return audit.Event{At: now, Actor: by.StaffID, Action: actionFromPreapp, RecordType: "application", RecordID: applicationID}
}
