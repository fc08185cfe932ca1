package enroll

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
)

// bulkTx is what a store offers for loading many rows at once (one
// statement per table and batch); Import uses it when the Tx has it and
// falls back to a row at a time.
type bulkTx interface {
	InsertPersons(ctx context.Context, ps []PersonKey) error
	InsertApplications(ctx context.Context, rs []Record) error
	AppendAudits(ctx context.Context, es []audit.Event) error
}

// ImportItem is one resident for Import: a complete intake whose photo is
// already normalized (photo.Normalize: the bulk loader normalizes each
// synthetic portrait once), and the supervisor's decision.
type ImportItem struct {
	Intake   Intake
	Decision Status // StatusApproved, StatusRejected, or StatusSubmitted to leave it for review
	Reason   string // reject reason (a settings code)
}

// Imported says what Import stored for one item.
type Imported struct {
	ID     string
	Status Status
}

// Import takes a batch of intakes at the clerk's site and the supervisor's
// decisions in one transaction: the loader of synthetic cities at scale.
// Each intake is validated, screened against the duplicate index and
// sealed under its own data key exactly as Submit does it, and audited as
// submitted and then decided, so the records are those of the normal path;
// what it saves is a transaction (and an fsync) per person and a decode of
// the same photo each time. A repeated idempotency key fails the whole
// batch with errs.ErrWriteConflict (nothing is stored).
func (s *Service) Import(ctx context.Context, clerk, supervisor auth.Actor, items []ImportItem) ([]Imported, error) {
	if !clerk.Can(auth.RoleClerk, auth.RoleSupervisor) || clerk.SiteID == "" || !supervisor.Can(auth.RoleSupervisor) {
		return nil, fmt.Errorf("import: %w", errs.ErrForbidden)
	}
	today := s.today()
	type prepared struct {
		row        Record
		person     PersonKey
		p          person.Person
		candidates []DuplicateCandidate
		decision   Status
		reason     string
	}
	preps := make([]prepared, len(items))
	for i, it := range items {
		in := it.Intake
		p := in.Person.Normalize()
		in.Documents = evidence.Minimize(s.settings.Documents, in.Documents)
		q := fee.Compute(s.settings.Fees, fee.KindNew, p.DateOfBirth, today)
		ev := s.evaluate(in, p, today)
		if err := validationErr(s.submissionErrors(in, p, q, ev, today)); err != nil {
			return nil, fmt.Errorf("import item %d: %w", i, err)
		}
		if len(in.Photo) == 0 {
			return nil, fmt.Errorf("import item %d: %w", i, validationErr(person.Errors{{Field: "photo", Key: "enroll.error.photo_required"}}))
		}
		switch it.Decision {
		case StatusApproved, StatusRejected, StatusSubmitted:
		default:
			return nil, fmt.Errorf("import item %d: decision %q: %w", i, it.Decision, ErrState)
		}
		dk, wrapped, err := s.vault.NewDataKey()
		if err != nil {
			return nil, err
		}
		pr := prepared{p: p, decision: it.Decision, reason: it.Reason}
		if pr.person.ID, err = randid.New(s.rand, "per"); err != nil {
			dk.Destroy()
			return nil, err
		}
		pr.person.WrappedKey, pr.person.KEKID = wrapped, s.vault.KEKID()
		r := &pr.row
		if r.ID, err = randid.New(s.rand, "app"); err != nil {
			dk.Destroy()
			return nil, err
		}
		if r.Reference, err = NewReference(s.rand); err != nil {
			dk.Destroy()
			return nil, err
		}
		r.PersonID, r.SiteID, r.ClerkID, r.IdempotencyKey = pr.person.ID, clerk.SiteID, clerk.StaffID, idempotencyDigest(in.IdempotencyKey)
		r.Status, r.Language, r.AgeCategory, r.EvidenceOK = StatusSubmitted, p.Language, q.Category, ev.OK
		r.FeeKind, r.FeeCents, r.PaymentMethod, r.WaiverReason = string(q.Kind), in.Payment.AmountCents, in.Payment.Method, in.Payment.WaiverReason
		r.NameDOBIndex = s.NameDOBIndex(p.GivenNames, p.Surnames(), p.DateOfBirth)
		r.Sealed, err = seal(dk, r.ID, p, in.Documents, in.Caretaker, in.Photo, notes{WaiverNote: in.Payment.WaiverNote})
		dk.Destroy()
		if err != nil {
			return nil, err
		}
		if s.screener != nil {
			matches, err := s.screener.Screen(ctx, "", p)
			switch {
			case errors.Is(err, ErrScreeningPending):
				r.Status, r.ReviewReason = StatusNeedsReview, ReviewScreeningPending
			case err != nil:
				r.Status, r.ReviewReason = StatusNeedsReview, ReviewScreeningFailed
			case len(matches) > 0:
				r.Status, r.ReviewReason = StatusNeedsReview, ReviewPossibleDuplicate
				for _, m := range matches {
					pr.candidates = append(pr.candidates, DuplicateCandidate{ApplicationID: r.ID, CandidateID: m.ID, Probability: m.Probability})
				}
			}
		}
		preps[i] = pr
	}
	out := make([]Imported, len(preps))
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.now().UTC()
		persons := make([]PersonKey, len(preps))
		rows := make([]Record, len(preps))
		var candidates []DuplicateCandidate
		events := make([]audit.Event, 0, 2*len(preps))
		for i := range preps {
			pr := &preps[i]
			pr.person.CreatedAt = now
			persons[i] = pr.person
			r := pr.row
			r.CreatedAt, r.UpdatedAt, r.SubmittedAt = now, now, now
			for _, c := range pr.candidates {
				c.CreatedAt = now
				candidates = append(candidates, c)
			}
			events = append(events, audit.Event{At: now, Actor: clerk.StaffID, Action: "application.submit", RecordType: "application", RecordID: r.ID})
			if pr.decision != StatusSubmitted {
				// Stored as decided: the row a submit and then a decision
				// leave, with both audit events.
				r.Status, r.DecisionReason, r.DecidedBy, r.DecidedAt = pr.decision, pr.reason, supervisor.StaffID, now
				events = append(events, audit.Event{At: now, Actor: supervisor.StaffID, Action: "application." + decisionVerb(pr.decision),
					RecordType: "application", RecordID: r.ID, Purpose: pr.reason})
			}
			rows[i] = r
			out[i] = Imported{ID: r.ID, Status: r.Status}
		}
		if b, ok := tx.(bulkTx); ok {
			if err := b.InsertPersons(ctx, persons); err != nil {
				return err
			}
			if err := b.InsertApplications(ctx, rows); err != nil {
				return err
			}
			if err := tx.InsertDuplicateCandidates(ctx, candidates); err != nil {
				return err
			}
			return b.AppendAudits(ctx, events)
		}
		for i := range rows {
			if err := tx.InsertPerson(ctx, persons[i]); err != nil {
				return err
			}
			if _, err := tx.InsertApplication(ctx, rows[i]); err != nil {
				return err
			}
		}
		if err := tx.InsertDuplicateCandidates(ctx, candidates); err != nil {
			return err
		}
		for _, e := range events {
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errs.ErrWriteConflict) {
			return nil, fmt.Errorf("import: an idempotency key was used before: %w", err)
		}
		return nil, err
	}
	if s.screener != nil {
		for i, pr := range preps {
			if out[i].Status != StatusRejected {
				s.screener.Add(out[i].ID, pr.p, 0)
			}
		}
	}
	return out, nil
}
