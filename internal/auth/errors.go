package auth

import "errors"

// Error is an authentication failure the client may be told about. Key is
// its message key; the text never says whether a username exists.
type Error struct{ Key string }

// Error returns the message key.
func (e *Error) Error() string { return e.Key }

// The failures; check with errors.Is, or errors.As(*Error) for the message key.
var (
	ErrInvalidCredentials = &Error{"auth.login.failed"} // wrong username or password, or disabled account
	// ErrLocked is a locked account (too many failures: wait). It carries
	// the same message key as ErrInvalidCredentials, and the pages answer
	// it the same way, so a locked account cannot be told from an unknown one.
	ErrLocked       = &Error{"auth.login.failed"}
	ErrRateLimited  = &Error{"auth.login.rate_limited"} // too many attempts from this address
	ErrNoSession    = &Error{"auth.session.expired"}    // unknown, ended, idle or expired session
	ErrWrongStep    = &Error{"auth.session.wrong_step"} // the session is not at this login step
	ErrBadCode      = &Error{"auth.totp.bad_code"}      // wrong, expired or already used TOTP code
	ErrInvalidToken = &Error{"auth.token.invalid"}      // unknown, revoked or malformed API token
	ErrLastAdmin    = &Error{"auth.staff.last_admin"}   // would leave no enabled administrator
	// ErrAwaitingApproval: the change was stored as a request for a second
	// administrator (see PendingError, which carries the request).
	ErrAwaitingApproval = &Error{"auth.staff.awaiting_approval"}
	// ErrSameAdministrator: the administrator who asked for a change cannot approve it.
	ErrSameAdministrator = &Error{"auth.staff.same_admin"}
	// ErrRetired: the account's names were erased by retention (a
	// retired account); it stays disabled for good.
	ErrRetired = &Error{"auth.staff.retired"}
)

// MessageKey returns the message key of an auth error, or fallback.
func MessageKey(err error, fallback string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return fallback
}
