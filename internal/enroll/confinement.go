package enroll

import (
	"fmt"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
)

// Site confinement, in one place: a clerk of site A cannot read, change or
// list site B's records, nor learn that a record at site B resembles one of
// theirs. Supervisors see every site. Administrators and auditors open no
// person's record at all (they see counts and ids). Every path to a record
// (Get and GetNoted, SaveDraft/Submit of an existing draft, List, Counts,
// and through Get the access export) goes through these functions, and a
// refused open is audited (see deny). Search by name and date of birth is
// for supervisors only (access.go).

// canSee enforces site confinement: clerks see only their own site.
func (s *Service) canSee(by auth.Actor, row Record) error {
	switch by.Role {
	case auth.RoleSupervisor:
		return nil
	case auth.RoleClerk:
		if row.SiteID == by.SiteID {
			return nil
		}
	}
	return errs.ErrForbidden
}

// listScope confines a list to what by may see: a clerk's own site, with
// "needs review" folded into "submitted" (see clerkView). none reports a
// filter that can match nothing a clerk may see.
func listScope(by auth.Actor, f ListFilter) (scoped ListFilter, none bool, err error) {
	switch by.Role {
	case auth.RoleClerk:
		f.SiteID = by.SiteID
	case auth.RoleSupervisor:
	default:
		return f, false, fmt.Errorf("list applications: %w", errs.ErrForbidden)
	}
	if by.Role == auth.RoleClerk && len(f.Statuses) > 0 {
		// A clerk's "submitted" is every application waiting for a
		// supervisor; "needs review" does not exist for a clerk.
		var sts []Status
		for _, st := range f.Statuses {
			switch st {
			case StatusNeedsReview:
				continue
			case StatusSubmitted:
				sts = append(sts, StatusNeedsReview)
			}
			sts = append(sts, st)
		}
		if len(sts) == 0 {
			return f, true, nil
		}
		f.Statuses = sts
	}
	return f, false, nil
}

// clerkView is what a clerk may know of an application's progress. The
// duplicate screening compares a submission with every site's records, so
// "needs review (possible duplicate)" would tell a clerk of site A that
// someone with a similar name and date of birth applied at site B. A clerk
// sees "submitted" and no review reason; supervisors see the match.
func clerkView(by auth.Actor, st Status, reason string) (Status, string) {
	if by.Role != auth.RoleClerk {
		return st, reason
	}
	if st == StatusNeedsReview {
		st = StatusSubmitted
	}
	return st, ""
}
