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

// API tokens look like "cid_" + 43 base64url characters (256 bits), so
// secret scanners can spot a leaked one.
const (
	apiTokenPrefix = "cid_"
	apiTokenBytes  = 32
	maxTokenName   = 64
)

// APIToken describes a token without its secret.
type APIToken struct {
	ID         string
	StaffID    string
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
	ExpiresAt  time.Time // the token stops working then
}

// CreateAPIToken makes a token that acts as by, with by's role, for
// Options.APITokenLifetime (settings security.api_token_days). The token
// is returned once and only its hash is kept. It dies early with its
// owner's reset, disable, password change or sign-out everywhere. name (what the token is for)
// is required; problems come back as person.Errors on "name".
func (s *Service) CreateAPIToken(ctx context.Context, by Actor, name string) (token, id string, err error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", "", person.Errors{{Field: "name", Key: "error.required"}}
	case utf8.RuneCountInString(name) > maxTokenName:
		return "", "", person.Errors{{Field: "name", Key: "error.too_long"}}
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "", "", person.Errors{{Field: "name", Key: "auth.token.name_chars"}}
	}
	r, err := s.db.StaffByID(ctx, by.StaffID)
	if errors.Is(err, errs.ErrNotFound) {
		return "", "", errs.ErrForbidden // the system actor and deleted accounts hold no tokens
	}
	if err != nil {
		return "", "", fmt.Errorf("create API token: %w", err)
	}
	if r.Disabled {
		return "", "", errs.ErrForbidden
	}
	secret, err := s.randomToken(apiTokenBytes)
	if err != nil {
		return "", "", err
	}
	token = apiTokenPrefix + secret
	if id, err = s.newID("tok_"); err != nil {
		return "", "", err
	}
	now := s.now()
	t := TokenRecord{ID: id, TokenHash: tokenHash(token), StaffID: r.ID, Name: name, CreatedAt: now,
		ExpiresAt: now.Add(s.opts.APITokenLifetime)}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(r.ID, "auth.token.create", recordAPIToken, id, audit.OutcomeOK))
	})
	if err != nil {
		return "", "", fmt.Errorf("create API token: %w", err)
	}
	return token, id, nil
}

// APIToken returns the actor a token acts as (with Actor.TokenID set):
// ErrInvalidToken when it is malformed, unknown, revoked, expired, or its
// owner is disabled.
func (s *Service) APIToken(ctx context.Context, token string) (Actor, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) || len(token) > 128 {
		return Actor{}, ErrInvalidToken
	}
	t, err := s.db.APITokenByHash(ctx, tokenHash(token))
	if errors.Is(err, errs.ErrNotFound) {
		return Actor{}, ErrInvalidToken
	}
	if err != nil {
		return Actor{}, fmt.Errorf("API token: %w", err)
	}
	if !t.RevokedAt.IsZero() || !s.now().Before(t.ExpiresAt) {
		return Actor{}, ErrInvalidToken
	}
	r, err := s.db.StaffByID(ctx, t.StaffID)
	if err != nil {
		return Actor{}, fmt.Errorf("API token: %w", err)
	}
	if r.Disabled {
		return Actor{}, ErrInvalidToken
	}
	if now := s.now(); now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.db.InTx(ctx, func(tx Tx) error { return tx.TouchAPIToken(ctx, t.ID, now) }); err != nil {
			return Actor{}, fmt.Errorf("API token: %w", err)
		}
	}
	a := actorOf(r)
	a.TokenID = t.ID
	return a, nil
}

// APITokens lists tokens: an administrator's list has everyone's, anyone
// else's only their own.
func (s *Service) APITokens(ctx context.Context, by Actor) ([]APIToken, error) {
	owner := by.StaffID
	if by.Can(RoleAdmin) {
		owner = ""
	}
	rows, err := s.db.APITokens(ctx, owner)
	if err != nil {
		return nil, err
	}
	out := make([]APIToken, len(rows))
	for i, t := range rows {
		out[i] = APIToken{ID: t.ID, StaffID: t.StaffID, Name: t.Name, CreatedAt: t.CreatedAt,
			LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, ExpiresAt: t.ExpiresAt}
	}
	return out, nil
}

// RevokeAPIToken revokes a token; its owner or an administrator may.
func (s *Service) RevokeAPIToken(ctx context.Context, by Actor, id string) error {
	t, err := s.db.APITokenByID(ctx, id)
	if err != nil {
		return err
	}
	if t.StaffID != by.StaffID && !by.Can(RoleAdmin) {
		return errs.ErrForbidden
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.RevokeAPIToken(ctx, id, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(by.StaffID, "auth.token.revoke", recordAPIToken, id, audit.OutcomeOK))
	})
	if err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	}
	return nil
}

// revokeTokens revokes every live API token of staffID inside tx, one audit
// event each: a token must not outlive the credentials that made it.
func (s *Service) revokeTokens(ctx context.Context, tx Tx, by, staffID string) error {
	ids, err := tx.RevokeStaffAPITokens(ctx, staffID, s.now())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.AppendAudit(ctx, s.event(by, "auth.token.revoke", recordAPIToken, id, audit.OutcomeOK)); err != nil {
			return err
		}
	}
	return nil
}

// BudgetExceeded writes the alert event for a read budget that ran out:
// action auth.budget.exceeded, the token (scope "token") or the account
// (scope "account") as the record, outcome denied. Auditors filter on it.
func (s *Service) BudgetExceeded(ctx context.Context, by Actor, scope string) error {
	recordType, recordID := recordAPIToken, by.TokenID
	if scope != "token" {
		recordType, recordID = recordStaff, by.StaffID
	}
	e := s.event(by.StaffID, "auth.budget.exceeded", recordType, recordID, audit.OutcomeDenied)
	e.Purpose = scope
	err := s.db.InTx(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, e) })
	if err != nil {
		return fmt.Errorf("budget alert: %w", err)
	}
	return nil
}
