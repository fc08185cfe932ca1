package resident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// Preapplication is a decrypted pre-application, for the clerk who loads it
// and for the resident's own status page.
type Preapplication struct {
	ID            string
	Person        person.Person
	Documents     []evidence.Shown
	RemindBy      string // "", "sms" or "email": reminders only when the resident asked
	PersonKey     []byte
	ApplicationID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	code          string
}

// Intake turns a pre-application into the clerk's intake, ready to check
// against the documents actually shown.
func (p *Preapplication) Intake() enroll.Intake {
	return enroll.Intake{Person: p.Person, Documents: p.Documents}
}

// Preapps stores and loads pre-applications, sealed like applications: a
// per-person data key, each column bound to its table, column and row.
type Preapps struct {
	db     *store.DB
	vault  *vault.Vault
	now    func() time.Time
	rand   io.Reader
	expiry time.Duration
}

// NewPreapps returns the pre-application store; expiry is how long an
// unused pre-application lives (Settings.Retention.DraftDays).
func NewPreapps(db *store.DB, v *vault.Vault, expiry time.Duration, now func() time.Time, random io.Reader) *Preapps {
	return &Preapps{db: db, vault: v, now: now, rand: random, expiry: expiry}
}

// ErrUnknownCode means no live pre-application has this code (or it expired).
var ErrUnknownCode = errors.New("unknown or expired reference code")

type sealedPerson struct {
	Person   person.Person `json:"person"`
	RemindBy string        `json:"remind_by,omitempty"`
	// Code is kept sealed so a resubmitted form (lost connection) can show
	// the same code again; the lookup column holds only its keyed hash.
	Code string `json:"code"`
}

func binding(column, row string) vault.Binding {
	return vault.Binding{Table: "preapplications", Column: column, Row: row}
}

// refIndex is the keyed hash stored instead of the reference code.
func (s *Preapps) refIndex(code string) []byte { return s.vault.BlindIndex("preapp.reference", code) }

// PersonKey is the keyed blind index that allows one live booking per person.
func PersonKey(v *vault.Vault, p person.Person) []byte {
	return v.BlindIndex("booking.person", p.GivenNames, p.Surnames(), p.DateOfBirth.String())
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
	code, err := enroll.NewReference(s.rand)
	if err != nil {
		return nil, "", err
	}
	id, err := randid.New(s.rand, "pre")
	if err != nil {
		return nil, "", err
	}
	personID, err := randid.New(s.rand, "per")
	if err != nil {
		return nil, "", err
	}
	dk, wrapped, err := s.vault.NewDataKey()
	if err != nil {
		return nil, "", err
	}
	defer dk.Destroy()
	pj, err := json.Marshal(sealedPerson{Person: p, RemindBy: remindBy, Code: code})
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
	sealedP, err := dk.Seal(binding("person", id), pj)
	if err != nil {
		return nil, "", err
	}
	sealedD, err := dk.Seal(binding("documents", id), dj)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row := store.Preapplication{ID: id, RefIndex: s.refIndex(code), PersonID: personID, PersonKey: PersonKey(s.vault, p),
		IdempotencyKey: idem, Language: p.Language, Remind: remindBy != "",
		Person: sealedP, Documents: sealedD, CreatedAt: now, ExpiresAt: now.Add(s.expiry)}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: personID, WrappedKey: wrapped, KEKID: s.vault.KEKID(), CreatedAt: now}); err != nil {
			return err
		}
		return tx.InsertPreapplication(ctx, row)
	})
	if errors.Is(err, store.ErrConflict) && idem != "" {
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
	var row store.Preapplication
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
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
	row, wrapped, err := s.db.PreapplicationAndKey(ctx, s.refIndex(code), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownCode
	}
	if err != nil {
		return nil, err
	}
	return s.openWith(row, wrapped)
}

func (s *Preapps) open(ctx context.Context, row store.Preapplication) (*Preapplication, error) {
	per, err := s.db.Person(ctx, row.PersonID)
	if err != nil {
		return nil, err
	}
	return s.openWith(row, per.WrappedKey)
}

func (s *Preapps) openWith(row store.Preapplication, wrapped []byte) (*Preapplication, error) {
	if wrapped == nil {
		return nil, ErrUnknownCode // crypto-shredded
	}
	dk, err := s.vault.OpenDataKey(wrapped)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	defer dk.Destroy()
	pj, err := dk.Open(binding("person", row.ID), row.Person)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	dj, err := dk.Open(binding("documents", row.ID), row.Documents)
	if err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	var sp sealedPerson
	var docs []evidence.Shown
	if err := json.Unmarshal(pj, &sp); err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	if err := json.Unmarshal(dj, &docs); err != nil {
		return nil, fmt.Errorf("pre-application %s: %w", row.ID, err)
	}
	return &Preapplication{ID: row.ID, Person: sp.Person, Documents: docs, RemindBy: sp.RemindBy, PersonKey: row.PersonKey,
		ApplicationID: row.ApplicationID, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt, code: sp.Code}, nil
}

// ByID opens a pre-application by id (for reminders).
func (s *Preapps) ByID(ctx context.Context, id string) (*Preapplication, error) {
	row, err := s.db.Preapplication(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, row)
}

// MarkUsed links a pre-application to the application a clerk made from it.
func (s *Preapps) MarkUsed(ctx context.Context, id, applicationID string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkPreapplicationUsed(ctx, id, applicationID, s.now()) })
}

// Purge deletes expired pre-applications and their data keys.
func (s *Preapps) Purge(ctx context.Context) (int, error) {
	var n int
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.PurgePreapplications(ctx, s.now())
		return err
	})
	return n, err
}

// Code format: three groups of four from enroll's reference alphabet.
const codeAlphabet = enroll.ReferenceAlphabet

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
