package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// Step is what a login session must do next.
type Step string

// The login steps, in order: a new account changes its one-time password,
// then enrols TOTP; an enrolled account enters a TOTP code.
const (
	StepChangePassword Step = "change_password"
	StepEnrollTOTP     Step = "enroll_totp"
	StepTOTP           Step = "totp"
	StepDone           Step = "done"
)

// maxPasswordBytes is the longest password in bytes that can match: the
// policy allows MaxPasswordLen characters of at most 4 UTF-8 bytes.
const maxPasswordBytes = 4 * MaxPasswordLen

// sessionTokenBytes is the entropy of a session token (256 bits).
const sessionTokenBytes = 32

// touchEvery limits last-seen writes to one a minute per session.
const touchEvery = time.Minute

// Session is a live login session.
type Session struct {
	Actor     Actor
	MFADone   bool // password and TOTP both checked: the session may act
	Next      Step // StepDone once MFADone
	ExpiresAt time.Time
}

// nextStep is the login step of a staff member whose password was checked.
func nextStep(r StaffRecord, mfaDone bool) Step {
	switch {
	case mfaDone:
		return StepDone
	case r.MustChangePassword:
		return StepChangePassword
	case !r.TOTPEnrolled():
		return StepEnrollTOTP
	default:
		return StepTOTP
	}
}

// Login checks a username and password and starts a session that still
// needs the returned step. Failures are ErrInvalidCredentials (never saying
// whether the username exists), ErrLocked or ErrRateLimited.
func (s *Service) Login(ctx context.Context, username, password, clientIP string) (string, Step, error) {
	now := s.now()
	if ok, _ := s.ips.Allow(clientIP); !ok {
		return "", "", ErrRateLimited
	}
	r, err := s.db.StaffByUsername(ctx, NormalizeUsername(username))
	if errors.Is(err, errs.ErrNotFound) {
		s.burn(password[:min(len(password), maxPasswordBytes)])
		return "", "", s.loginFailed(ctx, recordUnknown, "auth.login.password", ErrInvalidCredentials)
	}
	if err != nil {
		return "", "", fmt.Errorf("login: %w", err)
	}
	if r.Disabled {
		s.burn(password[:min(len(password), maxPasswordBytes)])
		return "", "", s.loginFailed(ctx, r.ID, "auth.login.disabled", ErrInvalidCredentials)
	}
	if r.LockedUntil.After(now) {
		s.burn(password[:min(len(password), maxPasswordBytes)])
		return "", "", s.loginFailed(ctx, r.ID, "auth.login.locked", ErrLocked)
	}
	var ok, rehash bool
	if len(password) > maxPasswordBytes {
		// No stored password is this long; do not hash megabytes to say so.
		s.burn(password[:maxPasswordBytes])
	} else if ok, rehash, err = s.verify(r.PasswordHash, password); err != nil {
		// A damaged hash: log the account id (not the username) and fail closed.
		slog.Error("stored password hash unusable", "staff", r.ID, "err", err)
	}
	if !ok {
		return "", "", s.countFailure(ctx, r.ID, actorAnonymous, "auth.login.password", ErrInvalidCredentials)
	}
	if r.MustChangePassword && !now.Before(r.PasswordSetAt.Add(s.opts.OneTimeLifetime)) {
		// A one-time password left unused for a day is dead: a note or
		// message that held it may have been seen. The answer is the same
		// as a wrong password; an administrator resets the account.
		return "", "", s.loginFailed(ctx, r.ID, "auth.login.one_time_expired", ErrInvalidCredentials)
	}
	var newHash string
	// A one-time password is not rehashed: it is replaced at this login,
	// and rewriting it would restart its lifetime.
	if rehash && !r.MustChangePassword {
		if newHash, err = s.hash(password); err != nil {
			return "", "", err
		}
	}
	token, err := s.randomToken(sessionTokenBytes)
	if err != nil {
		return "", "", err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if newHash != "" {
			if err := tx.SetStaffPassword(ctx, r.ID, newHash, r.MustChangePassword, now); err != nil {
				return err
			}
		} else if err := tx.ClearFailedLogins(ctx, r.ID); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, SessionRecord{IDHash: tokenHash(token), StaffID: r.ID,
			CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.opts.SessionLifetime)}); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, r.ID, "auth.login.password", r.ID, audit.OutcomeOK)
	})
	if err != nil {
		return "", "", fmt.Errorf("login: %w", err)
	}
	return token, nextStep(r, false), nil
}

// loginFailed records a refused login by an anonymous client that does not
// count against an account, and returns result.
func (s *Service) loginFailed(ctx context.Context, recordID, action string, result error) error {
	err := s.db.InTx(ctx, func(tx Tx) error {
		return s.staffEvent(ctx, tx, actorAnonymous, action, recordID, audit.OutcomeDenied)
	})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return result
}

// countFailure counts a wrong password or TOTP code against an account,
// locks it at the limit, audits both, and returns result.
func (s *Service) countFailure(ctx context.Context, staffID, actor, action string, result error) error {
	err := s.db.InTx(ctx, func(tx Tx) error {
		n, err := tx.AddFailedLogin(ctx, staffID)
		if err != nil {
			return err
		}
		if err := s.staffEvent(ctx, tx, actor, action, staffID, audit.OutcomeDenied); err != nil {
			return err
		}
		if n < s.opts.MaxFailedLogins {
			return nil
		}
		if err := tx.LockStaff(ctx, staffID, s.now().Add(s.opts.Lockout)); err != nil {
			return err
		}
		// End half-open sessions too: a guessed password must not leave a
		// session to try more codes from. Signed-in sessions stay, so
		// someone typing wrong passwords cannot throw the owner out.
		if _, err := tx.DeletePendingSessions(ctx, staffID); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, System().StaffID, "auth.lockout", staffID, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return result
}

// maxTOTPLockout caps the doubling lock after repeated second-factor failures.
const maxTOTPLockout = 24 * time.Hour

// countTOTPFailure counts a wrong (or replayed) second-factor code. The
// count survives right passwords, so knowing the password buys no more
// guesses: every MaxFailedTOTP failures lock the account, each lock twice
// as long as the one before (up to maxTOTPLockout), and end its half-open
// sessions. Only a right code or an administrator clears the count.
func (s *Service) countTOTPFailure(ctx context.Context, staffID, action string) error {
	err := s.db.InTx(ctx, func(tx Tx) error {
		n, err := tx.AddFailedTOTP(ctx, staffID)
		if err != nil {
			return err
		}
		if err := s.staffEvent(ctx, tx, staffID, action, staffID, audit.OutcomeDenied); err != nil {
			return err
		}
		max := s.opts.MaxFailedTOTP
		if n < max || n%max != 0 {
			return nil
		}
		lock := s.opts.Lockout
		for i := 1; i < n/max && lock < maxTOTPLockout; i++ {
			lock *= 2
		}
		lock = min(lock, maxTOTPLockout)
		if err := tx.LockStaff(ctx, staffID, s.now().Add(lock)); err != nil {
			return err
		}
		if _, err := tx.DeletePendingSessions(ctx, staffID); err != nil {
			return err
		}
		// An alert: someone who knows the password is guessing codes.
		return s.staffEvent(ctx, tx, System().StaffID, "auth.totp.lockout", staffID, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return ErrBadCode
}

// liveSession is a checked session with its staff row.
type liveSession struct {
	SessionRecord
	staff StaffRecord
}

// session loads and checks a session token: it must exist, be within its
// absolute lifetime and idle timeout, and belong to an enabled account.
// Dead sessions are deleted on sight.
func (s *Service) session(ctx context.Context, token string) (liveSession, error) {
	if token == "" {
		return liveSession{}, ErrNoSession
	}
	h := tokenHash(token)
	now := s.now()
	// One read for both on every request; only when the join finds nothing
	// do we ask which is missing (a session of a vanished account is ended).
	sess, r, err := s.db.SessionAndStaff(ctx, h)
	if errors.Is(err, errs.ErrNotFound) {
		sess, err = s.db.SessionByHash(ctx, h)
		if errors.Is(err, errs.ErrNotFound) {
			return liveSession{}, ErrNoSession
		}
		if err != nil {
			return liveSession{}, fmt.Errorf("session: %w", err)
		}
		r, err = s.db.StaffByID(ctx, sess.StaffID)
	}
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return liveSession{}, fmt.Errorf("session: %w", err)
	}
	if err != nil || r.Disabled || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) >= s.opts.IdleTimeout {
		if err := s.db.InTx(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, h) }); err != nil {
			return liveSession{}, fmt.Errorf("session: %w", err)
		}
		return liveSession{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.db.InTx(ctx, func(tx Tx) error { return tx.TouchSession(ctx, h, now) }); err != nil {
			return liveSession{}, fmt.Errorf("session: %w", err)
		}
		sess.LastSeen = now
	}
	return liveSession{SessionRecord: sess, staff: r}, nil
}

// Session returns the session of a token: ErrNoSession when it is unknown,
// ended, idle too long or past its lifetime. Callers must check MFADone (or
// Next) before letting the session act.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	ls, err := s.session(ctx, token)
	if err != nil {
		return Session{}, err
	}
	return Session{Actor: actorOf(ls.staff), MFADone: ls.MFADone, Next: nextStep(ls.staff, ls.MFADone), ExpiresAt: ls.ExpiresAt}, nil
}

// stepSession is session restricted to one pending login step.
func (s *Service) stepSession(ctx context.Context, token string, want Step) (liveSession, error) {
	ls, err := s.session(ctx, token)
	if err != nil {
		return liveSession{}, err
	}
	if nextStep(ls.staff, ls.MFADone) != want {
		return liveSession{}, ErrWrongStep
	}
	return ls, nil
}

// ChangePassword sets a new password. A session at the change_password
// step (a one-time password) or a fully signed-in session may call it; the
// current password is always required. Field problems come back as
// person.Errors on current_password and new_password. Other sessions of
// the account end.
func (s *Service) ChangePassword(ctx context.Context, token, current, newPassword string) (Step, error) {
	ls, err := s.session(ctx, token)
	if err != nil {
		return "", err
	}
	if !ls.MFADone && nextStep(ls.staff, false) != StepChangePassword {
		return "", ErrWrongStep
	}
	ok, _, err := s.verify(ls.staff.PasswordHash, current)
	if err != nil {
		slog.Error("stored password hash unusable", "staff", ls.staff.ID, "err", err)
	}
	if !ok {
		fail := person.Errors{{Field: "current_password", Key: "auth.password.wrong_current"}}
		return "", s.countFailure(ctx, ls.staff.ID, ls.staff.ID, "auth.password.change", fail)
	}
	if key := s.CheckPassword(newPassword, ls.staff.Username); key != "" {
		return "", person.Errors{{Field: "new_password", Key: key}}
	}
	if normalizePassword(newPassword) == normalizePassword(current) {
		return "", person.Errors{{Field: "new_password", Key: "auth.password.same"}}
	}
	hash, err := s.hash(newPassword)
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.SetStaffPassword(ctx, ls.staff.ID, hash, false, s.now()); err != nil {
			return err
		}
		if _, err := tx.DeleteStaffSessionsExcept(ctx, ls.staff.ID, ls.IDHash); err != nil {
			return err
		}
		if err := s.revokeTokens(ctx, tx, ls.staff.ID, ls.staff.ID); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, ls.staff.ID, "auth.password.change", ls.staff.ID, audit.OutcomeOK)
	})
	if err != nil {
		return "", fmt.Errorf("change password: %w", err)
	}
	ls.staff.MustChangePassword = false
	return nextStep(ls.staff, ls.MFADone), nil
}

// BeginTOTP starts TOTP enrollment for a session at the enroll_totp step:
// it returns the secret to type and the otpauth:// URL to show as a QR code
// (EnrollmentQR). Calling it again before confirming returns the same
// secret, so reloading the page does not invalidate a scanned code.
func (s *Service) BeginTOTP(ctx context.Context, token string) (secret, keyURI string, err error) {
	ls, err := s.stepSession(ctx, token, StepEnrollTOTP)
	if err != nil {
		return "", "", err
	}
	key, err := s.staffKey(ctx)
	if err != nil {
		return "", "", err
	}
	id := ls.staff.ID
	if len(ls.staff.TOTPSecret) > 0 {
		b, err := key.Open(totpBinding(id), ls.staff.TOTPSecret)
		if err != nil {
			return "", "", fmt.Errorf("open pending TOTP secret: %w", err)
		}
		return string(b), otpauthURL(s.opts.Issuer, ls.staff.Username, string(b)), nil
	}
	secret, err = newTOTPSecret(s.rand)
	if err != nil {
		return "", "", err
	}
	sealed, err := key.Seal(totpBinding(id), []byte(secret))
	if err != nil {
		return "", "", fmt.Errorf("seal TOTP secret: %w", err)
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.SetStaffTOTP(ctx, id, sealed, s.now()); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, id, "auth.totp.begin", id, audit.OutcomeOK)
	})
	if err != nil {
		return "", "", fmt.Errorf("begin TOTP: %w", err)
	}
	return secret, otpauthURL(s.opts.Issuer, ls.staff.Username, secret), nil
}

// ConfirmTOTP completes enrollment with a code from the app. It completes
// the login and returns a new session token; the old one stops working.
func (s *Service) ConfirmTOTP(ctx context.Context, token, code, clientIP string) (string, error) {
	if ok, _ := s.totpIPs.Allow(clientIP); !ok {
		return "", ErrRateLimited
	}
	ls, err := s.stepSession(ctx, token, StepEnrollTOTP)
	if err != nil {
		return "", err
	}
	if len(ls.staff.TOTPSecret) == 0 {
		return "", ErrWrongStep // BeginTOTP first
	}
	return s.checkCode(ctx, ls, code, "auth.totp.enroll")
}

// VerifyTOTP checks the code of an enrolled account, completing the login,
// and returns a new session token (the old one stops working). A wrong or
// already used code is ErrBadCode and counts as a failed second factor
// (apart from failed passwords: see Options.MaxFailedTOTP); too many
// attempts from clientIP are ErrRateLimited.
func (s *Service) VerifyTOTP(ctx context.Context, token, code, clientIP string) (string, error) {
	if ok, _ := s.totpIPs.Allow(clientIP); !ok {
		return "", ErrRateLimited
	}
	ls, err := s.stepSession(ctx, token, StepTOTP)
	if err != nil {
		return "", err
	}
	return s.checkCode(ctx, ls, code, "auth.login.totp")
}

// checkCode verifies a TOTP code, uses its time step up, and renews the
// session with MFA done (a new token at the privilege change prevents
// session fixation).
func (s *Service) checkCode(ctx context.Context, ls liveSession, code, action string) (string, error) {
	key, err := s.staffKey(ctx)
	if err != nil {
		return "", err
	}
	id := ls.staff.ID
	secret, err := key.Open(totpBinding(id), ls.staff.TOTPSecret)
	if err != nil {
		return "", fmt.Errorf("open TOTP secret: %w", err)
	}
	raw, err := decodeTOTPSecret(string(secret))
	if err != nil {
		return "", fmt.Errorf("stored TOTP secret: %w", err)
	}
	now := s.now()
	step, ok := matchTOTP(raw, code, now)
	if !ok {
		return "", s.countTOTPFailure(ctx, id, action)
	}
	newToken, err := s.randomToken(sessionTokenBytes)
	if err != nil {
		return "", err
	}
	replayed := false
	err = s.db.InTx(ctx, func(tx Tx) error {
		fresh, err := tx.UseTOTPStep(ctx, id, step)
		if err != nil {
			return err
		}
		if !fresh {
			replayed = true
			return nil
		}
		return s.completeLogin(ctx, tx, ls, newToken, now, action)
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", action, err)
	}
	if replayed {
		return "", s.countTOTPFailure(ctx, id, "auth.totp.replayed")
	}
	return newToken, nil
}

// completeLogin ends a login with its second factor checked (by action):
// the failure counts are cleared and the half-open session is replaced by
// a signed-in one under newToken (a new token at the privilege change
// prevents session fixation), with the audit events, inside tx.
func (s *Service) completeLogin(ctx context.Context, tx Tx, ls liveSession, newToken string, now time.Time, action string) error {
	id := ls.staff.ID
	if err := tx.ClearFailedLogins(ctx, id); err != nil {
		return err
	}
	if err := tx.ClearFailedTOTP(ctx, id); err != nil {
		return err
	}
	if err := tx.DeleteSession(ctx, ls.IDHash); err != nil {
		return err
	}
	if err := tx.CreateSession(ctx, SessionRecord{IDHash: tokenHash(newToken), StaffID: id, MFADone: true,
		CreatedAt: now, LastSeen: now, ExpiresAt: ls.ExpiresAt}); err != nil {
		return err
	}
	if err := s.staffEvent(ctx, tx, id, action, id, audit.OutcomeOK); err != nil {
		return err
	}
	return s.staffEvent(ctx, tx, id, "auth.login", id, audit.OutcomeOK)
}

// Logout ends one session. An unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := tokenHash(token)
	sess, err := s.db.SessionByHash(ctx, h)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, h); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, sess.StaffID, "auth.logout", sess.StaffID, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// LogoutEverywhere ends every session of the token's account, on every
// device, and revokes the account's API tokens.
func (s *Service) LogoutEverywhere(ctx context.Context, token string) error {
	ls, err := s.session(ctx, token)
	if err != nil {
		return err
	}
	if !ls.MFADone {
		return ErrWrongStep
	}
	id := ls.staff.ID
	err = s.db.InTx(ctx, func(tx Tx) error {
		if _, err := tx.DeleteStaffSessions(ctx, id); err != nil {
			return err
		}
		if err := s.revokeTokens(ctx, tx, id, id); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, id, "auth.logout_everywhere", id, audit.OutcomeOK)
	})
	if err != nil {
		return fmt.Errorf("logout everywhere: %w", err)
	}
	return nil
}

// PruneSessions deletes expired and idle sessions; serve runs it now and then.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.now()
	var n int64
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.DeleteDeadSessions(ctx, now, now.Add(-s.opts.IdleTimeout))
		return err
	})
	return n, err
}
