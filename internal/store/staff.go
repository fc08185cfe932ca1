package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

const staffColumns = `id, username, display_name, role, site_id, password_hash, must_change_password,
	totp_secret, totp_last_step, disabled, failed_logins, failed_totp, locked_until, created_at, updated_at, password_set_at`

func scanStaff(s scanner) (auth.StaffRecord, error) {
	var st auth.StaffRecord
	var site sql.NullString
	var must, disabled int
	var locked, created, updated, pwSet int64
	err := s.Scan(&st.ID, &st.Username, &st.DisplayName, &st.Role, &site, &st.PasswordHash, &must,
		&st.TOTPSecret, &st.TOTPLastStep, &disabled, &st.FailedLogins, &st.FailedTOTP, &locked, &created, &updated, &pwSet)
	if err != nil {
		return auth.StaffRecord{}, err
	}
	st.SiteID = site.String
	st.MustChangePassword, st.Disabled = must == 1, disabled == 1
	st.LockedUntil, st.CreatedAt, st.UpdatedAt = fromMicros(locked), fromMicros(created), fromMicros(updated)
	st.PasswordSetAt = fromMicros(pwSet)
	return st, nil
}

// nullString stores "" as NULL (for optional foreign keys).
func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateStaff inserts s; a taken username is ErrConflict.
func (tx *Tx) CreateStaff(ctx context.Context, s auth.StaffRecord) error {
	_, err := tx.exec(ctx, `INSERT INTO staff (`+staffColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Username, s.DisplayName, s.Role, nullIfEmpty(s.SiteID), s.PasswordHash, boolInt(s.MustChangePassword),
		s.TOTPSecret, s.TOTPLastStep, boolInt(s.Disabled), s.FailedLogins, s.FailedTOTP, micros(s.LockedUntil),
		micros(s.CreatedAt), micros(s.UpdatedAt), micros(s.PasswordSetAt))
	if isUnique(err) {
		return fmt.Errorf("staff username: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create staff: %w", err)
	}
	return nil
}

// StaffByID returns one staff member by id.
func (db *DB) StaffByID(ctx context.Context, id string) (auth.StaffRecord, error) {
	s, err := scanStaff(db.queryRow(ctx, "SELECT "+staffColumns+" FROM staff WHERE id = ?", id))
	if err != nil {
		return auth.StaffRecord{}, notFound(err, "staff "+id)
	}
	return s, nil
}

// StaffByID reads a staff member inside the transaction (for read-modify-write).
func (tx *Tx) StaffByID(ctx context.Context, id string) (auth.StaffRecord, error) {
	s, err := scanStaff(tx.queryRow(ctx, "SELECT "+staffColumns+" FROM staff WHERE id = ?", id))
	if err != nil {
		return auth.StaffRecord{}, notFound(err, "staff "+id)
	}
	return s, nil
}

// StaffByUsername returns one staff member by username. The error does not
// repeat the username: it may be a mistyped password.
func (db *DB) StaffByUsername(ctx context.Context, username string) (auth.StaffRecord, error) {
	s, err := scanStaff(db.queryRow(ctx, "SELECT "+staffColumns+" FROM staff WHERE username = ?", username))
	if err != nil {
		return auth.StaffRecord{}, notFound(err, "staff by username")
	}
	return s, nil
}

// ListStaff lists every staff member by username.
func (db *DB) ListStaff(ctx context.Context) ([]auth.StaffRecord, error) {
	rows, err := db.query(ctx, "SELECT "+staffColumns+" FROM staff ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []auth.StaffRecord
	for rows.Next() {
		s, err := scanStaff(rows)
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// StaffCount counts staff members inside the transaction, so first-start
// bootstrap is decided and acted on atomically.
func (tx *Tx) StaffCount(ctx context.Context) (int, error) {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM staff").Scan(&n); err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// updateStaff runs an UPDATE on one staff row and maps "no row" to ErrNotFound.
func (tx *Tx) updateStaff(ctx context.Context, what, id, set string, args ...any) error {
	res, err := tx.exec(ctx, "UPDATE staff SET "+set+" WHERE id = ?", append(args, id)...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("%s: staff %s: %w", what, id, ErrNotFound)
	}
	return nil
}

// UpdateStaffProfile changes a staff member's display name, role and site.
func (tx *Tx) UpdateStaffProfile(ctx context.Context, id, displayName string, role auth.Role, siteID string, at time.Time) error {
	return tx.updateStaff(ctx, "update staff", id, "display_name = ?, role = ?, site_id = ?, updated_at = ?",
		displayName, role, nullIfEmpty(siteID), micros(at))
}

// SetStaffPassword stores a new password hash and whether it must be changed
// at next login; it also clears the failed-login counter and any lock.
func (tx *Tx) SetStaffPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error {
	return tx.updateStaff(ctx, "set staff password", id,
		"password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = 0, updated_at = ?, password_set_at = ?",
		hash, boolInt(mustChange), micros(at), micros(at))
}

// SetStaffTOTP stores a sealed TOTP secret (nil removes it) and resets the
// last used step, which makes the secret pending until UseTOTPStep confirms it.
func (tx *Tx) SetStaffTOTP(ctx context.Context, id string, sealed []byte, at time.Time) error {
	return tx.updateStaff(ctx, "set staff TOTP", id, "totp_secret = ?, totp_last_step = 0, updated_at = ?",
		sealed, micros(at))
}

// UseTOTPStep records step as the last used TOTP time step, only if it is
// later than the one recorded; false means the code was already used (or an
// older one was), which makes every code single-use even under concurrency.
func (tx *Tx) UseTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE staff SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, id, step)
	if err != nil {
		return false, fmt.Errorf("use TOTP step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use TOTP step: %w", err)
	}
	return n == 1, nil
}

// SetStaffDisabled disables or enables a staff member.
func (tx *Tx) SetStaffDisabled(ctx context.Context, id string, disabled bool, at time.Time) error {
	return tx.updateStaff(ctx, "set staff disabled", id, "disabled = ?, updated_at = ?", boolInt(disabled), micros(at))
}

// AddFailedLogin counts one failed login and returns the new count.
func (tx *Tx) AddFailedLogin(ctx context.Context, id string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "UPDATE staff SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins", id).Scan(&n)
	if err != nil {
		return 0, notFound(err, "count failed login")
	}
	return n, nil
}

// LockStaff locks a staff member's logins until until and restarts the failure count.
func (tx *Tx) LockStaff(ctx context.Context, id string, until time.Time) error {
	return tx.updateStaff(ctx, "lock staff", id, "failed_logins = 0, locked_until = ?", micros(until))
}

// ClearFailedLogins forgets failed password attempts and any lock after a
// good password. Failed second-factor codes stay counted (ClearFailedTOTP).
func (tx *Tx) ClearFailedLogins(ctx context.Context, id string) error {
	return tx.updateStaff(ctx, "clear failed logins", id, "failed_logins = 0, locked_until = 0")
}

// AddFailedTOTP counts one wrong second-factor code and returns the new count.
func (tx *Tx) AddFailedTOTP(ctx context.Context, id string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "UPDATE staff SET failed_totp = failed_totp + 1 WHERE id = ? RETURNING failed_totp", id).Scan(&n)
	if err != nil {
		return 0, notFound(err, "count failed TOTP code")
	}
	return n, nil
}

// ClearFailedTOTP forgets wrong second-factor codes, after a right code or
// when an administrator resets or re-enables the account.
func (tx *Tx) ClearFailedTOTP(ctx context.Context, id string) error {
	return tx.updateStaff(ctx, "clear failed TOTP codes", id, "failed_totp = 0")
}

// FormerStaffPrefix begins the username of an account whose names a
// retention run has replaced (the prefix and the account id).
const FormerStaffPrefix = auth.FormerStaffPrefix

// AnonymizeDisabledStaff replaces the username and display name of staff
// accounts disabled (and unchanged) since before `before` with
// FormerStaffPrefix + id and an empty name, and removes their password,
// authenticator, sessions and API tokens. The id stays: audit events name
// accounts by id, so the log still tells one account from another. It
// returns the ids it changed, at most limit.
func (tx *Tx) AnonymizeDisabledStaff(ctx context.Context, before time.Time, at time.Time, limit int) ([]string, error) {
	rows, err := tx.query(ctx, "SELECT id FROM staff WHERE disabled = 1 AND updated_at < ? AND username NOT LIKE '"+FormerStaffPrefix+"%' ORDER BY id LIMIT ?",
		micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("disabled staff: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("disabled staff: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("disabled staff: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE staff_id = ?", id); err != nil {
			return nil, fmt.Errorf("anonymize staff: %w", err)
		}
		if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at = 0", micros(at), id); err != nil {
			return nil, fmt.Errorf("anonymize staff: %w", err)
		}
		if _, err := tx.exec(ctx, "DELETE FROM staff_recovery_codes WHERE staff_id = ?", id); err != nil {
			return nil, fmt.Errorf("anonymize staff: %w", err)
		}
		// A password hash no verifier accepts: the account cannot sign in
		// even if someone enables it again (a reset gives it a new one).
		if err := tx.updateStaff(ctx, "anonymize staff", id, "username = ?, display_name = '', password_hash = ?, totp_secret = NULL, totp_last_step = 0, updated_at = ?",
			FormerStaffPrefix+id, auth.NoPassword, micros(at)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
