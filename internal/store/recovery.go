package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// ReplaceRecoveryCodes deletes a staff member's recovery codes and stores
// codes instead (none: the member has no codes).
func (tx *Tx) ReplaceRecoveryCodes(ctx context.Context, staffID string, codes []auth.RecoveryCodeRecord) error {
	if _, err := tx.exec(ctx, "DELETE FROM staff_recovery_codes WHERE staff_id = ?", staffID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	for _, c := range codes {
		_, err := tx.exec(ctx, "INSERT INTO staff_recovery_codes (staff_id, code_id, code_hash, created_at, used_at) VALUES (?, ?, ?, ?, 0)",
			staffID, c.CodeID, c.Hash, micros(c.CreatedAt))
		if err != nil {
			return fmt.Errorf("store recovery code: %w", err)
		}
	}
	return nil
}

// UnusedRecoveryCode returns the hash of a staff member's unused recovery
// code with that id; ErrNotFound when there is none.
func (tx *Tx) UnusedRecoveryCode(ctx context.Context, staffID, codeID string) (string, error) {
	var h string
	err := tx.queryRow(ctx, "SELECT code_hash FROM staff_recovery_codes WHERE staff_id = ? AND code_id = ? AND used_at = 0", staffID, codeID).Scan(&h)
	if err != nil {
		return "", notFound(err, "recovery code")
	}
	return h, nil
}

// UseRecoveryCode marks an unused code used; false when it was used (or
// deleted) already, so a code works once even under concurrency.
func (tx *Tx) UseRecoveryCode(ctx context.Context, staffID, codeID string, at time.Time) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ? AND code_id = ? AND used_at = 0",
		micros(at), staffID, codeID)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return n == 1, nil
}

// RecoveryCodesLeft counts a staff member's unused recovery codes.
func (tx *Tx) RecoveryCodesLeft(ctx context.Context, staffID string) (int, error) {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at = 0", staffID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// RecoveryCodesLeft counts a staff member's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, staffID string) (int, error) {
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at = 0", staffID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
