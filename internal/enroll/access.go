package enroll

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// CardholderPurposes are the only reasons to open a cardholder's record
// (a card was handed over and the reprint grace period is over): routine
// work is done once the person holds the card.
var CardholderPurposes = []Purpose{PurposeRenewal, PurposeReplacement, PurposeCorrection, PurposeFraudReview, PurposeOwnRequest}

// checkPurpose decides which purpose a read is recorded with, or refuses
// it (audited as denied). A decided or issued application needs a purpose
// stated by the reader (the card desk states one to print, preview and
// reprint a card until Retention.NoListGraceDays after handing it over);
// after that grace period the record is a cardholder's and needs a
// supervisor and one of CardholderPurposes. Work in progress defaults to
// review.
func (s *Service) checkPurpose(ctx context.Context, by auth.Actor, row Record, purpose Purpose) (Purpose, error) {
	st := row.Status
	if purpose != "" && !purpose.Valid() {
		// Never repeat what was typed: a free-text "purpose" may hold a
		// name and date of birth, and this error reaches the log.
		return "", s.deny(ctx, by, row.ID, "application.read", fmt.Errorf("purpose not in the list: %w", ErrPurpose))
	}
	// A card-desk purpose names an action; it fits one status only (no
	// "card_issue" to read an issued record, no "card_print" before issue).
	if want, ok := actionStatus[purpose]; ok && st != want {
		return "", s.deny(ctx, by, row.ID, "application.read", fmt.Errorf("purpose %s on a %s record: %w", purpose, st, ErrPurpose))
	}
	if st == StatusIssued {
		holder, err := s.cardHandedOver(ctx, row.ID)
		if err != nil {
			return "", err
		}
		switch {
		case holder && by.Role != auth.RoleSupervisor:
			return "", s.deny(ctx, by, row.ID, "application.read", errs.ErrForbidden)
		case holder && !slices.Contains(CardholderPurposes, purpose):
			return "", s.deny(ctx, by, row.ID, "application.read", fmt.Errorf("cardholder record: %w", ErrPurpose))
		}
	}
	if purpose == "" {
		if st == StatusApproved || st == StatusRejected || st == StatusIssued {
			return "", s.deny(ctx, by, row.ID, "application.read", fmt.Errorf("decided record: %w", ErrPurpose))
		}
		return PurposeReview, nil
	}
	return purpose, nil
}

// StatusOf is an application's status (not personal data), so the card
// desk can refuse a wrong step before opening the record.
func (s *Service) StatusOf(ctx context.Context, id string) (Status, error) {
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return "", wrapNotFound(err, id)
	}
	return row.Status, nil
}

// SiteOf is the site an application was taken at (not personal data): the
// card desk lists and hands over cards by site.
func (s *Service) SiteOf(ctx context.Context, id string) (string, error) {
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return "", wrapNotFound(err, id)
	}
	return row.SiteID, nil
}

// ReferenceOf is an application's reference (not personal data), for the
// card desk's batch results.
func (s *Service) ReferenceOf(ctx context.Context, id string) (string, error) {
	row, err := s.db.Application(ctx, id)
	if err != nil {
		return "", wrapNotFound(err, id)
	}
	return row.Reference, nil
}

// cardHandedOver reports whether a card of the application reached its
// holder longer ago than the reprint grace period.
func (s *Service) cardHandedOver(ctx context.Context, appID string) (bool, error) {
	grace := s.settings.Retention.NoListGraceDays
	cards, err := s.db.CardsOf(ctx, appID)
	if err != nil {
		return false, err
	}
	for _, c := range cards {
		if !c.HandedOverAt.IsZero() && !s.now().Before(c.HandedOverAt.AddDate(0, 0, grace)) {
			return true, nil
		}
	}
	return false, nil
}

// ErrSearch means a search lacked one of the three fields it needs.
var ErrSearch = errors.New("search needs given names, surnames and date of birth")

// Search finds applications of one person by exact given names, surnames
// and date of birth, through the keyed blind index: there is no partial
// or name-only search and no browsing of cardholders. Only supervisors
// search, stating a purpose; the search is audited with how many records
// it found (never with what was searched for), and results carry no
// personal data. Opening one is a Get with a purpose.
func (s *Service) Search(ctx context.Context, by auth.Actor, given, surnames string, dob person.Date, purpose Purpose) ([]Summary, error) {
	deny := func(err error) error {
		auditErr := s.db.Audit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: "application.search", Purpose: sanitizePurpose(purpose), Outcome: audit.OutcomeDenied})
		return errors.Join(fmt.Errorf("search: %w", err), auditErr)
	}
	if by.Role != auth.RoleSupervisor {
		return nil, deny(errs.ErrForbidden)
	}
	if !slices.Contains(CardholderPurposes, purpose) && purpose != PurposeReview {
		return nil, deny(ErrPurpose)
	}
	p := person.Person{GivenNames: given, FirstSurname: surnames}.Normalize()
	if p.GivenNames == "" || p.FirstSurname == "" || dob.IsZero() {
		return nil, fmt.Errorf("search: %w", ErrSearch)
	}
	rows, err := s.db.ApplicationsByNameDOB(ctx, s.NameDOBIndex(p.GivenNames, p.FirstSurname, dob))
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(rows))
	for _, r := range rows {
		if r.Status == StatusDraft {
			continue
		}
		out = append(out, Summary{ID: r.ID, Reference: r.Reference, SiteID: r.SiteID, ClerkID: r.ClerkID, Status: r.Status,
			Language: r.Language, AgeCategory: r.AgeCategory, PaymentMethod: r.PaymentMethod, EvidenceOK: r.EvidenceOK,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SubmittedAt: r.SubmittedAt, DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy})
	}
	// The count goes in the record id: an audit event holds ids only.
	if err := s.db.Audit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: "application.search",
		RecordType: "search_results", RecordID: strconv.Itoa(len(out)), Purpose: string(purpose)}); err != nil {
		return nil, err
	}
	return out, nil
}

// sanitizePurpose keeps an arbitrary purpose out of a denied event.
func sanitizePurpose(p Purpose) string {
	if p.Valid() {
		return string(p)
	}
	return ""
}

// Access is everything cityid holds about one person's application, for
// the resident's own access request: the decrypted record and every audit
// event about it and its cards (who looked, when, why).
type Access struct {
	Application *Application
	Events      []audit.Event // newest first
}

// AccessExport opens a record for the resident's own access request: a
// supervisor only, recorded with purpose resident_request. It is the one
// export of a person's data, and covers one person.
func (s *Service) AccessExport(ctx context.Context, by auth.Actor, id string) (*Access, error) {
	if by.Role != auth.RoleSupervisor {
		return nil, s.deny(ctx, by, sanitizeID(id), "application.access_export", errs.ErrForbidden)
	}
	a, err := s.Get(ctx, by, id, PurposeOwnRequest)
	if err != nil {
		return nil, err
	}
	events, err := s.db.AuditEvents(ctx, audit.Filter{RecordType: "application", RecordID: a.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	// The resident's cards: printed, handed over, suspended, replaced…
	cards, err := s.db.CardsOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		more, err := s.db.AuditEvents(ctx, audit.Filter{RecordType: "card", RecordID: c.ID, Limit: 1000})
		if err != nil {
			return nil, err
		}
		events = append(events, more...)
	}
	slices.SortFunc(events, func(x, y audit.Event) int { return cmp.Compare(y.Seq, x.Seq) })
	return &Access{Application: a, Events: events}, nil
}

// NeedsPurpose reports whether opening application id needs a purpose
// picked from PurposesFor(status): a decided record (approved, rejected,
// issued) not of another site's clerk. It reads only the status, which is
// not personal data; for a record of another site, or none, it reports
// false, and Get then refuses and audits the refusal.
func (s *Service) NeedsPurpose(ctx context.Context, by auth.Actor, id string) (Status, bool) {
	row, err := s.db.Application(ctx, id)
	if err != nil || (by.Role == auth.RoleClerk && row.SiteID != by.SiteID) {
		return "", false
	}
	return row.Status, row.Status == StatusApproved || row.Status == StatusRejected || row.Status == StatusIssued
}
