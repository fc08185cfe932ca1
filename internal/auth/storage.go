package auth

import (
	"context"
	"time"

	"github.com/cityid/cityid/internal/audit"
)

// Store is the storage the auth service needs; package store implements it
// (store.DB.Auth). Lookups that find nothing return an error wrapping
// errs.ErrNotFound; a taken username or token is errs.ErrWriteConflict.
type Store interface {
	// InTx runs fn in one write transaction: the change and its audit
	// event commit together or not at all.
	InTx(ctx context.Context, fn func(Tx) error) error

	StaffByID(ctx context.Context, id string) (StaffRecord, error)
	StaffByUsername(ctx context.Context, username string) (StaffRecord, error)
	ListStaff(ctx context.Context) ([]StaffRecord, error) // by username
	// SiteExists reports whether a site id is known (for a clerk's home site).
	SiteExists(ctx context.Context, id string) (bool, error)
	SessionByHash(ctx context.Context, idHash []byte) (SessionRecord, error)
	// SessionAndStaff returns a session and its staff member in one read
	// (errs.ErrNotFound when either is missing).
	SessionAndStaff(ctx context.Context, idHash []byte) (SessionRecord, StaffRecord, error)
	APITokenByHash(ctx context.Context, tokenHash []byte) (TokenRecord, error)
	APITokenByID(ctx context.Context, id string) (TokenRecord, error)
	APITokens(ctx context.Context, staffID string) ([]TokenRecord, error) // newest first; "" = everyone's
	// StaffRequests lists the requests awaiting a second administrator, oldest first.
	StaffRequests(ctx context.Context) ([]StaffRequest, error)
	// RecoveryCodesLeft counts a staff member's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, staffID string) (int, error)
	Meta(ctx context.Context, key string) ([]byte, error)
}

// Tx is a write transaction of the auth service.
type Tx interface {
	StaffByID(ctx context.Context, id string) (StaffRecord, error)
	StaffCount(ctx context.Context) (int, error)
	CreateStaff(ctx context.Context, s StaffRecord) error
	UpdateStaffProfile(ctx context.Context, id, displayName string, role Role, siteID string, at time.Time) error
	// SetStaffPassword also clears the failed-login counter and any lock.
	SetStaffPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error
	// SetStaffTOTP stores a sealed secret (nil removes it) and makes it pending.
	SetStaffTOTP(ctx context.Context, id string, sealed []byte, at time.Time) error
	// UseTOTPStep records step if it is later than the last one used; false
	// means the code was already used.
	UseTOTPStep(ctx context.Context, id string, step int64) (bool, error)
	SetStaffDisabled(ctx context.Context, id string, disabled bool, at time.Time) error
	// ReplaceRecoveryCodes deletes the member's recovery codes and stores
	// codes (nil: none).
	ReplaceRecoveryCodes(ctx context.Context, staffID string, codes []RecoveryCodeRecord) error
	// UnusedRecoveryCode returns the hash of the unused code with codeID
	// (errs.ErrNotFound when none).
	UnusedRecoveryCode(ctx context.Context, staffID, codeID string) (string, error)
	// UseRecoveryCode marks the code used; false when it was used already.
	UseRecoveryCode(ctx context.Context, staffID, codeID string, at time.Time) (bool, error)
	RecoveryCodesLeft(ctx context.Context, staffID string) (int, error)
	AddFailedLogin(ctx context.Context, id string) (int, error)
	// AddFailedTOTP counts a wrong second-factor code and returns the new count.
	AddFailedTOTP(ctx context.Context, id string) (int, error)
	ClearFailedTOTP(ctx context.Context, id string) error
	LockStaff(ctx context.Context, id string, until time.Time) error
	ClearFailedLogins(ctx context.Context, id string) error

	CreateSession(ctx context.Context, s SessionRecord) error
	TouchSession(ctx context.Context, idHash []byte, at time.Time) error
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteStaffSessions(ctx context.Context, staffID string) (int64, error)
	DeleteStaffSessionsExcept(ctx context.Context, staffID string, keep []byte) (int64, error)
	DeletePendingSessions(ctx context.Context, staffID string) (int64, error)
	DeleteDeadSessions(ctx context.Context, now, idleSince time.Time) (int64, error)

	CreateAPIToken(ctx context.Context, t TokenRecord) error
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
	// RevokeStaffAPITokens revokes every live token of a staff member and returns their ids.
	RevokeStaffAPITokens(ctx context.Context, staffID string, at time.Time) ([]string, error)

	CreateStaffRequest(ctx context.Context, r StaffRequest) error
	StaffRequestByID(ctx context.Context, id string) (StaffRequest, error)
	DeleteStaffRequest(ctx context.Context, id string) error

	// SetMetaIfAbsent stores value under key unless the key exists, and
	// returns the stored value either way.
	SetMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error)
	// AppendAudit chains e onto the audit log in this transaction.
	AppendAudit(ctx context.Context, e audit.Event) error
}

// StaffRecord is a staff account as stored. TOTPSecret is sealed by the
// vault; the store never sees it in clear.
//
// TOTP enrollment has two stages without an extra column: a secret with
// TOTPLastStep 0 is pending (shown to the user, not yet confirmed); the
// confirming code sets TOTPLastStep to its time step, which is never 0 for a
// real clock, so a secret with TOTPLastStep > 0 is enrolled.
type StaffRecord struct {
	ID                 string
	Username           string
	DisplayName        string
	Role               Role
	SiteID             string // "" for staff not tied to a site
	PasswordHash       string // PHC string
	MustChangePassword bool
	TOTPSecret         []byte // sealed; nil when not set
	TOTPLastStep       int64
	Disabled           bool
	FailedLogins       int
	// FailedTOTP counts wrong second-factor codes on their own: a right
	// password does not reset it, only a right code (or an administrator).
	FailedTOTP  int
	LockedUntil time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// PasswordSetAt is when the password was set; a one-time password
	// (MustChangePassword) stops working Options.OneTimeLifetime after it.
	PasswordSetAt time.Time
}

// FormerStaffPrefix begins the username of an account whose names a
// retention run has erased (the prefix and the account id): a retired
// account, which stays disabled for good.
const FormerStaffPrefix = "former-"

// Retired reports whether a retention run has erased the account's names
// (see FormerStaffPrefix): it is never enabled again.
func (s StaffRecord) Retired() bool { return s.Username == FormerStaffPrefix+s.ID }

// TOTPEnrolled reports whether the staff member has a confirmed TOTP secret.
func (s StaffRecord) TOTPEnrolled() bool { return len(s.TOTPSecret) > 0 && s.TOTPLastStep > 0 }

// RecoveryCodeRecord is one TOTP recovery code as stored: its first group
// (CodeID, not secret) finds the row; the whole code is kept only as a
// password hash.
type RecoveryCodeRecord struct {
	CodeID    string
	Hash      string // PHC string
	CreatedAt time.Time
}

// SessionRecord is a staff login session as stored. Only the SHA-256 of the
// token the client holds is kept, so a database leak does not hand out
// live sessions.
type SessionRecord struct {
	IDHash    []byte
	StaffID   string
	MFADone   bool
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end, whatever the activity
}

// TokenRecord is an API token as stored: only the SHA-256 of the token;
// the token itself is shown once.
type TokenRecord struct {
	ID         string
	TokenHash  []byte
	StaffID    string
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
	ExpiresAt  time.Time // the token stops working then
}
