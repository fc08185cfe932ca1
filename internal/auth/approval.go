package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// An administrator must not be able to make an account it controls and read
// personal data with it. So giving an account a role that reads personal
// data, or the administrator role — creating it, promoting it, or
// resetting its password (which hands the account to whoever holds the new
// one-time password) or enabling a disabled account that holds one — is a
// request that a second administrator approves.
// The approver, not the requester, receives the one-time password. A city
// that has one administrator says so in its settings
// (security.single_administrator): then the change takes effect at once
// and an alert event goes to the audit log; the only administrator may
// also make a second one, with an alert. The operator's command line (the
// system actor, which holds the master key anyway) is outside the rule;
// its changes are audited as "system".

// ReadsPersonalData reports whether holders of r open residents' records.
func (r Role) ReadsPersonalData() bool { return r == RoleClerk || r == RoleSupervisor }

// RequestKind is what a staff request asks for.
type RequestKind string

// The kinds of staff request.
const (
	RequestCreate RequestKind = "create" // a new account with a role that reads personal data
	RequestRole   RequestKind = "role"   // such a role (or a clerk's other site) for an existing account
	RequestReset  RequestKind = "reset"  // a new one-time password for an account with such a role
	// RequestEnable: a disabled account with such a role enabled again
	// (whoever was given its password or token before can use it again).
	RequestEnable RequestKind = "enable"
	// (the administrator role counts as such a role for all three)
)

// StaffRequest is a change to staff accounts awaiting a second administrator.
type StaffRequest struct {
	ID          string
	Kind        RequestKind
	StaffID     string // the account changed; "" for RequestCreate
	Username    string
	DisplayName string
	Role        Role   // the role asked for (for a reset, the account's role)
	SiteID      string // the site asked for
	RequestedBy string // the requesting administrator's staff id
	RequestedAt time.Time
}

// PendingError is the outcome of a change that a second administrator must
// approve: nothing changed yet, Request is stored. It is an error so that a
// caller that does not expect it changes nothing either.
type PendingError struct{ Request StaffRequest }

// Error says which change waits for a second administrator.
func (e *PendingError) Error() string {
	return fmt.Sprintf("staff request %s (%s) awaits a second administrator", e.Request.ID, e.Request.Kind)
}

// Is makes errors.Is(err, ErrAwaitingApproval) true for any PendingError.
func (e *PendingError) Is(target error) bool { return target == ErrAwaitingApproval }

// Pending returns the request err carries, if it is a PendingError.
func Pending(err error) (StaffRequest, bool) {
	var p *PendingError
	if errors.As(err, &p) {
		return p.Request, true
	}
	return StaffRequest{}, false
}

// recordStaffRequest is the audit record type of staff requests.
const recordStaffRequest = "staff_request"

// grants reports whether giving r to an account needs a second
// administrator: roles that read personal data, and administrator itself
// (else one administrator would make a second it controls and approve its
// own requests with it).
func (r Role) grants() bool { return r.ReadsPersonalData() || r == RoleAdmin }

// widens reports whether changing an account from cur to p lets it read
// more personal data or grants administrator.
func widens(cur StaffRecord, p Profile) bool {
	switch {
	case !p.Role.grants():
		return false
	case p.Role == cur.Role:
		return p.Role == RoleClerk && p.SiteID != cur.SiteID // a clerk moved reads another site
	case p.Role == RoleClerk && cur.Role == RoleSupervisor:
		return false // a supervisor already reads every site
	}
	return true
}

// Alert events of a change made without a second administrator.
const (
	alertSingleAdmin = "staff.alert.single_administrator" // the settings say the city has one
	alertSoleAdmin   = "staff.alert.sole_administrator"   // the first administrator makes a second
)

// approval says whether by giving role to an account waits for a second
// administrator, or else which alert event (if any) it writes.
func (s *Service) approval(ctx context.Context, by Actor, role Role) (need bool, alert string, err error) {
	switch {
	case !role.grants() || by.StaffID == System().StaffID:
		return false, "", nil
	case s.opts.SingleAdministrator:
		return false, alertSingleAdmin, nil
	case role == RoleAdmin:
		// The only administrator may make a second one (whom else would it
		// ask?); the alert tells the auditors.
		if err := s.keepAnAdmin(ctx, by.StaffID); errors.Is(err, ErrLastAdmin) {
			return false, alertSoleAdmin, nil
		} else if err != nil {
			return false, "", err
		}
	}
	return true, "", nil
}

// writeAlert appends alert (if any) about staffID, with the kind of change as purpose.
func (s *Service) writeAlert(ctx context.Context, tx Tx, by Actor, alert, staffID string, kind RequestKind) error {
	if alert == "" {
		return nil
	}
	e := s.event(by.StaffID, alert, recordStaff, staffID, audit.OutcomeOK)
	e.Purpose = string(kind)
	return tx.AppendAudit(ctx, e)
}

// request stores r and its audit event and returns it as a PendingError.
func (s *Service) request(ctx context.Context, by Actor, r StaffRequest) error {
	id, err := s.newID("req_")
	if err != nil {
		return err
	}
	r.ID, r.RequestedBy, r.RequestedAt = id, by.StaffID, s.now()
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.CreateStaffRequest(ctx, r); err != nil {
			return err
		}
		e := s.event(by.StaffID, "staff.request", recordStaffRequest, r.ID, audit.OutcomeOK)
		e.Purpose = string(r.Kind)
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return fmt.Errorf("staff request: %w", err)
	}
	return &PendingError{Request: r}
}

// StaffRequests lists the requests awaiting a second administrator (administrators only).
func (s *Service) StaffRequests(ctx context.Context, by Actor) ([]StaffRequest, error) {
	if !by.Can(RoleAdmin) {
		return nil, errs.ErrForbidden
	}
	return s.db.StaffRequests(ctx)
}

// ApproveStaffRequest carries out a request as by, who must be an
// administrator other than the one who asked (ErrSameAdministrator). For a
// new account or a reset it returns the one-time password, for by to hand
// over. A username taken meanwhile is person.Errors as in CreateStaff.
func (s *Service) ApproveStaffRequest(ctx context.Context, by Actor, id string) (Staff, string, error) {
	if !by.Can(RoleAdmin) {
		return Staff{}, "", errs.ErrForbidden
	}
	pw, err := s.OneTimePassword()
	if err != nil {
		return Staff{}, "", err
	}
	// Hash before the transaction: argon2 is slow and SQLite has one writer.
	hash, err := s.hash(pw)
	if err != nil {
		return Staff{}, "", err
	}
	newID, err := s.newID("stf_")
	if err != nil {
		return Staff{}, "", err
	}
	var staffID string
	var kind RequestKind
	err = s.db.InTx(ctx, func(tx Tx) error {
		r, err := tx.StaffRequestByID(ctx, id)
		if err != nil {
			return err
		}
		if r.RequestedBy == by.StaffID {
			return ErrSameAdministrator
		}
		kind = r.Kind
		now := s.now()
		switch r.Kind {
		case RequestCreate:
			staffID = newID
			row := StaffRecord{ID: newID, Username: r.Username, DisplayName: r.DisplayName, Role: r.Role, SiteID: r.SiteID,
				PasswordHash: hash, MustChangePassword: true, CreatedAt: now, UpdatedAt: now, PasswordSetAt: now}
			if err := tx.CreateStaff(ctx, row); err != nil {
				return err
			}
			if err := s.staffEvent(ctx, tx, by.StaffID, "staff.create", newID, audit.OutcomeOK); err != nil {
				return err
			}
		case RequestRole:
			staffID = r.StaffID
			cur, err := tx.StaffByID(ctx, r.StaffID)
			if err != nil {
				return err
			}
			if err := tx.UpdateStaffProfile(ctx, r.StaffID, cur.DisplayName, r.Role, r.SiteID, now); err != nil {
				return err
			}
			if err := s.staffEvent(ctx, tx, by.StaffID, "staff.update", r.StaffID, audit.OutcomeOK); err != nil {
				return err
			}
		case RequestReset:
			staffID = r.StaffID
			if err := s.resetInTx(ctx, tx, by, r.StaffID, hash, true); err != nil {
				return err
			}
		case RequestEnable:
			staffID = r.StaffID
			if err := s.enableInTx(ctx, tx, by, r.StaffID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("staff request %s: unknown kind %q", r.ID, r.Kind)
		}
		if err := tx.DeleteStaffRequest(ctx, id); err != nil {
			return err
		}
		e := s.event(by.StaffID, "staff.request.approve", recordStaffRequest, id, audit.OutcomeOK)
		e.Purpose = string(r.Kind)
		return tx.AppendAudit(ctx, e)
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		return Staff{}, "", person.Errors{{Field: "username", Key: "auth.staff.username_taken"}}
	}
	if errors.Is(err, ErrRetired) {
		// Retention erased the account meanwhile: the request is void.
		return Staff{}, "", errors.Join(fmt.Errorf("approve staff request: %w", err), s.RefuseStaffRequest(ctx, by, id))
	}
	if err != nil {
		return Staff{}, "", fmt.Errorf("approve staff request: %w", err)
	}
	st, err := s.db.StaffByID(ctx, staffID)
	if err != nil {
		return Staff{}, "", err
	}
	if kind == RequestRole || kind == RequestEnable {
		pw = ""
	}
	return s.staffFrom(st), pw, nil
}

// RefuseStaffRequest drops a request: any administrator may refuse one,
// and the one who asked may withdraw it.
func (s *Service) RefuseStaffRequest(ctx context.Context, by Actor, id string) error {
	if !by.Can(RoleAdmin) {
		return errs.ErrForbidden
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		r, err := tx.StaffRequestByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteStaffRequest(ctx, id); err != nil {
			return err
		}
		e := s.event(by.StaffID, "staff.request.refuse", recordStaffRequest, id, audit.OutcomeOK)
		e.Purpose = string(r.Kind)
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return fmt.Errorf("refuse staff request: %w", err)
	}
	return nil
}
