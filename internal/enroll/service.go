package enroll

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/vault"
)

// Service runs the application workflow.
type Service struct {
	db       Store
	vault    *vault.Vault
	settings config.Settings
	photo    photo.Spec
	now      func() time.Time
	rand     io.Reader
	screener Screener       // nil: no duplicate screening
	loc      *time.Location // the program's time zone, for calendar days
	preapps  *Preapps
	counts   *countCache
}

// New returns a Service. now and random are injected so tests control time
// and randomness; nil means the real clock and crypto/rand.
func New(db Store, v *vault.Vault, s config.Settings, now func() time.Time, random io.Reader) *Service {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	spec := photo.DefaultSpec()
	if s.Photo.Width > 0 && s.Photo.Height > 0 {
		spec.Width, spec.Height = s.Photo.Width, s.Photo.Height
	}
	if s.Photo.MaxUploadMB > 0 {
		spec.MaxUploadBytes = int64(s.Photo.MaxUploadMB) << 20
	}
	loc, err := time.LoadLocation(s.Program.TimeZone)
	if err != nil {
		loc = time.UTC // settings validation already refuses an unknown zone
	}
	svc := &Service{db: db, vault: v, settings: s, photo: spec, now: now, rand: random, loc: loc,
		counts: newCountCache()}
	days := s.Retention.DraftDays
	if days <= 0 {
		days = 30
	}
	svc.preapps = &Preapps{svc: svc, expiry: time.Duration(days) * 24 * time.Hour}
	return svc
}

// Preapps is the pre-application side of the workflow; unused ones expire
// after the program's draft retention period (30 days when unset).
func (s *Service) Preapps() *Preapps { return s.preapps }

// Settings returns the program settings the service runs with.
func (s *Service) Settings() config.Settings { return s.settings }

func (s *Service) today() person.Date { return person.DateOf(s.now().In(s.loc)) }

// Check evaluates an intake without storing anything: the live view of
// what is missing and what the fee is. Field errors are included.
func (s *Service) Check(in Intake) (evidence.Result, fee.Quote, person.Errors) {
	p := in.Person.Normalize()
	in.Documents = evidence.Minimize(s.settings.Documents, in.Documents)
	today := s.today()
	res := s.evaluate(in, p, today)
	q := fee.Compute(s.settings.Fees, fee.KindNew, p.DateOfBirth, today)
	errs := p.Validate(today, s.settings.Program.Languages)
	errs = append(errs, validateDocuments(s.settings, in.Documents)...)
	errs = append(errs, datedErrors(s.settings, in.Documents, today)...)
	if in.Payment.Method != "" || in.Payment.WaiverReason != "" {
		errs = append(errs, fee.ValidatePayment(s.settings.Fees, q, in.Payment)...)
	}
	return res, q, errs
}

func (s *Service) evaluate(in Intake, p person.Person, today person.Date) evidence.Result {
	age := 0
	if !p.DateOfBirth.IsZero() {
		age = p.DateOfBirth.AgeOn(today)
	}
	return evidence.Evaluate(s.settings.Evidence, s.settings.Documents, evidence.Input{
		Shown: in.Documents, Age: age, Today: today, Caretaker: in.Caretaker,
	})
}

func validateDocuments(st config.Settings, docs []evidence.Shown) person.Errors {
	var errs person.Errors
	if len(docs) > 20 {
		errs = append(errs, person.FieldError{Field: "documents", Key: "error.too_many"})
		return errs
	}
	for i, d := range docs {
		if _, ok := st.Document(d.Type); !ok {
			errs = append(errs, person.FieldError{Field: fmt.Sprintf("documents.%d.type", i), Key: "error.invalid_choice"})
		}
		if len([]rune(d.Issuer)) > 80 {
			errs = append(errs, person.FieldError{Field: fmt.Sprintf("documents.%d.issuer", i), Key: "error.too_long"})
		}
	}
	return errs
}

// datedErrors are the field errors of documents whose type must be dated
// within N days (a utility bill) and whose issue date is missing, in the
// future or too old. Drafts skip them: a draft keeps what was typed.
func datedErrors(st config.Settings, docs []evidence.Shown, today person.Date) person.Errors {
	var errs person.Errors
	for i, sh := range docs {
		d, ok := st.Document(sh.Type)
		if !ok {
			continue
		}
		if k := evidence.DatedProblem(d, sh.Dated, today); k != "" {
			errs = append(errs, person.FieldError{Field: fmt.Sprintf("documents.%d.dated", i), Key: k, N: d.DatedWithinDays})
		}
	}
	return errs
}

// SaveDraft stores an incomplete intake so the clerk can finish later. Only
// the fields typed so far are checked for form (not completeness). id ""
// creates a draft; otherwise the draft id is updated.
func (s *Service) SaveDraft(ctx context.Context, by auth.Actor, id string, in Intake) (*Application, error) {
	return s.save(ctx, by, id, in, false, nil)
}

// Submit validates a complete intake and puts it in the supervisor's queue.
// With id it completes an existing draft. A repeated IdempotencyKey from the
// same clerk (double click, retry) returns the application already made.
func (s *Service) Submit(ctx context.Context, by auth.Actor, id string, in Intake) (*Application, error) {
	return s.save(ctx, by, id, in, true, nil)
}

// save stores a draft or a submission; ad, when not nil, is a
// pre-application being admitted, whose changes commit with the draft.
func (s *Service) save(ctx context.Context, by auth.Actor, id string, in Intake, submit bool, ad *admission) (*Application, error) {
	if !by.Can(auth.RoleClerk, auth.RoleSupervisor) {
		return nil, fmt.Errorf("take an application: %w", errs.ErrForbidden)
	}
	if by.SiteID == "" {
		return nil, fmt.Errorf("take an application: staff member has no site: %w", errs.ErrForbidden)
	}
	p := in.Person.Normalize()
	// Issuers are kept only for document types that ask for one, so an
	// issuer that would reveal nationality is never stored.
	in.Documents = evidence.Minimize(s.settings.Documents, in.Documents)
	today := s.today()
	if in.Field != nil && !in.Field.TakenOn.IsZero() && in.Field.TakenOn.Before(today) {
		today = in.Field.TakenOn
	}
	q := fee.Compute(s.settings.Fees, fee.KindNew, p.DateOfBirth, today)
	ev := s.evaluate(in, p, today)

	var problems person.Errors
	if submit {
		problems = s.submissionErrors(in, p, q, ev, today)
	} else {
		problems = append(problems, draftChecks(p, today, s.settings.Program.Languages)...)
		problems = append(problems, validateDocuments(s.settings, in.Documents)...)
	}
	var photoJPEG []byte
	if len(in.Photo) > 0 {
		var err error
		photoJPEG, err = photo.Normalize(bytes.NewReader(in.Photo), s.photo)
		if err != nil {
			var pe *photo.Error
			if errors.As(err, &pe) {
				problems = append(problems, person.FieldError{Field: "photo", Key: pe.Key})
			} else {
				return nil, fmt.Errorf("photo: %w", err)
			}
		}
	}
	if err := validationErr(problems); err != nil {
		return nil, err
	}
	if len(in.IdempotencyKey) > 128 {
		return nil, validationErr(person.Errors{{Field: "idempotency_key", Key: "error.too_long"}})
	}
	// Store only a digest: whatever a client puts in the key never reaches the database.
	idem := idempotencyDigest(in.IdempotencyKey)

	// Screen outside the transaction: it reads only the in-memory index. A
	// failure never loses the application; it goes to review instead.
	var matches []Match
	var screenErr error
	if submit && s.screener != nil {
		matches, screenErr = s.screener.Screen(ctx, id, p)
	}

	var out *Application
	var change int64 // the screening change of a new application
	// A new intake is inserted without first looking its idempotency key
	// up: the unique key refuses a repeated one, and only then is the
	// record it made looked up (a retry, a double click, a draft saved
	// under the key), in a second transaction. The common case saves a
	// round trip.
	lookup := false
	intake := func(tx Tx) error {
		now := s.now().UTC()
		var row Record
		var dk vault.DataKey
		var newPerson *PersonKey
		existing := false
		switch {
		case id != "":
			r, err := tx.Application(ctx, id)
			if errors.Is(err, errs.ErrNotFound) {
				return wrapNotFound(err, id)
			}
			if err != nil {
				return err
			}
			row, existing = r, true
		case idem != "" && lookup:
			r, err := tx.ApplicationByIdempotencyKey(ctx, by.StaffID, idem)
			if err == nil {
				row, existing = r, true
			} else if !errors.Is(err, errs.ErrNotFound) {
				return err
			}
		}
		if existing {
			if err := s.canSee(by, row); err != nil {
				return s.deny(ctx, by, row.ID, "application.update", err)
			}
			if row.Status != StatusDraft {
				if idem != "" && row.IdempotencyKey == idem {
					// A retry of a form already submitted: say which record
					// it made and its status, nothing more. The record
					// itself is a Get away, with a purpose and an audit event.
					out = repeated(by, row)
					return nil
				}
				return fmt.Errorf("application %s is %s: %w", row.ID, row.Status, ErrState)
			}
			pr, err := tx.Person(ctx, row.PersonID)
			if err != nil {
				return err
			}
			if dk, err = s.vault.OpenDataKey(pr.WrappedKey); err != nil {
				return fmt.Errorf("open data key: %w", err)
			}
			if photoJPEG == nil && len(row.Sealed.Photo) > 0 {
				old, err := dk.Open(binding("photo", row.ID), row.Sealed.Photo)
				if err != nil {
					return fmt.Errorf("open photo: %w", err)
				}
				photoJPEG = old
			}
		} else {
			var wrapped []byte
			var err error
			dk, wrapped, err = s.vault.NewDataKey()
			if err != nil {
				return err
			}
			personID, err := randid.New(s.rand, "per")
			if err != nil {
				return err
			}
			newPerson = &PersonKey{ID: personID, WrappedKey: wrapped, KEKID: s.vault.KEKID(), CreatedAt: now}
			appID, err := randid.New(s.rand, "app")
			if err != nil {
				return err
			}
			ref, err := NewReference(s.rand)
			if err != nil {
				return err
			}
			if in.Field != nil && validReference(in.Field.Reference) {
				ref = in.Field.Reference
			}
			row = Record{ID: appID, Reference: ref, PersonID: personID, SiteID: by.SiteID, ClerkID: by.StaffID,
				IdempotencyKey: idem, CreatedAt: now}
		}
		defer dk.Destroy()
		if submit && photoJPEG == nil {
			return validationErr(person.Errors{{Field: "photo", Key: "enroll.error.photo_required"}})
		}
		row.Status = StatusDraft
		action := "application.draft"
		var candidates []DuplicateCandidate
		if submit {
			row.Status = StatusSubmitted
			row.SubmittedAt = now
			if in.Field != nil && !in.Field.Since.IsZero() && in.Field.Since.Before(now) {
				row.SubmittedAt = in.Field.Since.UTC()
			}
			action = "application.submit"
			for _, m := range matches {
				if m.ID != row.ID {
					candidates = append(candidates, DuplicateCandidate{ApplicationID: row.ID, CandidateID: m.ID, Probability: m.Probability, CreatedAt: now})
				}
			}
			switch {
			case errors.Is(screenErr, ErrScreeningPending):
				row.Status, row.ReviewReason = StatusNeedsReview, ReviewScreeningPending
			case screenErr != nil:
				row.Status, row.ReviewReason = StatusNeedsReview, ReviewScreeningFailed
			case len(candidates) > 0:
				row.Status, row.ReviewReason = StatusNeedsReview, ReviewPossibleDuplicate
			case in.Field != nil && in.Field.Review != "":
				row.Status, row.ReviewReason = StatusNeedsReview, in.Field.Review
			}
			if in.Field != nil {
				row.FieldReview = in.Field.Review
			}
		}
		row.UpdatedAt = now
		row.Language = p.Language
		row.AgeCategory = q.Category
		row.EvidenceOK = ev.OK
		row.FeeKind, row.FeeCents = string(q.Kind), in.Payment.AmountCents
		row.PaymentMethod, row.WaiverReason = in.Payment.Method, in.Payment.WaiverReason
		if !p.DateOfBirth.IsZero() && p.GivenNames != "" && p.FirstSurname != "" {
			row.NameDOBIndex = s.NameDOBIndex(p.GivenNames, p.Surnames(), p.DateOfBirth)
		}
		sealed, err := seal(dk, row.ID, p, in.Documents, in.Caretaker, photoJPEG, notes{WaiverNote: in.Payment.WaiverNote})
		if err != nil {
			return err
		}
		row.Sealed = sealed
		event := audit.Event{At: now, Actor: by.StaffID, Action: action, RecordType: "application", RecordID: row.ID}
		audited := false
		switch {
		case existing:
			err = tx.UpdateApplication(ctx, row)
		case len(candidates) == 0 && ad == nil:
			// The common intake: nothing else to write between the rows
			// and their event, so they go together (a round trip fewer on
			// PostgreSQL, the audit chain's lock taken right after the
			// insert as before).
			change, err = tx.InsertPersonApplicationAudited(ctx, *newPerson, row, event)
			audited = true
		default:
			change, err = tx.InsertPersonApplication(ctx, *newPerson, row)
		}
		if err != nil {
			return err
		}
		if len(candidates) > 0 {
			if err := tx.InsertDuplicateCandidates(ctx, candidates); err != nil {
				return err
			}
		}
		if ad != nil {
			if err := ad.apply(ctx, tx, by, row.ID, now); err != nil {
				return err
			}
			event = auditAdmit(by, row.ID, now)
		}
		if !audited {
			if err := tx.AppendAudit(ctx, event); err != nil {
				return err
			}
		}
		out = &Application{ReviewReason: row.ReviewReason, ID: row.ID, Reference: row.Reference, PersonID: row.PersonID, SiteID: row.SiteID,
			ClerkID: row.ClerkID, Status: row.Status, Person: p, Documents: in.Documents, Caretaker: in.Caretaker,
			Photo: photoJPEG, Quote: q, Payment: in.Payment, Evidence: ev, AgeCategory: row.AgeCategory,
			CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, SubmittedAt: row.SubmittedAt}
		return nil
	}
	err := s.db.InTx(ctx, intake)
	if err != nil && isConflictRetry(err) && idem != "" && id == "" {
		// The key was used before: find what it made.
		lookup = true
		err = s.db.InTx(ctx, intake)
	}
	if err != nil && isConflictRetry(err) && idem != "" {
		// Two identical submissions raced; the other one won. Return it.
		return s.byIdempotency(ctx, by, idem)
	}
	if err != nil {
		return nil, err
	}
	if submit && s.screener != nil && (out.Status == StatusSubmitted || out.Status == StatusNeedsReview) {
		s.screener.Add(out.ID, out.Person, change)
	}
	out.Status, out.ReviewReason = clerkView(by, out.Status, out.ReviewReason)
	return out, nil
}

// submissionErrors are the checks of a complete intake (Submit, Import).
func (s *Service) submissionErrors(in Intake, p person.Person, q fee.Quote, ev evidence.Result, today person.Date) person.Errors {
	errs := p.Validate(today, s.settings.Program.Languages)
	errs = append(errs, validateDocuments(s.settings, in.Documents)...)
	errs = append(errs, datedErrors(s.settings, in.Documents, today)...)
	if !ev.OK {
		errs = append(errs, person.FieldError{Field: "documents", Key: "enroll.error.not_enough_documents"})
	}
	return append(errs, fee.ValidatePayment(s.settings.Fees, q, in.Payment)...)
}

func idempotencyDigest(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func isConflictRetry(err error) bool { return errors.Is(err, errs.ErrWriteConflict) }

func (s *Service) byIdempotency(ctx context.Context, by auth.Actor, key string) (*Application, error) {
	var out *Application
	err := s.db.InTx(ctx, func(tx Tx) error {
		row, err := tx.ApplicationByIdempotencyKey(ctx, by.StaffID, key)
		if err != nil {
			return err
		}
		out = repeated(by, row)
		return nil
	})
	return out, err
}

// repeated is the answer to a retried submission: id and status only.
func repeated(by auth.Actor, row Record) *Application {
	st, _ := clerkView(by, row.Status, "")
	return &Application{ID: row.ID, Status: st, Repeated: true}
}

// draftChecks checks the form of what has been typed, not completeness.
func draftChecks(p person.Person, today person.Date, langs []string) person.Errors {
	all := p.Validate(today, langs)
	var out person.Errors
	for _, fe := range all {
		if fe.Key != "error.required" {
			out = append(out, fe)
		}
	}
	return out
}

// NameDOBIndex is the keyed blind index for exact search by name and date of birth.
func (s *Service) NameDOBIndex(given, surnames string, dob person.Date) []byte {
	return s.vault.BlindIndex("name_dob", given, surnames, dob.String())
}

// deny records a refused attempt and returns err.
func (s *Service) deny(ctx context.Context, by auth.Actor, id, action string, err error) error {
	auditErr := s.db.Audit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: action, RecordType: "application", RecordID: id, Outcome: "denied"})
	return errors.Join(fmt.Errorf("application %s: %w", id, err), auditErr)
}

// Get opens an application for someone allowed to see it, writing an audit
// event with the stated purpose. Decided applications need a stated
// purpose; a cardholder's (issued) record needs a supervisor and one of
// CardholderPurposes (see checkPurpose).
func (s *Service) Get(ctx context.Context, by auth.Actor, id string, purpose Purpose) (*Application, error) {
	return s.GetNoted(ctx, by, id, purpose, "")
}

// maxNote bounds a reader's note (characters).
const maxNote = 500

// GetNoted is Get with a free-text note from the reader ("the resident
// called about her address"). The note is sealed with the person's data
// key in the same transaction as the audit event, so it is erased with the
// person; it never reaches the audit event or a log. An empty note stores
// nothing.
func (s *Service) GetNoted(ctx context.Context, by auth.Actor, id string, purpose Purpose, note string) (*Application, error) {
	return s.get(ctx, by, id, purpose, note, true)
}

// GetWithoutPhoto is Get for a page that does not show the portrait (the
// receipt): the sealed photo is neither fetched nor decrypted, and the
// result's Photo is nil. The read is checked and audited as Get's.
func (s *Service) GetWithoutPhoto(ctx context.Context, by auth.Actor, id string, purpose Purpose) (*Application, error) {
	return s.get(ctx, by, id, purpose, "", false)
}

func (s *Service) get(ctx context.Context, by auth.Actor, id string, purpose Purpose, note string, withPhoto bool) (*Application, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxNote {
		return nil, validationErr(person.Errors{{Field: "note", Key: "error.too_long"}})
	}
	// The person's key comes with the row: one statement, one snapshot.
	row, wrapped, err := s.db.ApplicationWithKey(ctx, id, withPhoto)
	if errors.Is(err, errs.ErrNotFound) {
		// Denied-by-guessing is audited like any other refusal.
		return nil, errors.Join(s.deny(ctx, by, sanitizeID(id), "application.read", errs.ErrNotFound), wrapNotFound(err, id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.canSee(by, row); err != nil {
		return nil, s.deny(ctx, by, row.ID, "application.read", err)
	}
	purpose, err = s.checkPurpose(ctx, by, row, purpose)
	if err != nil {
		return nil, err
	}
	now := s.now()
	event := audit.Event{At: now, Actor: by.StaffID, Action: "application.read", RecordType: "application", RecordID: row.ID, Purpose: string(purpose)}
	var out *Application
	if note != "" {
		// The note and the event commit together.
		err = s.db.InTx(ctx, func(tx Tx) error {
			if err := tx.AppendAudit(ctx, event); err != nil {
				return err
			}
			if err := s.sealNote(ctx, tx, by, row, note, now); err != nil {
				return err
			}
			var err error
			out, err = s.open(row, wrapped)
			return err
		})
	} else {
		// The event is committed (with other readers', one batch) before
		// the data key is unwrapped: a read the log cannot record is not made.
		if err = s.db.Audit(ctx, event); err == nil {
			out, err = s.open(row, wrapped)
		}
	}
	if err != nil {
		return nil, err
	}
	out.Status, out.ReviewReason = clerkView(by, out.Status, out.ReviewReason)
	return out, nil
}

// sanitizeID keeps a guessed id usable as an audit record id.
func sanitizeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// open decrypts a row with its person's wrapped data key (nil once
// erased). Callers have already checked access and audited.
func (s *Service) open(row Record, wrapped []byte) (*Application, error) {
	if wrapped == nil {
		return nil, fmt.Errorf("application %s: personal data was erased: %w", row.ID, errs.ErrNotFound)
	}
	dk, err := s.vault.OpenDataKey(wrapped)
	if err != nil {
		return nil, fmt.Errorf("open data key: %w", err)
	}
	defer dk.Destroy()
	u, err := unseal(dk, row)
	if err != nil {
		return nil, err
	}
	today := s.today()
	a := &Application{ID: row.ID, Reference: row.Reference, PersonID: row.PersonID, SiteID: row.SiteID,
		ClerkID: row.ClerkID, Status: row.Status, Person: u.person, Documents: u.documents.Docs,
		Caretaker: u.documents.Caretaker, Photo: u.photo, AgeCategory: row.AgeCategory,
		Payment:        fee.Payment{Method: row.PaymentMethod, AmountCents: row.FeeCents, WaiverReason: row.WaiverReason, WaiverNote: u.notes.WaiverNote},
		DecisionReason: row.DecisionReason, ReviewReason: row.ReviewReason, FieldReview: row.FieldReview, DecisionNote: u.notes.DecisionNote, DecidedBy: row.DecidedBy,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, SubmittedAt: row.SubmittedAt, DecidedAt: row.DecidedAt}
	a.Quote = fee.Compute(s.settings.Fees, fee.Kind(row.FeeKind), a.Person.DateOfBirth, person.DateOf(row.CreatedAt))
	if a.Quote.Kind == "" {
		a.Quote = fee.Compute(s.settings.Fees, fee.KindNew, a.Person.DateOfBirth, person.DateOf(row.CreatedAt))
	}
	a.Evidence = evidence.Evaluate(s.settings.Evidence, s.settings.Documents, evidence.Input{
		Shown: a.Documents, Age: ageOrZero(a.Person.DateOfBirth, today), Today: today, Caretaker: a.Caretaker,
	})
	return a, nil
}

func ageOrZero(dob, today person.Date) int {
	if dob.IsZero() {
		return 0
	}
	return dob.AgeOn(today)
}

// List returns summaries without personal data. Clerks see only their site.
func (s *Service) List(ctx context.Context, by auth.Actor, f ListFilter) ([]Summary, error) {
	f, none, err := listScope(by, f)
	if err != nil {
		return nil, err
	}
	if none {
		return []Summary{}, nil
	}
	if f.ReferencePrefix != "" {
		p, ok := ReferencePrefix(f.ReferencePrefix)
		if !ok {
			return []Summary{}, nil // no reference has such a character
		}
		f.ReferencePrefix = p
	}
	out, err := s.db.ListApplications(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Status, out[i].ReviewReason = clerkView(by, out[i].Status, out[i].ReviewReason)
	}
	return out, nil
}

// Approve accepts a submitted application.
func (s *Service) Approve(ctx context.Context, by auth.Actor, id, note string) error {
	return s.decide(ctx, by, id, StatusApproved, "", note)
}

// Reject refuses a submitted application with a reason code from settings.
func (s *Service) Reject(ctx context.Context, by auth.Actor, id, reason, note string) error {
	ok := false
	for _, r := range s.settings.Review.RejectReasons {
		ok = ok || r == reason
	}
	if !ok {
		return validationErr(person.Errors{{Field: "reason", Key: "error.invalid_choice"}})
	}
	if err := s.decide(ctx, by, id, StatusRejected, reason, note); err != nil {
		return err
	}
	if s.screener != nil {
		s.screener.Remove(id)
	}
	return nil
}

func (s *Service) decide(ctx context.Context, by auth.Actor, id string, to Status, reason, note string) error {
	if !by.Can(auth.RoleSupervisor) {
		return s.deny(ctx, by, sanitizeID(id), "application."+decisionVerb(to), errs.ErrForbidden)
	}
	if len([]rune(note)) > 500 {
		return validationErr(person.Errors{{Field: "note", Key: "error.too_long"}})
	}
	purpose := reason
	if to == StatusApproved {
		waived, err := s.checkFourEyes(ctx, by, id)
		if err != nil {
			return err
		}
		if waived {
			purpose = FourEyesWaived
		}
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		row, err := tx.Application(ctx, id)
		if errors.Is(err, errs.ErrNotFound) {
			return wrapNotFound(err, id)
		}
		if err != nil {
			return err
		}
		from := row.Status
		if from != StatusSubmitted && from != StatusNeedsReview {
			return fmt.Errorf("application %s is %s: %w", id, from, ErrState)
		}
		if to == StatusApproved && from == StatusNeedsReview && row.ReviewReason == ReviewScreeningPending {
			// Never approved unscreened: it is screened once an index is ready.
			return validationErr(person.Errors{{Field: "note", Key: "dup.error.pending_approve"}})
		}
		var sealedNotes []byte
		if note != "" {
			pr, err := tx.Person(ctx, row.PersonID)
			if err != nil {
				return err
			}
			dk, err := s.vault.OpenDataKey(pr.WrappedKey)
			if err != nil {
				return fmt.Errorf("open data key: %w", err)
			}
			defer dk.Destroy()
			old := notes{}
			if len(row.Sealed.Notes) > 0 {
				b, err := dk.Open(binding("notes", row.ID), row.Sealed.Notes)
				if err != nil {
					return fmt.Errorf("open notes: %w", err)
				}
				if err := json.Unmarshal(b, &old); err != nil {
					return fmt.Errorf("notes: %w", err)
				}
			}
			old.DecisionNote = note
			if sealedNotes, err = sealJSON(dk, "notes", row.ID, old); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		if err := tx.SetApplicationStatus(ctx, id, from, to, reason, by.StaffID, sealedNotes, now); err != nil {
			if errors.Is(err, errs.ErrWriteConflict) {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "application." + decisionVerb(to), RecordType: "application", RecordID: id, Purpose: purpose})
	})
}

func decisionVerb(to Status) string {
	if to == StatusApproved {
		return "approve"
	}
	return "reject"
}

// Counts returns application counts by status (all sites for supervisors, own site for clerks).
func (s *Service) Counts(ctx context.Context, by auth.Actor) (map[Status]int, error) {
	site := ""
	switch by.Role {
	case auth.RoleClerk:
		site = by.SiteID
	case auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAuditor:
	default:
		return nil, errs.ErrForbidden
	}
	m, err := s.countApplications(ctx, site)
	if err != nil {
		return nil, err
	}
	out := map[Status]int{}
	for k, v := range m {
		st, _ := clerkView(by, k, "")
		out[st] += v
	}
	return out, nil
}

// ReferenceAlphabet avoids look-alike characters (0/O, 1/I/L) so references can be read aloud.
const ReferenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewReference returns a resident-facing reference like "K7QM-4XTR-9PWA"
// (12 characters, about 59 bits: unguessable).
func NewReference(random io.Reader) (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("reference: %w", err)
	}
	out := make([]byte, 0, 14)
	for i, v := range b {
		if i == 4 || i == 8 {
			out = append(out, '-')
		}
		// 256 % 31 != 0; the slight bias is irrelevant at 59 bits.
		out = append(out, ReferenceAlphabet[int(v)%len(ReferenceAlphabet)])
	}
	return string(out), nil
}

// validReference reports whether ref has NewReference's form
// ("K7QM-4XTR-9PWA"): a field station's receipt carries one it drew.
func validReference(ref string) bool {
	if len(ref) != 14 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		if i == 4 || i == 9 {
			if ref[i] != '-' {
				return false
			}
			continue
		}
		if !strings.ContainsRune(ReferenceAlphabet, rune(ref[i])) {
			return false
		}
	}
	return true
}

// sealNote stores a reader's note sealed with the person's data key, bound
// to its own row, so a copy of the database shows only ciphertext.
func (s *Service) sealNote(ctx context.Context, tx Tx, by auth.Actor, row Record, note string, at time.Time) error {
	pr, err := tx.Person(ctx, row.PersonID)
	if err != nil {
		return err
	}
	dk, err := s.vault.OpenDataKey(pr.WrappedKey)
	if err != nil {
		return fmt.Errorf("open data key: %w", err)
	}
	defer dk.Destroy()
	id, err := randid.New(s.rand, "nte")
	if err != nil {
		return err
	}
	sealed, err := dk.Seal(vault.Binding{Table: "read_notes", Column: "note", Row: id}, []byte(note))
	if err != nil {
		return fmt.Errorf("seal note: %w", err)
	}
	return tx.InsertReadNote(ctx, ReadNote{ID: id, ApplicationID: row.ID, PersonID: row.PersonID, Actor: by.StaffID, At: at, Note: sealed})
}

// ReadNotes opens the notes readers left on an application (supervisors
// only, for the resident's own access request and fraud review).
func (s *Service) ReadNotes(ctx context.Context, by auth.Actor, id string) ([]Note, error) {
	if by.Role != auth.RoleSupervisor {
		return nil, s.deny(ctx, by, sanitizeID(id), "application.notes", errs.ErrForbidden)
	}
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return nil, wrapNotFound(err, id)
	}
	var pr PersonKey
	if err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		pr, err = tx.Person(ctx, row.PersonID)
		return err
	}); err != nil {
		return nil, err
	}
	if pr.WrappedKey == nil {
		return nil, nil // erased
	}
	dk, err := s.vault.OpenDataKey(pr.WrappedKey)
	if err != nil {
		return nil, fmt.Errorf("open data key: %w", err)
	}
	defer dk.Destroy()
	rows, err := s.db.ReadNotes(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(rows))
	for _, r := range rows {
		b, err := dk.Open(vault.Binding{Table: "read_notes", Column: "note", Row: r.ID}, r.Note)
		if err != nil {
			return nil, fmt.Errorf("open note %s: %w", r.ID, err)
		}
		out = append(out, Note{Actor: r.Actor, At: r.At, Text: string(b)})
	}
	return out, nil
}

// Note is a reader's note on an application, opened.
type Note struct {
	Actor string
	At    time.Time
	Text  string
}

// ReadNote is a reader's note as stored: sealed with the person's data key
// (vault binding read_notes/note/<id>).
type ReadNote struct {
	ID            string
	ApplicationID string
	PersonID      string
	Actor         string
	At            time.Time
	Note          []byte // sealed
}

// FourEyesWaived is the purpose recorded on an approval (and the mark on a
// card) where one person did what four eyes should have, at a site listed
// in review.single_person_sites.
const FourEyesWaived = "single_person_site"

// Handlers returns the staff who took or edited application id: its clerk
// and everyone the audit log shows saving or submitting it. The audit log
// is the record (hash-chained, append-only), so nobody can edit a form
// unrecorded.
func (s *Service) Handlers(ctx context.Context, id string) (map[string]bool, error) {
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return nil, wrapNotFound(err, id)
	}
	out := map[string]bool{row.ClerkID: true}
	evs, err := s.db.AuditEvents(ctx, audit.Filter{RecordType: "application", RecordID: id, Limit: 10_000})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		if (e.Action == "application.draft" || e.Action == actionFromPreapp || e.Action == "application.submit") && e.Outcome != audit.OutcomeDenied {
			out[e.Actor] = true
		}
	}
	return out, nil
}

// Decider returns who approved or rejected application id ("" when undecided).
func (s *Service) Decider(ctx context.Context, id string) (string, error) {
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return "", wrapNotFound(err, id)
	}
	return row.DecidedBy, nil
}

// SinglePersonSite reports whether a site is staffed by one person
// (review.single_person_sites): four eyes cannot hold there.
func (s *Service) SinglePersonSite(siteID string) bool {
	return slices.Contains(s.settings.Review.SinglePersonSites, siteID)
}

// checkFourEyes refuses (audited) an approval by someone who took or
// edited the application, unless its site is a single-person site; then it
// reports waived. The system actor (the operator's command line, which
// holds the master key anyway) is outside the rule.
func (s *Service) checkFourEyes(ctx context.Context, by auth.Actor, id string) (waived bool, err error) {
	if by.StaffID == auth.System().StaffID {
		return false, nil
	}
	handlers, err := s.Handlers(ctx, id)
	if err != nil {
		return false, err
	}
	if !handlers[by.StaffID] {
		return false, nil
	}
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return false, wrapNotFound(err, id)
	}
	if s.SinglePersonSite(row.SiteID) {
		return true, nil
	}
	return false, s.deny(ctx, by, row.ID, "application.approve", ErrFourEyes)
}
