package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/vault"
)

// Options are the login and session limits.
type Options struct {
	SessionLifetime time.Duration // absolute session length from login
	IdleTimeout     time.Duration // session ends after this long without a request
	MaxFailedLogins int           // failures (password or TOTP) before the account locks
	Lockout         time.Duration // how long a lock lasts
	PerIPPerMinute  int           // login attempts per client address a minute; 0 = unlimited
	// MaxFailedTOTP wrong second-factor codes lock the account. They are
	// counted apart from passwords (a right password does not reset them),
	// and each further lock lasts twice as long, up to maxTOTPLockout.
	MaxFailedTOTP int
	// TOTPPerIPPerMinute limits second-factor attempts per client address
	// a minute; 0 = unlimited.
	TOTPPerIPPerMinute int
	// APITokenLifetime is how long a new API token works.
	APITokenLifetime time.Duration
	// OneTimeLifetime is how long a one-time password works (the first
	// administrator's, a new account's, a reset's) before it must be reset.
	OneTimeLifetime time.Duration
	// SingleAdministrator: giving a role that reads personal data takes
	// effect without a second administrator, with an alert event instead.
	SingleAdministrator bool
	Argon               Params   // cost of new password hashes
	Issuer              string   // the account label in authenticator apps
	ContextWords        []string // words no password may be made of, e.g. the city name
	// Shared keeps the per-address login and second-factor limits in the
	// database (PostgreSQL with several app servers), so they hold across
	// servers; nil keeps them per server. Keys are keyed hashes of the
	// address, never the address.
	Shared throttle.Backend
}

// DefaultOptions are 12-hour sessions, a 30-minute idle timeout, a
// 15-minute lock after 5 failures and 10 attempts a minute per address.
func DefaultOptions() Options {
	return Options{
		SessionLifetime: 12 * time.Hour,
		IdleTimeout:     30 * time.Minute,
		MaxFailedLogins: 5,
		Lockout:         15 * time.Minute,
		PerIPPerMinute:  10,
		MaxFailedTOTP:   5,
		// A person types a code a few times a day; ten a minute leaves
		// room for typos on a shared office address.
		TOTPPerIPPerMinute: 10,
		APITokenLifetime:   90 * 24 * time.Hour,
		OneTimeLifetime:    24 * time.Hour,
		Argon:              DefaultParams(),
		Issuer:             "cityid",
	}
}

// OptionsFrom takes the limits a city set in its settings file; zero values keep the defaults.
func OptionsFrom(s config.Settings) Options {
	o := DefaultOptions()
	sec := s.Security
	if sec.SessionHours > 0 {
		o.SessionLifetime = time.Duration(sec.SessionHours) * time.Hour
	}
	if sec.IdleMinutes > 0 {
		o.IdleTimeout = time.Duration(sec.IdleMinutes) * time.Minute
	}
	if sec.LoginMaxAttempts > 0 {
		o.MaxFailedLogins = sec.LoginMaxAttempts
	}
	if sec.LockoutMinutes > 0 {
		o.Lockout = time.Duration(sec.LockoutMinutes) * time.Minute
	}
	if sec.TOTPMaxAttempts > 0 {
		o.MaxFailedTOTP = sec.TOTPMaxAttempts
	}
	if sec.APITokenDays > 0 {
		o.APITokenLifetime = time.Duration(sec.APITokenDays) * 24 * time.Hour
	}
	o.SingleAdministrator = sec.SingleAdministrator
	if s.Program.Name != "" {
		o.Issuer = s.Program.Name
	}
	o.ContextWords = []string{s.Program.City, s.Program.Name}
	return o
}

// Service authenticates staff and manages their accounts, sessions and API tokens.
type Service struct {
	db     Store
	vault  *vault.Vault
	opts   Options
	now    func() time.Time
	rand   io.Reader
	policy *policy
	// ips limits login attempts per client address: burst PerIPPerMinute,
	// refilled at that rate; in memory, so each server of a cluster limits on
	// its own (the per-account lockout in the database is shared). nil: off.
	ips *throttle.Limiter
	// totpIPs limits second-factor attempts per client address the same way.
	totpIPs *throttle.Limiter

	dummy string // a hash to verify against for unknown users, so timing does not tell

	keyMu   sync.Mutex
	dataKey *vault.DataKey // the staff data key, opened once
}

// NewService returns the auth service. now and rand are injected for tests;
// production passes time.Now and crypto/rand.Reader.
func NewService(db Store, v *vault.Vault, opts Options, now func() time.Time, rand io.Reader) *Service {
	def := DefaultOptions()
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = def.SessionLifetime
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = def.IdleTimeout
	}
	if opts.MaxFailedLogins <= 0 {
		opts.MaxFailedLogins = def.MaxFailedLogins
	}
	if opts.Lockout <= 0 {
		opts.Lockout = def.Lockout
	}
	if opts.MaxFailedTOTP <= 0 {
		opts.MaxFailedTOTP = def.MaxFailedTOTP
	}
	if opts.APITokenLifetime <= 0 {
		opts.APITokenLifetime = def.APITokenLifetime
	}
	if opts.OneTimeLifetime <= 0 {
		opts.OneTimeLifetime = def.OneTimeLifetime
	}
	if opts.Argon == (Params{}) {
		opts.Argon = def.Argon
	}
	if opts.Issuer == "" {
		opts.Issuer = def.Issuer
	}
	s := &Service{
		db: db, vault: v, opts: opts, now: now, rand: rand,
		policy: newPolicy(opts.ContextWords),
		dummy:  dummyHash(opts.Argon, rand),
	}
	if opts.PerIPPerMinute > 0 {
		s.ips = throttle.New(opts.PerIPPerMinute, opts.PerIPPerMinute, 10_000, func() time.Time { return s.now() })
	}
	if opts.TOTPPerIPPerMinute > 0 {
		s.totpIPs = throttle.New(opts.TOTPPerIPPerMinute, opts.TOTPPerIPPerMinute, 10_000, func() time.Time { return s.now() })
	}
	if opts.Shared != nil {
		for name, l := range map[string]*throttle.Limiter{"auth.login_ip": s.ips, "auth.totp_ip": s.totpIPs} {
			l.Share(opts.Shared, name, func(key string) []byte { return v.BlindIndex("throttle."+name, key) })
		}
	}
	return s
}

// CheckPassword returns the message key of the first policy problem with a
// new password for username, or "" if it is acceptable. Pages may call it
// for early feedback; every password change checks it again.
func (s *Service) CheckPassword(password, username string) string {
	return s.policy.check(normalizePassword(password), username)
}

// hash hashes a (normalized) password with the configured cost.
func (s *Service) hash(password string) (string, error) {
	return hashPassword(s.opts.Argon, normalizePassword(password), s.rand)
}

// verify checks a password against a stored hash. A malformed stored hash
// is logged as an error by the caller and simply does not match.
func (s *Service) verify(stored, password string) (ok, rehash bool, err error) {
	if stored == NoPassword {
		s.burn(password) // same time as a real check
		return false, false, nil
	}
	return verifyPassword(stored, normalizePassword(password), s.opts.Argon)
}

// NoPassword is the stored hash of an account that has no password (a
// retention run removed it): no password matches it, and a reset gives the
// account a new one.
const NoPassword = "!"

// burn spends the same argon2 work as a real check, for unknown, disabled
// and locked accounts, so response time does not tell them apart.
func (s *Service) burn(password string) {
	verifyPassword(s.dummy, password, s.opts.Argon)
}

// dummyHash is a well-formed hash at the current cost that no password
// matches: its "hash" part is random bytes, not the output of argon2.
func dummyHash(p Params, rand io.Reader) string {
	salt, key := make([]byte, p.SaltLen), make([]byte, p.KeyLen)
	io.ReadFull(rand, salt)
	io.ReadFull(rand, key)
	return formatPHC(p, salt, key)
}

// randomToken returns n random bytes, base64url without padding.
func (s *Service) randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newID returns prefix plus 16 random hex digits: random so ids say nothing
// about how many staff or tokens exist.
func (s *Service) newID(prefix string) (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

// oneTimeAlphabet has no look-alikes (0/O, 1/l/I), so a password read aloud
// or copied from paper is typed right.
const oneTimeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// OneTimePassword returns a 20-character random password for a new or reset
// account (about 99 bits); its holder must change it at first login.
func (s *Service) OneTimePassword() (string, error) {
	const n = 20
	out := make([]byte, 0, n+3)
	buf := make([]byte, 1)
	for len(out) < n+3 {
		if len(out)%6 == 5 {
			out = append(out, '-') // groups of five are easier to copy
			continue
		}
		if _, err := io.ReadFull(s.rand, buf); err != nil {
			return "", fmt.Errorf("one-time password: %w", err)
		}
		// Rejection sampling keeps every letter equally likely.
		if int(buf[0]) >= 256-256%len(oneTimeAlphabet) {
			continue
		}
		out = append(out, oneTimeAlphabet[int(buf[0])%len(oneTimeAlphabet)])
	}
	return string(out), nil
}

// tokenHash is what the database stores for session and API tokens.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StaffKeyMeta is the meta-table key under which the staff data key is
// stored, wrapped by the master key (a master-key rotation rewraps it).
const StaffKeyMeta = "staff_data_key"

// staffKey returns the staff data key that seals TOTP secrets, creating and
// storing it (wrapped by the master key) on first use.
func (s *Service) staffKey(ctx context.Context) (vault.DataKey, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.dataKey != nil {
		return *s.dataKey, nil
	}
	wrapped, err := s.db.Meta(ctx, StaffKeyMeta)
	if errors.Is(err, errs.ErrNotFound) {
		var fresh []byte
		if _, fresh, err = s.vault.NewDataKey(); err != nil {
			return vault.DataKey{}, err
		}
		err = s.db.InTx(ctx, func(tx Tx) error {
			// Another server may have stored one first; use whichever won.
			wrapped, err = tx.SetMetaIfAbsent(ctx, StaffKeyMeta, fresh)
			return err
		})
	}
	if err != nil {
		return vault.DataKey{}, fmt.Errorf("staff data key: %w", err)
	}
	k, err := s.vault.OpenDataKey(wrapped)
	if err != nil {
		return vault.DataKey{}, fmt.Errorf("staff data key: %w", err)
	}
	s.dataKey = &k
	return k, nil
}

func totpBinding(staffID string) vault.Binding {
	return vault.Binding{Table: "staff", Column: "totp_secret", Row: staffID}
}

// Audit record types and the actor for attempts by someone not yet known.
const (
	recordStaff    = "staff"
	recordAPIToken = "api_token"
	actorAnonymous = "anonymous"
	recordUnknown  = "unknown"
)

// event builds an audit event at the service's clock.
func (s *Service) event(actor, action, recordType, recordID, outcome string) audit.Event {
	return audit.Event{At: s.now(), Actor: actor, Action: action, RecordType: recordType, RecordID: recordID, Outcome: outcome}
}

// staffEvent appends an audit event about a staff member.
func (s *Service) staffEvent(ctx context.Context, tx Tx, actor, action, staffID, outcome string) error {
	return tx.AppendAudit(ctx, s.event(actor, action, recordStaff, staffID, outcome))
}
