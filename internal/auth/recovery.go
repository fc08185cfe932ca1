package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/errs"
)

// Recovery codes stand in for a TOTP code when the phone is lost: ten per
// set, each single-use, shown once and stored only as password hashes. A
// code is four groups of four characters from recoveryAlphabet (80 bits);
// its first group finds the row, so a login hashes once, not ten times.
const (
	RecoveryCodeCount = 10
	recoveryGroups    = 4
	recoveryGroupLen  = 4
	recoveryAlphabet  = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes (0/O, 1/l/I)
)

// normalizeRecoveryCode lower-cases a typed code and drops spaces and
// dashes; ok is false when it cannot be a recovery code.
func normalizeRecoveryCode(code string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	s := b.String()
	return s, len(s) == recoveryGroups*recoveryGroupLen
}

// IsRecoveryCode reports whether what a person typed at the second-factor
// step has the shape of a recovery code rather than a 6-digit TOTP code.
func IsRecoveryCode(code string) bool {
	_, ok := normalizeRecoveryCode(code)
	return ok
}

// newRecoveryCode returns a fresh code in its printed form (xxxx-xxxx-xxxx-xxxx).
func newRecoveryCode(rand io.Reader) (string, error) {
	n := recoveryGroups * recoveryGroupLen
	b := make([]byte, n)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("recovery code: %w", err)
	}
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%recoveryGroupLen == 0 {
			out.WriteByte('-')
		}
		// 31 letters: the modulo bias (256 % 31 = 8) costs under 0.1 bit a character.
		out.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return out.String(), nil
}

// NewRecoveryCodes makes a new set of RecoveryCodeCount codes for the
// signed-in staff member of token (MFA done), voiding any earlier set, and
// returns them in printed form: the only time they are shown.
func (s *Service) NewRecoveryCodes(ctx context.Context, token string) ([]string, error) {
	ls, err := s.session(ctx, token)
	if err != nil {
		return nil, err
	}
	if !ls.MFADone {
		return nil, ErrWrongStep
	}
	now := s.now()
	seen := map[string]bool{}
	var codes []string
	var recs []RecoveryCodeRecord
	for len(codes) < RecoveryCodeCount {
		code, err := newRecoveryCode(s.rand)
		if err != nil {
			return nil, err
		}
		norm, _ := normalizeRecoveryCode(code)
		id := norm[:recoveryGroupLen]
		if seen[id] {
			continue // two codes of a set must not share a first group
		}
		seen[id] = true
		h, err := s.hash(norm)
		if err != nil {
			return nil, err
		}
		codes = append(codes, code)
		recs = append(recs, RecoveryCodeRecord{CodeID: id, Hash: h, CreatedAt: now})
	}
	id := ls.staff.ID
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.ReplaceRecoveryCodes(ctx, id, recs); err != nil {
			return err
		}
		return s.staffEvent(ctx, tx, id, "auth.recovery_codes.new", id, audit.OutcomeOK)
	})
	if err != nil {
		return nil, fmt.Errorf("new recovery codes: %w", err)
	}
	return codes, nil
}

// RecoveryCodesLeft counts the unused recovery codes of the signed-in staff
// member of token.
func (s *Service) RecoveryCodesLeft(ctx context.Context, token string) (int, error) {
	ls, err := s.session(ctx, token)
	if err != nil {
		return 0, err
	}
	if !ls.MFADone {
		return 0, ErrWrongStep
	}
	n, err := s.db.RecoveryCodesLeft(ctx, ls.staff.ID)
	if err != nil {
		return 0, fmt.Errorf("recovery codes left: %w", err)
	}
	return n, nil
}

// UseRecoveryCode completes a login at the TOTP step with a recovery code
// instead of a TOTP code: the code is used up, the use is audited, and the
// new session token and the number of codes left are returned. A wrong or
// used code is ErrBadCode and counts as a failed second factor, under the
// same per-account lock and per-address limit as TOTP codes.
func (s *Service) UseRecoveryCode(ctx context.Context, token, code, clientIP string) (string, int, error) {
	if ok, _ := s.totpIPs.Allow(clientIP); !ok {
		return "", 0, ErrRateLimited
	}
	ls, err := s.stepSession(ctx, token, StepTOTP)
	if err != nil {
		return "", 0, err
	}
	id := ls.staff.ID
	const action = "auth.login.recovery_code"
	norm, ok := normalizeRecoveryCode(code)
	if !ok {
		return "", 0, s.countTOTPFailure(ctx, id, action)
	}
	codeID := norm[:recoveryGroupLen]
	var stored string
	err = s.db.InTx(ctx, func(tx Tx) error {
		stored, err = tx.UnusedRecoveryCode(ctx, id, codeID)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		s.burn(norm) // the same work as a real check
		return "", 0, s.countTOTPFailure(ctx, id, action)
	}
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", action, err)
	}
	match, _, err := s.verify(stored, norm)
	if err != nil {
		slog.Error("stored recovery code hash unusable", "staff", id, "err", err)
	}
	if !match {
		return "", 0, s.countTOTPFailure(ctx, id, action)
	}
	newToken, err := s.randomToken(sessionTokenBytes)
	if err != nil {
		return "", 0, err
	}
	now := s.now()
	used, left := false, 0
	err = s.db.InTx(ctx, func(tx Tx) error {
		fresh, err := tx.UseRecoveryCode(ctx, id, codeID, now)
		if err != nil || !fresh {
			return err
		}
		used = true
		if left, err = tx.RecoveryCodesLeft(ctx, id); err != nil {
			return err
		}
		return s.completeLogin(ctx, tx, ls, newToken, now, action)
	})
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", action, err)
	}
	if !used {
		// Used by a concurrent login between the check and now.
		return "", 0, s.countTOTPFailure(ctx, id, action)
	}
	return newToken, left, nil
}
