package enroll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Screener finds earlier records that may be the same person (package
// dedup implements it over the linkage engine). Screening runs at every
// submission against pending applications and cardholders.
type Screener interface {
	// Screen returns likely matches for p, never including self.
	Screen(ctx context.Context, self string, p person.Person) ([]Match, error)
	// Add puts (or replaces) a record in the index; Remove takes it out.
	// change, when not 0, is the number of the screening change the write
	// of p added: this index has applied it, so following the change feed
	// need not read and decrypt the record again.
	Add(id string, p person.Person, change int64)
	Remove(id string)
	// Explain compares p with one indexed record field by field.
	Explain(candidateID string, p person.Person) (Explanation, error)
}

// Match is a possible earlier record of the same person.
type Match struct {
	ID string
	// Probability is the figure a reviewer is shown: the model's, through
	// its calibration to reviewers' decisions when it has one (so it may
	// be under the review threshold the model's own figure passed).
	Probability float64
}

// Explanation breaks a match score down field by field for the reviewer.
type Explanation struct {
	Probability float64
	Fields      []FieldComparison
	Summary     MatchSummary
}

// MatchSummary is what decided a score, in words a reviewer reads first: the
// factors that agree, nearly agree and differ (given_name, surname,
// date_of_birth, sex, suffix, address, email, phone) and why a
// disagreement weighs as it does (Reason… names). The page translates them.
type MatchSummary struct {
	Same, Nearly, Different []string
	Reasons                 []string
}

// Reasons a summary gives.
const (
	ReasonMoved        = "moved"         // a different address weighs little: people move
	ReasonSurnameForm  = "surname_form"  // a second surname dropped, added or swapped
	ReasonGivenForm    = "given_form"    // nicknames, accents, typos in a given name
	ReasonBirthTypo    = "birth_typo"    // a birth date a digit off or day and month swapped
	ReasonGivenDiffers = "given_differs" // a wholly different given name weighs heavily
	ReasonHousehold    = "household"     // relatives at one address look alike
)

// FieldComparison is one compared field: the normalized values and how they agreed.
type FieldComparison struct {
	Field       string
	Left, Right string
	Level       string // "exact", "strong_fuzzy", "weak_fuzzy", "phonetic", "different", "missing"
	Weight      float64
}

// Review reasons: why an application waits for a supervisor.
const (
	ReviewPossibleDuplicate = "possible_duplicate"
	ReviewScreeningFailed   = "screening_failed"
	// ReviewScreeningPending: taken while the server's screening index was
	// still loading (a first start rebuilds it); screened again once an
	// index is ready (ScreenPending), and never approved before.
	ReviewScreeningPending = "screening_pending"
	// ReviewRevokedStation: imported from a field station revoked since
	// (a packet sealed before revocation and uploaded late).
	ReviewRevokedStation = "revoked_station"
)

// ErrScreeningPending is what a Screener returns while its index is still
// loading: the application goes to review with ReviewScreeningPending.
var ErrScreeningPending = errors.New("duplicate screening: the index is still loading")

// SetScreener turns on duplicate screening at submission.
func (s *Service) SetScreener(sc Screener) { s.screener = sc }

// EachPerson decrypts every application in one of statuses and calls fn.
// It is for rebuilding the screening index at start: a system task, not a
// staff member's look, so it writes no per-record audit events.
func (s *Service) EachPerson(ctx context.Context, statuses []Status, fn func(id string, p person.Person) error) error {
	return s.db.EachApplication(ctx, statuses, func(row Record, wrapped []byte) error {
		if wrapped == nil || row.Sealed.GivenNames == nil {
			return nil // erased
		}
		p, err := s.personOf(row, wrapped)
		if err != nil {
			return err
		}
		return fn(row.ID, p)
	})
}

// EachPersonParallel is EachPerson with the decryption (a data key and
// the name, birth date, address and contact fields of each row) spread
// over workers goroutines, a chunk of rows at a time, so rebuilding the
// index of a large city at start uses every core. fn is still called from
// one goroutine in the walk's order, so an index built from it is the same
// on every server.
func (s *Service) EachPersonParallel(ctx context.Context, statuses []Status, workers int, fn func(id string, p person.Person) error) error {
	if workers <= 1 {
		return s.EachPerson(ctx, statuses, fn)
	}
	chunk := 64 * workers
	rows := make([]Record, 0, chunk)
	keys := make([][]byte, 0, chunk)
	people := make([]person.Person, chunk)
	failed := make([]error, chunk)
	flush := func() error {
		var wg sync.WaitGroup
		per := (len(rows) + workers - 1) / workers
		for start := 0; start < len(rows); start += per {
			end := min(start+per, len(rows))
			wg.Go(func() {
				for i := start; i < end; i++ {
					people[i], failed[i] = s.personOf(rows[i], keys[i])
				}
			})
		}
		wg.Wait()
		for i := range rows {
			if failed[i] != nil {
				return failed[i]
			}
			if err := fn(rows[i].ID, people[i]); err != nil {
				return err
			}
		}
		rows, keys = rows[:0], keys[:0]
		return ctx.Err()
	}
	err := s.db.EachApplication(ctx, statuses, func(row Record, wrapped []byte) error {
		if wrapped == nil || row.Sealed.GivenNames == nil {
			return nil // erased
		}
		rows, keys = append(rows, row), append(keys, wrapped)
		if len(rows) == chunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// ScreeningState reads applications as duplicate screening should see them
// now (after another server changed them): fn gets each id that still
// exists, its person, and the person's data when the application is one a
// submission is compared with and its personal data is kept (nil when it
// is not: a draft, rejected, erased or reduced to a "no list" encoding).
// Ids that no longer exist are not passed to fn. A system task, like
// EachPerson: no per-record audit events.
func (s *Service) ScreeningState(ctx context.Context, ids []string, fn func(id, personID string, p *person.Person) error) error {
	screened := map[Status]bool{}
	for _, st := range ScreenedStatuses() {
		screened[st] = true
	}
	return s.db.ScreeningApplications(ctx, ids, func(row Record, wrapped []byte) error {
		if !screened[row.Status] || wrapped == nil || row.Sealed.GivenNames == nil {
			return fn(row.ID, row.PersonID, nil)
		}
		p, err := s.personOf(row, wrapped)
		if err != nil {
			return err
		}
		return fn(row.ID, row.PersonID, &p)
	})
}

// DecidedPair is a supervisor's decision on a pair with both records'
// personal data, for re-estimating the duplicate model.
type DecidedPair struct {
	ApplicationID, CandidateID string
	Application, Candidate     person.Person
	Same                       bool
}

// PairDecision is a kept decision, ids only (the store lists them).
type PairDecision struct {
	ApplicationID, CandidateID string
	Same                       bool
}

// DecidedPairs opens both records of each decision whose two records still
// have their personal data (pairs with an erased or reduced record are
// skipped). Only an administrator (or the system) may: it reads many
// people's records at once, each record audited (before it is decrypted)
// with the purpose model_estimate.
func (s *Service) DecidedPairs(ctx context.Context, by auth.Actor, decisions []PairDecision) ([]DecidedPair, error) {
	if !by.Can(auth.RoleAdmin) {
		return nil, s.deny(ctx, by, "pair_decisions", "linkage.labels_read", errs.ErrForbidden)
	}
	var ids []string
	seen := map[string]bool{}
	for _, d := range decisions {
		for _, id := range []string{d.ApplicationID, d.CandidateID} {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	// The reads are audited first, in one transaction: if the log cannot
	// be written nothing is decrypted.
	err := s.db.InTx(ctx, func(tx Tx) error {
		for _, id := range ids {
			if err := tx.AppendAudit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: "application.read", Purpose: "model_estimate", RecordType: "application", RecordID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decided pairs: audit: %w", err)
	}
	people := map[string]person.Person{}
	err = s.db.ScreeningApplications(ctx, ids, func(row Record, wrapped []byte) error {
		if wrapped == nil || row.Sealed.GivenNames == nil {
			return nil // erased or reduced
		}
		p, err := s.personOf(row, wrapped)
		if err != nil {
			return err
		}
		people[row.ID] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decided pairs: %w", err)
	}
	var out []DecidedPair
	for _, d := range decisions {
		a, okA := people[d.ApplicationID]
		b, okB := people[d.CandidateID]
		if !okA || !okB {
			continue
		}
		out = append(out, DecidedPair{ApplicationID: d.ApplicationID, CandidateID: d.CandidateID, Application: a, Candidate: b, Same: d.Same})
	}
	return out, nil
}

// ScreenedStatuses are the applications a new submission is compared with.
func ScreenedStatuses() []Status {
	return []Status{StatusSubmitted, StatusNeedsReview, StatusApproved, StatusIssued}
}

// DuplicateReview is one possible duplicate of an application, decrypted for the supervisor.
type DuplicateReview struct {
	CandidateID string
	// Candidate is nil when the candidate's personal data was erased ("no
	// list" mode): the match was found on keyed encodings, and only the
	// record id (and its cards) remain to look at.
	Candidate   *Application
	Erased      bool
	Probability float64
	Explanation Explanation
}

// Duplicates opens an application's possible duplicates side by side. Every
// candidate opened is an audited read with purpose fraud_review.
func (s *Service) Duplicates(ctx context.Context, by auth.Actor, id string) (*Application, []DuplicateReview, error) {
	if !by.Can(auth.RoleSupervisor) {
		return nil, nil, s.deny(ctx, by, sanitizeID(id), "application.read", errs.ErrForbidden)
	}
	app, err := s.Get(ctx, by, id, PurposeFraudReview)
	if err != nil {
		return nil, nil, err
	}
	cands, err := s.db.DuplicateCandidates(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var out []DuplicateReview
	for _, c := range cands {
		other, err := s.Get(ctx, by, c.CandidateID, PurposeFraudReview)
		if errors.Is(err, errs.ErrNotFound) {
			if _, rowErr := s.db.Application(ctx, c.CandidateID); rowErr == nil {
				// The record exists but its personal data was erased.
				out = append(out, DuplicateReview{CandidateID: c.CandidateID, Erased: true, Probability: c.Probability})
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		r := DuplicateReview{CandidateID: c.CandidateID, Candidate: other, Probability: c.Probability}
		if s.screener != nil {
			if ex, err := s.screener.Explain(c.CandidateID, app.Person); err == nil {
				r.Explanation = ex
			}
		}
		out = append(out, r)
	}
	return app, out, nil
}

// ResolveDuplicate records a supervisor's decision on one candidate pair.
// Different people: the pair is remembered and never flagged again; when no
// candidates remain the application returns to the normal queue. Same
// person: the new application is rejected as a duplicate.
func (s *Service) ResolveDuplicate(ctx context.Context, by auth.Actor, id, candidateID string, same bool, note string) error {
	if !by.Can(auth.RoleSupervisor) {
		return s.deny(ctx, by, sanitizeID(id), "application.resolve_duplicate", errs.ErrForbidden)
	}
	if same {
		if err := s.Reject(ctx, by, id, "duplicate", note); err != nil {
			return err
		}
		return s.db.InTx(ctx, func(tx Tx) error {
			if err := tx.ClearDuplicateCandidates(ctx, id); err != nil {
				return err
			}
			if err := tx.RecordPairDecision(ctx, id, candidateID, true, by.StaffID, s.now().UTC()); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: "application.duplicate_same", RecordType: "application", RecordID: id})
		})
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		row, err := tx.Application(ctx, id)
		if errors.Is(err, errs.ErrNotFound) {
			return wrapNotFound(err, id)
		}
		if err != nil {
			return err
		}
		left, err := tx.DeleteDuplicateCandidate(ctx, id, candidateID)
		if errors.Is(err, errs.ErrNotFound) {
			return fmt.Errorf("candidate %s of %s: %w", candidateID, id, errs.ErrNotFound)
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := tx.MarkDistinct(ctx, id, candidateID, by.StaffID, now); err != nil {
			return err
		}
		if err := tx.RecordPairDecision(ctx, id, candidateID, false, by.StaffID, now); err != nil {
			return err
		}
		if left == 0 && row.Status == StatusNeedsReview && row.ReviewReason == ReviewPossibleDuplicate {
			row.Status, row.ReviewReason = afterScreening(row)
			row.UpdatedAt = now
			if err := tx.UpdateApplication(ctx, row); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "application.duplicate_distinct", RecordType: "application", RecordID: id})
	})
}

// FlagMissedDuplicate puts a pending application before a supervisor as a
// possible duplicate when a spot check of the duplicate model found it to
// be the same person as another record that screening did not flag. Of the
// two, the pending one is flagged (both pending: the newer); one submitted
// goes to review, one already in review for a possible duplicate gains the
// candidate. Decided records, or one held for another reason, are left to
// the supervisor (flagged is ""). It runs in the caller's transaction (the
// spot check's decision) and is audited there.
func (s *Service) FlagMissedDuplicate(ctx context.Context, tx Tx, by auth.Actor, a, b string, probability float64, now time.Time) (flagged string, err error) {
	if !by.Can(auth.RoleSupervisor) {
		return "", fmt.Errorf("flag a missed duplicate: %w", errs.ErrForbidden)
	}
	ra, err := tx.Application(ctx, a)
	if err != nil {
		return "", wrapNotFound(err, a)
	}
	rb, err := tx.Application(ctx, b)
	if err != nil {
		return "", wrapNotFound(err, b)
	}
	open := func(r Record) bool {
		return r.Status == StatusSubmitted || (r.Status == StatusNeedsReview && r.ReviewReason == ReviewPossibleDuplicate)
	}
	target, other := ra, rb
	switch {
	case open(ra) && open(rb):
		if rb.CreatedAt.After(ra.CreatedAt) || (rb.CreatedAt.Equal(ra.CreatedAt) && rb.ID > ra.ID) {
			target, other = rb, ra
		}
	case open(rb):
		target, other = rb, ra
	case !open(ra):
		return "", nil
	}
	now = now.UTC()
	if err := tx.InsertDuplicateCandidates(ctx, []DuplicateCandidate{{ApplicationID: target.ID, CandidateID: other.ID, Probability: probability, CreatedAt: now}}); err != nil {
		return "", err
	}
	if target.Status == StatusSubmitted {
		target.Status, target.ReviewReason, target.UpdatedAt = StatusNeedsReview, ReviewPossibleDuplicate, now
		if err := tx.UpdateApplication(ctx, target); err != nil {
			return "", err
		}
	}
	if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "application.flag_duplicate", RecordType: "application", RecordID: target.ID}); err != nil {
		return "", err
	}
	return target.ID, nil
}

// LinkDuplicate records that the application is by the same person as the
// candidate, and that this application should go ahead anyway (a renewal
// or replacement through a new application): the pair is linked in the
// audit log and the application returns to the normal queue when no
// candidates remain. Retiring the earlier card is the card service's job.
func (s *Service) LinkDuplicate(ctx context.Context, by auth.Actor, id, candidateID string) error {
	if !by.Can(auth.RoleSupervisor) {
		return s.deny(ctx, by, sanitizeID(id), "application.resolve_duplicate", errs.ErrForbidden)
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		row, err := tx.Application(ctx, id)
		if errors.Is(err, errs.ErrNotFound) {
			return wrapNotFound(err, id)
		}
		if err != nil {
			return err
		}
		left, err := tx.DeleteDuplicateCandidate(ctx, id, candidateID)
		if errors.Is(err, errs.ErrNotFound) {
			return fmt.Errorf("candidate %s of %s: %w", candidateID, id, errs.ErrNotFound)
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if left == 0 && row.Status == StatusNeedsReview && row.ReviewReason == ReviewPossibleDuplicate {
			row.Status, row.ReviewReason = afterScreening(row)
			row.UpdatedAt = now
			if err := tx.UpdateApplication(ctx, row); err != nil {
				return err
			}
		}
		// The link itself: this application and the earlier record are one person.
		if err := tx.RecordPairDecision(ctx, id, candidateID, true, by.StaffID, now); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "application.duplicate_link", RecordType: "application", RecordID: id}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "application.duplicate_link", RecordType: "application", RecordID: candidateID})
	})
}

// personOf opens row's person data with its wrapped data key, which it
// destroys before returning (system tasks: no audit event here).
func (s *Service) personOf(row Record, wrapped []byte) (person.Person, error) {
	dk, err := s.vault.OpenDataKey(wrapped)
	if err != nil {
		return person.Person{}, fmt.Errorf("open data key: %w", err)
	}
	defer dk.Destroy()
	u, err := unseal(dk, row)
	return u.person, err
}

// ScreenPending screens the applications taken while a screening index was
// loading (ReviewScreeningPending), at most limit of them, with the
// screener, whose index must be ready now: one with possible duplicates
// stays in review with them as candidates (ReviewPossibleDuplicate); one
// without returns to the normal queue, so the supervisor sees it was
// screened. Each outcome is audited (action application.screen, actor
// system). An application decided or screened by another server meanwhile
// is left as it is. It returns how many it screened; with
// ErrScreeningPending when the index is not ready yet.
func (s *Service) ScreenPending(ctx context.Context, limit int) (int, error) {
	if s.screener == nil {
		return 0, nil
	}
	ids, err := s.db.PendingScreening(ctx, limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	type pending struct {
		id, fieldReview string
		p               person.Person
	}
	var todo []pending
	err = s.db.ScreeningApplications(ctx, ids, func(row Record, wrapped []byte) error {
		if wrapped == nil || row.Sealed.GivenNames == nil {
			return nil // personal data erased since: nothing to compare
		}
		p, err := s.personOf(row, wrapped)
		if err != nil {
			return err
		}
		todo = append(todo, pending{row.ID, row.FieldReview, p})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("screen pending applications: %w", err)
	}
	slices.SortFunc(todo, func(a, b pending) int { return strings.Compare(a.id, b.id) })
	n := 0
	for _, a := range todo {
		matches, screenErr := s.screener.Screen(ctx, a.id, a.p)
		if errors.Is(screenErr, ErrScreeningPending) {
			return n, screenErr
		}
		err := s.db.InTx(ctx, func(tx Tx) error {
			now := s.now().UTC()
			var candidates []DuplicateCandidate
			for _, m := range matches {
				if m.ID != a.id {
					candidates = append(candidates, DuplicateCandidate{ApplicationID: a.id, CandidateID: m.ID, Probability: m.Probability, CreatedAt: now})
				}
			}
			status, reason := afterScreening(Record{FieldReview: a.fieldReview})
			switch {
			case screenErr != nil:
				status, reason = StatusNeedsReview, ReviewScreeningFailed
			case len(candidates) > 0:
				status, reason = StatusNeedsReview, ReviewPossibleDuplicate
			}
			if err := tx.SetScreened(ctx, a.id, status, reason, now); err != nil {
				return err
			}
			if len(candidates) > 0 {
				if err := tx.InsertDuplicateCandidates(ctx, candidates); err != nil {
					return err
				}
			}
			return tx.AppendAudit(ctx, audit.Event{At: now, Actor: auth.System().StaffID, Action: "application.screen",
				Purpose: "screening_pending", RecordType: "application", RecordID: a.id})
		})
		switch {
		case errors.Is(err, errs.ErrWriteConflict):
			continue // decided, or screened by another server, meanwhile
		case err != nil:
			return n, fmt.Errorf("screen pending application %s: %w", a.id, err)
		}
		n++
	}
	return n, nil
}

// afterScreening is where an application goes once screening no longer
// holds it (its duplicates resolved, or screened after the index loaded):
// back to review for its field station's reason if it has one (a packet
// sealed after its station was revoked is seen by a supervisor whatever
// screening finds), else to the normal queue.
func afterScreening(r Record) (Status, string) {
	if r.FieldReview != "" {
		return StatusNeedsReview, r.FieldReview
	}
	return StatusSubmitted, ""
}
