package enroll

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Standing is what a resident may learn of their own application or
// pre-application from its reference code and their date of birth: where
// it is in the workflow, never the personal data itself.
type Standing struct {
	// PreappID is set for a pre-application no clerk has admitted yet;
	// the other fields are then empty.
	PreappID       string
	ApplicationID  string
	PersonID       string
	SiteID         string
	Status         Status
	DecisionReason string
}

// ErrNoMatch is the one answer for a wrong code, a wrong date of birth or
// no such application: a resident's page must not tell them apart.
var ErrNoMatch = fmt.Errorf("no application matches this code and date of birth: %w", errs.ErrNotFound)

// StandingOf finds the pre-application or application with reference code
// and checks dob against the sealed date of birth. It reveals nothing of
// the record but its standing, so it writes no audit event; a caller must
// limit attempts per code (a wrong date costs one), so the code cannot be
// used to guess a birth date.
func (s *Service) StandingOf(ctx context.Context, code string, dob person.Date) (Standing, error) {
	pre, err := s.preapps.Load(ctx, code)
	switch {
	case err == nil:
		if pre.Person.DateOfBirth != dob {
			return Standing{}, ErrNoMatch
		}
		if pre.ApplicationID == "" {
			return Standing{PreappID: pre.ID}, nil
		}
		row, err := s.db.Application(ctx, pre.ApplicationID)
		if err != nil {
			return Standing{}, ErrNoMatch
		}
		return standing(row), nil
	case !errors.Is(err, ErrUnknownCode):
		return Standing{}, err
	}
	row, err := s.db.ApplicationByReference(ctx, code)
	return s.matched(ctx, row, err, dob)
}

// matched is the standing of row (as read, with its read error) when dob is
// its sealed date of birth; no row and another date give the one answer
// ErrNoMatch.
func (s *Service) matched(ctx context.Context, row Record, err error, dob person.Date) (Standing, error) {
	if errors.Is(err, errs.ErrNotFound) {
		return Standing{}, ErrNoMatch
	}
	if err != nil {
		return Standing{}, err
	}
	ok, err := s.dobMatches(ctx, row, dob)
	if err != nil {
		return Standing{}, err
	}
	if !ok {
		return Standing{}, ErrNoMatch
	}
	return standing(row), nil
}

func standing(row Record) Standing {
	return Standing{ApplicationID: row.ID, PersonID: row.PersonID, SiteID: row.SiteID, Status: row.Status, DecisionReason: row.DecisionReason}
}

// dobMatches opens only the sealed date of birth of row.
func (s *Service) dobMatches(ctx context.Context, row Record, dob person.Date) (bool, error) {
	per, err := s.db.Person(ctx, row.PersonID)
	if err != nil || per.WrappedKey == nil || row.Sealed.DateOfBirth == nil {
		return false, nil //nolint:nilerr // an erased person matches nothing
	}
	dk, err := s.vault.OpenDataKey(per.WrappedKey)
	if err != nil {
		return false, fmt.Errorf("status lookup: %w", err)
	}
	defer dk.Destroy()
	b, err := dk.Open(binding("date_of_birth", row.ID), row.Sealed.DateOfBirth)
	if err != nil {
		return false, fmt.Errorf("status lookup: %w", err)
	}
	return string(b) == dob.String(), nil
}

// StandingOfApplication is StandingOf for an application found another way
// (by its card's number): dob is checked against the sealed one, with the
// same single answer, ErrNoMatch, for every mismatch.
func (s *Service) StandingOfApplication(ctx context.Context, id string, dob person.Date) (Standing, error) {
	row, err := s.db.Application(ctx, id)
	return s.matched(ctx, row, err, dob)
}
