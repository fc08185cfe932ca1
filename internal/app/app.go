// Package app opens a cityid data directory: settings, master key, database
// and the services built on them. Every subcommand that touches data goes
// through Open, so the checks (wrong key, unknown settings) happen once.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/intake"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/masterkey"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/throttle"
	"github.com/cityid/cityid/internal/vault"
)

// File names inside the data directory.
const (
	SettingsFile = "cityid.toml"
	KeyFile      = "master.key"
	DBFile       = "cityid.db"
)

// Options say where the data lives and what to inject.
type Options struct {
	DataDir string // default "./cityid-data"
	DBURL   string // "" = SQLite in DataDir; or postgres://…
	// Create makes the data directory, settings file and key file when
	// missing (serve, demo, migrate). Other commands refuse a missing dir.
	Create bool
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
	Auth   *auth.Options // nil = auth.DefaultOptions() adjusted by settings
	// MasterKey is where the master key set comes from; nil means the key
	// file DataDir/master.key (created with Create). See vault.KeySource.
	MasterKey vault.KeySource
	// Screening loads the duplicate-screening index (every pending
	// application and cardholder) and screens each submission (serve, demo).
	Screening bool
	// ScreenLater (with Screening) opens without loading the index: the
	// caller runs LoadScreening, in the background (serve), and until it
	// is loaded every submission goes to review as screening pending.
	ScreenLater bool
}

// App is an opened data directory and its services.
type App struct {
	DataDir  string
	Settings config.Settings
	// Location is the program's time zone (settings program.time_zone),
	// loaded once: calendar days (ages, fees, expiry) are judged in it.
	Location *time.Location
	DB       *store.DB
	Keys     *vault.Keys
	Vault    *vault.Vault
	Auth     *auth.Service
	Enroll   *enroll.Service
	Sites    *site.Service
	Screener *dedup.Screener  // nil unless Options.Screening
	Keyring  *signing.Keyring // credential signing keys; nil when the data dir has none and Create is false
	Cards    *card.Service    // nil when Keyring is nil
	Field    *intake.Service  // field stations: enrolment and packet import
	I18n     *i18n.Bundle
	Now      func() time.Time
	Rand     io.Reader
	Log      *slog.Logger
	// Created reports what Open made: true for a fresh data directory.
	Created bool
	// Services are the domain services for the HTTP surfaces, built once.
	Services *Services

	hsm       interface{ Close() error } // the PKCS#11 session, when an HSM signs cards
	published card.Keyring               // the keys cards are signed with (file or HSM)
}

// ErrNoDataDir means the data directory does not exist and Create was false.
var ErrNoDataDir = errors.New("data directory not found")

// Open opens (and with Create, initializes) the data directory.
func Open(ctx context.Context, o Options) (*App, error) {
	o = o.withDefaults()
	a := &App{DataDir: o.DataDir, Now: o.Now, Rand: o.Rand, Log: o.Logger}
	if _, err := os.Stat(o.DataDir); errors.Is(err, fs.ErrNotExist) {
		if !o.Create {
			return nil, fmt.Errorf("%s: %w (run 'cityid serve' once to create it, or pass --data DIR)", o.DataDir, ErrNoDataDir)
		}
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		a.Created = true
	}

	settingsPath := filepath.Join(o.DataDir, SettingsFile)
	if _, err := os.Stat(settingsPath); errors.Is(err, fs.ErrNotExist) && o.Create {
		if err := config.WriteDefault(settingsPath); err != nil {
			return nil, fmt.Errorf("write default settings: %w", err)
		}
	}
	settings, err := config.Load(settingsPath)
	if err != nil {
		return nil, err
	}
	a.Settings = settings
	if a.Location, err = time.LoadLocation(settings.Program.TimeZone); err != nil {
		return nil, fmt.Errorf("program.time_zone: %w", err)
	}

	db, err := store.Open(ctx, o.dsn())
	if err != nil {
		return nil, err
	}
	a.DB = db
	if err := a.openKeys(ctx, o); err != nil {
		db.Close()
		return nil, err
	}

	bundle, err := i18n.Load()
	if err != nil {
		db.Close()
		return nil, err
	}
	a.I18n = bundle
	ao := auth.OptionsFrom(settings)
	if o.Auth != nil {
		ao = *o.Auth
	}
	if db.Dialect() == store.Postgres && ao.Shared == nil {
		// Several app servers share one database: the per-address login
		// limits live there, so ten bad logins cost ten on every server.
		ao.Shared = db
	}
	a.Auth = auth.NewService(db.Auth(), a.Vault, ao, o.Now, o.Rand)
	a.Enroll = enroll.New(db.Enroll(), a.Vault, settings, o.Now, o.Rand)
	a.Sites = site.New(db.SiteStorage(), o.Now, o.Rand)
	if err := a.openCards(o); err != nil {
		db.Close()
		return nil, err
	}
	if o.Screening {
		sc, err := dedup.New(settings.Linkage, db, a.Keys.MatchKey())
		if err != nil {
			db.Close()
			return nil, err
		}
		// Start from the job leader's sealed snapshot when there is a
		// usable one (internal/dedup/snapshot.go).
		sc.UseSnapshots(a.Vault, o.Now, o.Rand)
		a.Screener = sc
		if o.ScreenLater {
			sc.SetLoading()
		} else if err := a.LoadScreening(ctx); err != nil {
			db.Close()
			return nil, err
		}
		a.Enroll.SetScreener(sc)
	}
	a.openField()
	if a.Services, err = a.services(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// LoadScreening loads the duplicate-screening index (from a snapshot, or
// rebuilt from the database) and logs how (counts and ids only).
func (a *App) LoadScreening(ctx context.Context) error {
	st, err := a.Screener.Load(ctx, a.Enroll)
	if err != nil {
		return err
	}
	if st.Rebuilt != "" {
		a.Log.Info("duplicate screening index rebuilt from the database, not from a snapshot", "reason", st.Rebuilt)
	}
	a.Log.Info("duplicate screening index loaded", "records", st.Records, "memory_mb", st.MemoryBytes>>20, "seconds", st.Duration.Seconds(),
		"model_version", st.ModelVersion, "snapshot", st.Snapshot, "replayed", st.Replayed)
	if st.ModelWarning != "" {
		a.Log.Warn("duplicate screening model", "warning", st.ModelWarning)
	}
	return nil
}

// openKeys migrates the schema, loads the master key (creating it for a new
// database only) and checks it against the key check value stored at the
// first start, so a wrong or missing key is a clear error, never garbage data.
func (a *App) openKeys(ctx context.Context, o Options) error {
	if _, err := a.DB.Migrate(ctx); err != nil {
		return err
	}
	src := o.KeySource()
	keys, err := src.LoadKeys()
	if errors.Is(err, fs.ErrNotExist) {
		sealed, serr := masterkey.Sealed(ctx, a.DB.MasterKey())
		if serr != nil {
			return serr
		}
		if sealed {
			return fmt.Errorf("master key %s is missing but the database holds data sealed with it: restore the key file from your key backup (a new key cannot read existing data)", src)
		}
		creator, ok := src.(vault.KeyCreator)
		if !o.Create || !ok {
			return fmt.Errorf("master key %s is missing", src)
		}
		if err := creator.CreateKeys(o.Rand); err != nil {
			return fmt.Errorf("create master key: %w", err)
		}
		o.Logger.Info("created master key", "path", src.String())
		keys, err = src.LoadKeys()
	}
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if w, ok := src.(vault.WrappedKeyFile); ok {
		if plain := o.plainKeyFile().Path; fileExists(plain) {
			o.Logger.Warn("the plain master key file is still there beside the wrapped one: run 'cityid keys wrap-master' again to remove it", "path", plain, "wrapped", w.Path)
		}
	}
	a.Keys = keys
	a.Vault = vault.New(keys.KEK(), keys.IndexKey(), o.Rand)
	if err := masterkey.Verify(ctx, a.DB.MasterKey(), a.Vault); err != nil {
		return fmt.Errorf("the master key in %s does not match this database (%w); restore the right key file or point --data/--db at the matching database", src, err)
	}
	return nil
}

// cardValidity is how long a retired signing key stays published: the
// longest card lifetime in the settings.
func cardValidity(s config.Settings) time.Duration {
	years := max(s.Card.ValidityYears, s.Card.ChildValidityYears, 1)
	return time.Duration(years)*365*24*time.Hour + 366*24*time.Hour
}

// openCards opens the credential signing keyring (sealed under a key derived
// from the master key) and the card service. A new data directory gets its
// first signing key.
func (a *App) openCards(o Options) error {
	path := filepath.Join(a.DataDir, signing.KeyringFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !o.Create {
		return nil
	}
	unlock, err := masterkey.KeyringUnlock(a.Keys)
	if err != nil {
		return err
	}
	kr, err := signing.OpenKeyring(path, unlock, a.Rand, a.Now)
	if err != nil {
		return fmt.Errorf("signing keyring %s: %w", path, err)
	}
	if len(kr.Keys()) == 0 {
		if _, err := kr.Rotate(a.Rand, signing.ES256, cardValidity(a.Settings)); err != nil {
			return fmt.Errorf("create the first signing key: %w", err)
		}
		a.Log.Info("created the first credential signing key", "path", path)
	}
	var seal []byte
	if p := a.Settings.Card.SealImage; p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(a.DataDir, p)
		}
		if seal, err = os.ReadFile(p); err != nil {
			return fmt.Errorf("card.seal_image: %w", err)
		}
	}
	var keys card.Keyring = kr
	hk, err := a.openHSM(kr, o.Create)
	if err != nil {
		return err
	}
	if hk != nil {
		keys = hk
	}
	cards, err := card.New(a.DB.Cards(), a.Enroll, keys, a.I18n, a.Settings, card.Options{Now: a.Now, Rand: a.Rand, Seal: seal})
	if err != nil {
		return err
	}
	a.Keyring, a.Cards, a.published = kr, cards, keys
	return nil
}

// openField builds field-station enrolment and packet import; an approved
// station gets the program's published signing keys.
func (a *App) openField() {
	opt := intake.Options{StaleDays: a.Settings.Field.StaleDays, QuarantineDays: a.Settings.Field.QuarantineDays,
		RetiredKeyDays: a.Settings.Field.RetiredKeyDays, Location: a.Location}
	if a.published != nil {
		keys := a.published
		opt.SigningKeys = func() (json.RawMessage, error) {
			set, err := keys.Published()
			if err != nil {
				return nil, err
			}
			return set.MarshalJWKS()
		}
	}
	a.Field = intake.New(a.DB.Field(), a.Vault, a.Enroll, opt, a.Now, a.Rand)
}

// Today is the program's calendar day (settings program.time_zone), the day
// intake judges ages and document dates by; UTC's day differs in the evening.
func (a *App) Today() person.Date { return person.DateOf(a.Now().In(a.Location)) }

// Close ends the background work that reads the database (the
// dashboard's count scans) and releases the database.
// It is safe to call more than once.
func (a *App) Close() error {
	if a.Enroll != nil {
		a.Enroll.Close()
	}
	if a.hsm != nil {
		a.hsm.Close()
		a.hsm = nil
	}
	if a.DB == nil {
		return nil
	}
	db := a.DB
	a.DB = nil
	return db.Close()
}

// ShareLimit keeps l's buckets in the database under name when several app
// servers may share it (PostgreSQL), so the limit holds across servers;
// on SQLite (one server) it does nothing. Keys are stored as keyed hashes
// (a client address or token id is never written).
func (a *App) ShareLimit(l *throttle.Limiter, name string) {
	if a.DB.Dialect() != store.Postgres {
		return
	}
	l.Share(a.DB, name, func(key string) []byte { return a.Vault.BlindIndex("throttle."+name, key) })
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
