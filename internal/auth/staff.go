package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Staff is a staff account as the rest of the program sees it: no hashes,
// no secrets.
type Staff struct {
	ID                 string
	Username           string
	DisplayName        string
	Role               Role
	SiteID             string
	Disabled           bool
	Retired            bool // names erased by retention: never enabled again
	MustChangePassword bool
	TOTPEnrolled       bool
	Locked             bool // too many failed logins; unlocks by itself
	CreatedAt          time.Time
}

func (s *Service) staffFrom(r StaffRecord) Staff {
	return Staff{
		ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, Role: r.Role, SiteID: r.SiteID,
		Disabled: r.Disabled, Retired: r.Retired(), MustChangePassword: r.MustChangePassword, TOTPEnrolled: r.TOTPEnrolled(),
		Locked: r.LockedUntil.After(s.now()), CreatedAt: r.CreatedAt,
	}
}

func actorOf(r StaffRecord) Actor {
	return Actor{StaffID: r.ID, Username: r.Username, Role: r.Role, SiteID: r.SiteID}
}

// NewStaff is a staff account to create.
type NewStaff struct {
	Username    string
	DisplayName string // defaults to the username
	Role        Role
	SiteID      string // required for clerks
	Password    string
	// MustChangePassword makes the holder choose a new password at first
	// login; set it whenever someone other than the holder chose Password.
	MustChangePassword bool
}

// Limits of account fields.
const (
	minUsername    = 3
	maxUsername    = 32
	maxDisplayName = 100
	bootstrapUser  = "admin"
)

// NormalizeUsername is how usernames are stored and looked up: trimmed, lower case.
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// validUsername: 3–32 of a-z 0-9 . _ -, so usernames are safe in URLs, logs and audit output.
func validUsername(u string) bool {
	if len(u) < minUsername || len(u) > maxUsername {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validate checks a new account and returns field errors (message keys).
func (s *Service) validate(ctx context.Context, in *NewStaff) error {
	var errs person.Errors
	in.Username = NormalizeUsername(in.Username)
	switch {
	case in.Username == "":
		errs = append(errs, person.FieldError{Field: "username", Key: "error.required"})
	case !validUsername(in.Username):
		errs = append(errs, person.FieldError{Field: "username", Key: "auth.staff.username_chars"})
	}
	p := Profile{DisplayName: in.DisplayName, Role: in.Role, SiteID: in.SiteID}
	perrs, err := s.validateProfile(ctx, &p)
	if err != nil {
		return err
	}
	errs = append(errs, perrs...)
	in.DisplayName = p.DisplayName
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	if in.Password == "" {
		errs = append(errs, person.FieldError{Field: "password", Key: "error.required"})
	} else if key := s.CheckPassword(in.Password, in.Username); key != "" {
		errs = append(errs, person.FieldError{Field: "password", Key: key})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Profile is what an administrator may change about an account.
type Profile struct {
	DisplayName string
	Role        Role
	SiteID      string // required for clerks
}

// validateProfile checks and trims p; err is only a database failure.
func (s *Service) validateProfile(ctx context.Context, p *Profile) (person.Errors, error) {
	var errs person.Errors
	add := func(field, key string) { errs = append(errs, person.FieldError{Field: field, Key: key}) }
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	switch {
	case utf8.RuneCountInString(p.DisplayName) > maxDisplayName:
		add("display_name", "error.too_long")
	case strings.ContainsFunc(p.DisplayName, unicode.IsControl) || !utf8.ValidString(p.DisplayName):
		add("display_name", "auth.staff.display_name_chars")
	}
	if !p.Role.Valid() {
		add("role", "error.invalid_choice")
	}
	switch {
	case p.Role == RoleClerk && p.SiteID == "":
		add("site", "auth.staff.site_required")
	case p.SiteID != "":
		ok, err := s.db.SiteExists(ctx, p.SiteID)
		if err != nil {
			return nil, err
		}
		if !ok {
			add("site", "auth.staff.site_unknown")
		}
	}
	return errs, nil
}

// UpdateStaff changes an account's display name, role and site
// (administrators only). Demoting the last enabled administrator is
// ErrLastAdmin; field problems are person.Errors. A changed role or site
// takes effect at the account's next request: sessions read it afresh.
// Widening what an account reads of personal data (a role that reads it,
// a clerk made supervisor or moved to another site) or making it an
// administrator waits for a second administrator: nothing changes and the
// error is a *PendingError.
func (s *Service) UpdateStaff(ctx context.Context, by Actor, id string, p Profile) error {
	if !by.Can(RoleAdmin) {
		return errs.ErrForbidden
	}
	errs, err := s.validateProfile(ctx, &p)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errs
	}
	cur, err := s.db.StaffByID(ctx, id)
	if err != nil {
		return fmt.Errorf("update staff: %w", err)
	}
	var alert string
	if widens(cur, p) {
		need, a, err := s.approval(ctx, by, p.Role)
		if err != nil {
			return fmt.Errorf("update staff: %w", err)
		}
		if need {
			return s.request(ctx, by, StaffRequest{Kind: RequestRole, StaffID: id, Username: cur.Username,
				DisplayName: cur.DisplayName, Role: p.Role, SiteID: p.SiteID})
		}
		alert = a
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		r, err := tx.StaffByID(ctx, id)
		if err != nil {
			return err
		}
		if r.Role == RoleAdmin && p.Role != RoleAdmin && !r.Disabled {
			if err := s.keepAnAdmin(ctx, id); err != nil {
				return err
			}
		}
		if p.DisplayName == "" {
			p.DisplayName = r.Username
		}
		if err := tx.UpdateStaffProfile(ctx, id, p.DisplayName, p.Role, p.SiteID, s.now()); err != nil {
			return err
		}
		if err := s.writeAlert(ctx, tx, by, alert, id, RequestRole); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, by.StaffID, "staff.update", id, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("update staff: %w", err)
	}
	return nil
}

// CreateStaff creates an account. Only administrators may; validation
// problems come back as person.Errors keyed by form field
// (username, display_name, role, site, password); a taken username is
// person.Errors{{"username", "auth.staff.username_taken"}}. An account
// whose role reads personal data waits for a second administrator: nothing
// is created, the error is a *PendingError, and Password is not kept (the
// approver receives a one-time password).
func (s *Service) CreateStaff(ctx context.Context, by Actor, in NewStaff) (Staff, error) {
	if !by.Can(RoleAdmin) {
		return Staff{}, errs.ErrForbidden
	}
	if err := s.validate(ctx, &in); err != nil {
		return Staff{}, err
	}
	need, alert, err := s.approval(ctx, by, in.Role)
	if err != nil {
		return Staff{}, fmt.Errorf("create staff: %w", err)
	}
	if need {
		if _, err := s.db.StaffByUsername(ctx, in.Username); err == nil {
			return Staff{}, person.Errors{{Field: "username", Key: "auth.staff.username_taken"}}
		} else if !errors.Is(err, errs.ErrNotFound) {
			return Staff{}, fmt.Errorf("create staff: %w", err)
		}
		return Staff{}, s.request(ctx, by, StaffRequest{Kind: RequestCreate, Username: in.Username,
			DisplayName: in.DisplayName, Role: in.Role, SiteID: in.SiteID})
	}
	return s.insertStaff(ctx, by, in, alert)
}

// CreateStaffOneTime creates an account with a generated one-time password,
// which it returns for the administrator to hand over; the holder must
// change it and enrol TOTP at first login. Like CreateStaff, a role that
// reads personal data gives a *PendingError instead.
func (s *Service) CreateStaffOneTime(ctx context.Context, by Actor, in NewStaff) (Staff, string, error) {
	pw, err := s.OneTimePassword()
	if err != nil {
		return Staff{}, "", err
	}
	in.Password, in.MustChangePassword = pw, true
	st, err := s.CreateStaff(ctx, by, in)
	if err != nil {
		return Staff{}, "", err
	}
	return st, pw, nil
}

func (s *Service) insertStaff(ctx context.Context, by Actor, in NewStaff, alert string) (Staff, error) {
	id, err := s.newID("stf_")
	if err != nil {
		return Staff{}, err
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return Staff{}, err
	}
	now := s.now()
	row := StaffRecord{
		ID: id, Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, SiteID: in.SiteID,
		PasswordHash: hash, MustChangePassword: in.MustChangePassword, CreatedAt: now, UpdatedAt: now, PasswordSetAt: now,
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.CreateStaff(ctx, row); err != nil {
			return err
		}
		if err := s.writeAlert(ctx, tx, by, alert, id, RequestCreate); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, by.StaffID, "staff.create", id, audit.OutcomeOK)
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		return Staff{}, person.Errors{{Field: "username", Key: "auth.staff.username_taken"}}
	}
	if err != nil {
		return Staff{}, fmt.Errorf("create staff: %w", err)
	}
	return s.staffFrom(row), nil
}

// Bootstrap creates the first administrator, "admin" with a one-time
// password, when there are no staff at all; serve prints the password.
// created is false (and password empty) when staff already exist.
func (s *Service) Bootstrap(ctx context.Context) (username, password string, created bool, err error) {
	pw, err := s.OneTimePassword()
	if err != nil {
		return "", "", false, err
	}
	id, err := s.newID("stf_")
	if err != nil {
		return "", "", false, err
	}
	// Hash before the transaction: argon2 is slow and SQLite has one writer.
	hash, err := s.hash(pw)
	if err != nil {
		return "", "", false, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx Tx) error {
		n, err := tx.StaffCount(ctx)
		if err != nil || n > 0 {
			return err
		}
		row := StaffRecord{ID: id, Username: bootstrapUser, DisplayName: "Administrator", Role: RoleAdmin,
			PasswordHash: hash, MustChangePassword: true, CreatedAt: now, UpdatedAt: now, PasswordSetAt: now}
		if err := tx.CreateStaff(ctx, row); err != nil {
			return err
		}
		created = true
		return s.staffEvent(ctx, tx, System().StaffID, "staff.bootstrap", id, audit.OutcomeOK)
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		// Another server starting at the same moment created it.
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("bootstrap admin: %w", err)
	}
	if !created {
		return "", "", false, nil
	}
	return bootstrapUser, pw, true, nil
}

// ListStaff lists every account by username (administrators only).
func (s *Service) ListStaff(ctx context.Context, by Actor) ([]Staff, error) {
	if !by.Can(RoleAdmin) {
		return nil, errs.ErrForbidden
	}
	rows, err := s.db.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Staff, len(rows))
	for i, r := range rows {
		out[i] = s.staffFrom(r)
	}
	return out, nil
}

// StaffByID returns one account: administrators see anyone, others themselves.
func (s *Service) StaffByID(ctx context.Context, by Actor, id string) (Staff, error) {
	if !by.Can(RoleAdmin) && by.StaffID != id {
		return Staff{}, errs.ErrForbidden
	}
	r, err := s.db.StaffByID(ctx, id)
	if err != nil {
		return Staff{}, err
	}
	return s.staffFrom(r), nil
}

// StaffByUsername returns one account by username (administrators only; for the CLI).
func (s *Service) StaffByUsername(ctx context.Context, by Actor, username string) (Staff, error) {
	if !by.Can(RoleAdmin) {
		return Staff{}, errs.ErrForbidden
	}
	r, err := s.db.StaffByUsername(ctx, NormalizeUsername(username))
	if err != nil {
		return Staff{}, err
	}
	return s.staffFrom(r), nil
}

// DisableStaff disables an account, ends its sessions and revokes its API tokens. An administrator
// cannot disable themselves or the last enabled administrator.
func (s *Service) DisableStaff(ctx context.Context, by Actor, id string) error {
	if !by.Can(RoleAdmin) || by.StaffID == id {
		return errs.ErrForbidden
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		r, err := tx.StaffByID(ctx, id)
		if err != nil {
			return err
		}
		if r.Role == RoleAdmin && !r.Disabled {
			if err := s.keepAnAdmin(ctx, id); err != nil {
				return err
			}
		}
		if err := tx.SetStaffDisabled(ctx, id, true, s.now()); err != nil {
			return err
		}
		if _, err := tx.DeleteStaffSessions(ctx, id); err != nil {
			return err
		}
		if err := s.revokeTokens(ctx, tx, by.StaffID, id); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, by.StaffID, "staff.disable", id, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("disable staff: %w", err)
	}
	return nil
}

// keepAnAdmin fails with ErrLastAdmin unless an enabled administrator other than id exists.
func (s *Service) keepAnAdmin(ctx context.Context, id string) error {
	all, err := s.db.ListStaff(ctx)
	if err != nil {
		return err
	}
	for _, r := range all {
		if r.ID != id && r.Role == RoleAdmin && !r.Disabled {
			return nil
		}
	}
	return ErrLastAdmin
}

// EnableStaff enables a disabled account and lifts any lock. Enabling a
// disabled account whose role reads personal data or administers waits for
// a second administrator (a *PendingError), as creating one does: whoever
// held its password or one-time password could use it again. A retired
// account (names erased by retention) is never enabled: ErrRetired, audited
// as denied. Lifting the lock of an enabled account needs nobody.
func (s *Service) EnableStaff(ctx context.Context, by Actor, id string) error {
	if !by.Can(RoleAdmin) {
		return errs.ErrForbidden
	}
	cur, err := s.db.StaffByID(ctx, id)
	if err != nil {
		return fmt.Errorf("enable staff: %w", err)
	}
	if cur.Retired() {
		auditErr := s.db.InTx(ctx, func(tx Tx) error {
			return s.staffEvent(ctx, tx, by.StaffID, "staff.enable", id, audit.OutcomeDenied)
		})
		return errors.Join(fmt.Errorf("enable staff %s: %w", id, ErrRetired), auditErr)
	}
	alert := ""
	if cur.Disabled {
		var need bool
		if need, alert, err = s.approval(ctx, by, cur.Role); err != nil {
			return fmt.Errorf("enable staff: %w", err)
		}
		if need {
			return s.request(ctx, by, StaffRequest{Kind: RequestEnable, StaffID: id, Username: cur.Username,
				DisplayName: cur.DisplayName, Role: cur.Role, SiteID: cur.SiteID})
		}
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := s.writeAlert(ctx, tx, by, alert, id, RequestEnable); err != nil {
			return err
		}
		return s.enableInTx(ctx, tx, by, id)
	})
	if err != nil {
		return fmt.Errorf("enable staff: %w", err)
	}
	return nil
}

// enableInTx enables the account id and lifts its locks, with the audit
// event, inside tx; a retired account is refused (ErrRetired), checked
// again here because retention may have erased it since the request.
func (s *Service) enableInTx(ctx context.Context, tx Tx, by Actor, id string) error {
	cur, err := tx.StaffByID(ctx, id)
	if err != nil {
		return err
	}
	if cur.Retired() {
		return ErrRetired
	}
	if err := tx.SetStaffDisabled(ctx, id, false, s.now()); err != nil {
		return err
	}
	if err := tx.ClearFailedLogins(ctx, id); err != nil {
		return err
	}
	if err := tx.ClearFailedTOTP(ctx, id); err != nil {
		return err
	}
	return s.staffEvent(ctx, tx, by.StaffID, "staff.enable", id, audit.OutcomeOK)
}

// ResetStaff gives an account a new one-time password, removes its TOTP
// secret, ends its sessions and revokes its API tokens: the path back for someone who lost their
// phone or password. The holder sets a password and enrols TOTP again.
// Whoever holds the new password holds the account, so resetting one whose
// role reads personal data waits for a second administrator (a
// *PendingError), who receives the password.
func (s *Service) ResetStaff(ctx context.Context, by Actor, id string) (string, error) {
	if !by.Can(RoleAdmin) {
		return "", errs.ErrForbidden
	}
	cur, err := s.db.StaffByID(ctx, id)
	if err != nil {
		return "", fmt.Errorf("reset staff: %w", err)
	}
	need, alert, err := s.approval(ctx, by, cur.Role)
	if err != nil {
		return "", fmt.Errorf("reset staff: %w", err)
	}
	if need {
		return "", s.request(ctx, by, StaffRequest{Kind: RequestReset, StaffID: id, Username: cur.Username,
			DisplayName: cur.DisplayName, Role: cur.Role, SiteID: cur.SiteID})
	}
	pw, err := s.OneTimePassword()
	if err != nil {
		return "", err
	}
	if err := s.reset(ctx, by, id, pw, true, alert); err != nil {
		return "", err
	}
	return pw, nil
}

// SetPassword is the CLI's reset with a chosen password (--password-stdin):
// the password is checked against the policy and need not be changed, the
// TOTP secret is removed (enrolled again at next login) and sessions end.
// It acts as the system actor.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	r, err := s.db.StaffByUsername(ctx, NormalizeUsername(username))
	if err != nil {
		return err
	}
	if key := s.CheckPassword(password, r.Username); key != "" {
		return person.Errors{{Field: "password", Key: key}}
	}
	return s.reset(ctx, System(), r.ID, password, false, "")
}

func (s *Service) reset(ctx context.Context, by Actor, id, password string, mustChange bool, alert string) error {
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := s.writeAlert(ctx, tx, by, alert, id, RequestReset); err != nil {
			return err
		}
		return s.resetInTx(ctx, tx, by, id, hash, mustChange)
	})
	if err != nil {
		return fmt.Errorf("reset staff: %w", err)
	}
	return nil
}

// resetInTx sets a password hash, removes the TOTP secret, ends sessions
// and revokes API tokens, with the audit events, inside tx.
func (s *Service) resetInTx(ctx context.Context, tx Tx, by Actor, id, hash string, mustChange bool) error {
	now := s.now()
	if err := tx.SetStaffPassword(ctx, id, hash, mustChange, now); err != nil {
		return err
	}
	if err := tx.SetStaffTOTP(ctx, id, nil, now); err != nil {
		return err
	}
	// The recovery codes belonged to the authenticator just removed.
	if err := tx.ReplaceRecoveryCodes(ctx, id, nil); err != nil {
		return err
	}
	if _, err := tx.DeleteStaffSessions(ctx, id); err != nil {
		return err
	}
	if err := tx.ClearFailedTOTP(ctx, id); err != nil {
		return err
	}
	if err := s.revokeTokens(ctx, tx, by.StaffID, id); err != nil {
		return err
	}
	return s.staffEvent(ctx, tx, by.StaffID, "staff.reset", id, audit.OutcomeOK)
}

// Usernames maps staff ids to usernames, to show who did what in the audit
// log (auditors and administrators). Usernames identify staff, not residents.
func (s *Service) Usernames(ctx context.Context, by Actor) (map[string]string, error) {
	if !by.Can(RoleAuditor, RoleAdmin) {
		return nil, errs.ErrForbidden
	}
	rows, err := s.db.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Username
	}
	return out, nil
}
