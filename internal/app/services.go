package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/cityid/cityid/internal/auditlog"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/cash"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/intake"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/retention"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/stats"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/wallet/present"
)

// Services are the domain services the HTTP surfaces (web, api, resident)
// are built on. Open builds them once. They hold no database handle, vault
// or key: a handler reaches personal data only through a service method
// that checks the actor and purpose and writes the audit event in the same
// transaction. The guard test in this package keeps it so.
type Services struct {
	// Settings points at the App's settings: one copy for the process.
	Settings *config.Settings
	// Location is the program's time zone (calendar days, ticket days).
	Location *time.Location
	I18n     *i18n.Bundle
	Now      func() time.Time
	Rand     io.Reader
	Log      *slog.Logger

	Auth         *auth.Service
	Applications *enroll.Service
	Preapps      *enroll.Preapps
	Booking      *booking.Service
	Sites        *site.Service
	Cards        *card.Service // nil when the data directory has no signing keyring
	Retention    *retention.Engine
	Audit        *auditlog.Reader
	Stats        *stats.Service
	// Cash is the end-of-day cash reconciliation (audited: it names clerks).
	Cash *cash.Service
	// Field is field-station enrolment and packet import.
	Field *intake.Service
	// Presentations asks residents' wallets for phone-credential claims
	// (OpenID4VP); nil when Cards is nil.
	Presentations *present.Verifier
	// Ready reports whether the database answers (readiness checks).
	Ready func(ctx context.Context) error
	// ScreeningLoading reports, while the duplicate-screening index is
	// still loading, how much of it is loaded (0–100); ok is false once it
	// is ready (or there is no screening). The dashboard says so.
	ScreeningLoading func() (percent int, ok bool)
	// Duplicates is the duplicate-screening model as administrators manage
	// it: its versions, re-estimation from reviewers' decisions, rollback.
	// Nil without screening.
	Duplicates *dedup.Screener

	// Guard is what the public pages need against abuse.
	Guard Guard
}

// Guard limits abuse of the public pages across app servers: keyed hashes
// (so client addresses and challenges are never stored in clear) and, when
// several servers share one PostgreSQL database, the shared tables.
type Guard struct {
	// Hash is a keyed hash under a key derived from the master key
	// (vault.BlindIndex): the same on every server, useless without the key.
	Hash func(purpose string, parts ...string) []byte
	// Limits backs rate limits in the database; nil keeps them per process
	// (SQLite: one server).
	Limits throttle.Backend
	// Challenges records spent proof-of-work challenges; nil keeps them
	// per process.
	Challenges ChallengeStore
}

// ChallengeStore remembers spent proof-of-work challenges until they expire;
// SpendChallenge reports false for one already spent.
type ChallengeStore interface {
	SpendChallenge(ctx context.Context, hash []byte, expires time.Time) (bool, error)
}

// ErrIndexLoading is the readiness check's answer, after ReadyAfterIndex,
// while the duplicate-screening index is still loading. Surfaces see only
// Services, so they recognise it by its Loading method, not by name.
var ErrIndexLoading error = indexLoading{}

type indexLoading struct{}

func (indexLoading) Error() string { return "the duplicate-screening index is still loading" }

// Loading says the server is starting, not broken.
func (indexLoading) Loading() bool { return true }

// ReadyAfterIndex makes the readiness check (/readyz) fail until the
// duplicate-screening index is loaded, then answer as the database does.
// Behind a proxy with several servers (serve --ready-after-index) a server
// that has just started gets no clerks until its index is loaded and its
// cores are theirs; the others serve meanwhile. A lone server is better
// ready early (the default): slower for its first seconds, never refusing.
func (a *App) ReadyAfterIndex() {
	sc := a.Screener
	if sc == nil || a.Services == nil {
		return
	}
	ping := a.Services.Ready
	a.Services.Ready = func(ctx context.Context) error {
		if !sc.Ready() {
			return ErrIndexLoading
		}
		return ping(ctx)
	}
}

// services builds a's Services from its opened parts.
func (a *App) services() (*Services, error) {
	ret, err := retention.New(a.DB, a.Vault, a.Keys.MatchKey(), retention.PolicyFrom(a.Settings.Retention),
		retention.Options{Now: a.Now, Rand: a.Rand})
	if err != nil {
		return nil, err
	}
	sv := &Services{Retention: ret,
		Settings: &a.Settings, Location: a.Location, I18n: a.I18n, Now: a.Now, Rand: a.Rand, Log: a.Log,
		Auth: a.Auth, Applications: a.Enroll, Preapps: a.Enroll.Preapps(),
		Booking: booking.New(a.DB, a.Location, a.Now, a.Rand),
		Sites:   a.Sites, Cards: a.Cards,
		Audit: auditlog.New(a.DB), Stats: stats.NewService(a.DB), Cash: cash.NewService(a.DB, a.Location, a.Now), Ready: a.DB.Ping,
		Guard: Guard{Hash: a.Vault.BlindIndex},
		Field: a.Field,
	}
	if sc := a.Screener; sc != nil {
		sv.Duplicates = sc
		sv.ScreeningLoading = func() (int, bool) {
			st := sc.State()
			if st.Ready {
				return 0, false
			}
			if st.Expected <= 0 {
				return 0, true
			}
			return int(min(100, st.Loaded*100/st.Expected)), true
		}
	}
	if a.DB.Dialect() == store.Postgres {
		sv.Guard.Limits, sv.Guard.Challenges = a.DB, a.DB
	}
	if a.Cards != nil {
		// Phone credentials are checked against the same keys and status
		// lists as the card, and counted with the card's counters.
		sv.Presentations = present.New(a.DB, present.SDJWT{Keys: a.Cards.PublishedKeys}, a.Cards.ListStatus, a.Cards.CountCheck,
			present.Options{Issuer: a.Settings.Program.IssuerURL, Now: a.Now, Rand: a.Rand})
	}
	return sv, nil
}

// Share keeps l's buckets in the shared table under name when several app
// servers share one PostgreSQL database, so one limit holds across them;
// keys are keyed hashes of the client key, never the key. On SQLite (one
// server) it does nothing.
func (g Guard) Share(l *throttle.Limiter, name string) {
	if g.Limits == nil {
		return
	}
	l.Share(g.Limits, name, func(key string) []byte { return g.Hash("throttle."+name, key) })
}
