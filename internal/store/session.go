package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// CreateSession inserts s.
func (tx *Tx) CreateSession(ctx context.Context, s auth.SessionRecord) error {
	_, err := tx.exec(ctx, "INSERT INTO sessions (id_hash, staff_id, mfa_done, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.IDHash, s.StaffID, boolInt(s.MFADone), micros(s.CreatedAt), micros(s.LastSeen), micros(s.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("create session: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session whose token hashes to idHash.
func (db *DB) SessionByHash(ctx context.Context, idHash []byte) (auth.SessionRecord, error) {
	var s auth.SessionRecord
	var mfa int
	var created, seen, expires int64
	err := db.queryRow(ctx, "SELECT id_hash, staff_id, mfa_done, created_at, last_seen, expires_at FROM sessions WHERE id_hash = ?", idHash).
		Scan(&s.IDHash, &s.StaffID, &mfa, &created, &seen, &expires)
	if err != nil {
		return auth.SessionRecord{}, notFound(err, "session")
	}
	s.MFADone = mfa == 1
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return s, nil
}

// sessionStaffColumns are staffColumns read from the staff table joined as st.
var sessionStaffColumns = func() string {
	cols := strings.Split(staffColumns, ",")
	for i, c := range cols {
		cols[i] = "st." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// SessionAndStaff returns the session whose token hashes to idHash and its
// staff member in one round trip (every signed-in request asks for both).
// ErrNotFound when either is missing.
func (db *DB) SessionAndStaff(ctx context.Context, idHash []byte) (auth.SessionRecord, auth.StaffRecord, error) {
	var s auth.SessionRecord
	var mfa int
	var created, seen, expires int64
	row := db.queryRow(ctx, "SELECT se.id_hash, se.staff_id, se.mfa_done, se.created_at, se.last_seen, se.expires_at, "+
		sessionStaffColumns+" FROM sessions se JOIN staff st ON st.id = se.staff_id WHERE se.id_hash = ?", idHash)
	st, err := scanStaff(scanFunc(func(dest ...any) error {
		return row.Scan(append([]any{&s.IDHash, &s.StaffID, &mfa, &created, &seen, &expires}, dest...)...)
	}))
	if err != nil {
		return auth.SessionRecord{}, auth.StaffRecord{}, notFound(err, "session")
	}
	s.MFADone = mfa == 1
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return s, st, nil
}

// TouchSession records activity on a session (for the idle timeout).
func (tx *Tx) TouchSession(ctx context.Context, idHash []byte, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", micros(at), idHash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session; ending an unknown session is not an error
// (a double logout must not fail).
func (tx *Tx) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// deleteSessions deletes the sessions matching where and returns how many.
func (tx *Tx) deleteSessions(ctx context.Context, what, where string, args ...any) (int64, error) {
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE "+where, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// DeleteStaffSessions ends every session of a staff member and returns how many there were.
func (tx *Tx) DeleteStaffSessions(ctx context.Context, staffID string) (int64, error) {
	return tx.deleteSessions(ctx, "delete staff sessions", "staff_id = ?", staffID)
}

// DeleteStaffSessionsExcept ends every session of a staff member but one
// (after a password change, other devices sign in again).
func (tx *Tx) DeleteStaffSessionsExcept(ctx context.Context, staffID string, keep []byte) (int64, error) {
	return tx.deleteSessions(ctx, "delete other staff sessions", "staff_id = ? AND id_hash <> ?", staffID, keep)
}

// DeletePendingSessions ends a staff member's sessions that have not
// completed MFA, and returns how many there were.
func (tx *Tx) DeletePendingSessions(ctx context.Context, staffID string) (int64, error) {
	return tx.deleteSessions(ctx, "delete pending sessions", "staff_id = ? AND mfa_done = 0", staffID)
}

// DeleteDeadSessions removes sessions past their absolute end or idle since
// before idleSince, and returns how many.
func (tx *Tx) DeleteDeadSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	return tx.deleteSessions(ctx, "delete dead sessions", "expires_at <= ? OR last_seen < ?", micros(now), micros(idleSince))
}
