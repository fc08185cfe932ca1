package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/masterkey"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// withDefaults fills in what o leaves empty.
func (o Options) withDefaults() Options {
	if o.DataDir == "" {
		o.DataDir = "cityid-data"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// dsn is the database o names: DBURL, or the SQLite file in the data directory.
func (o Options) dsn() string {
	if o.DBURL != "" {
		return o.DBURL
	}
	return filepath.Join(o.DataDir, DBFile)
}

// KeySource is where o's master key set comes from: o.MasterKey, or the
// key file in the data directory.
func (o Options) KeySource() vault.KeySource {
	if o.MasterKey != nil {
		return o.MasterKey
	}
	return vault.KeyFile{Path: filepath.Join(o.withDefaults().DataDir, KeyFile)}
}

// Migrate creates or upgrades the schema of the database o names, without
// opening the keys (several app servers share one PostgreSQL database: one
// migrates first). It returns the version before and the versions applied.
func Migrate(ctx context.Context, o Options) (before int, applied []int, err error) {
	db, err := store.Open(ctx, o.withDefaults().dsn())
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	if before, err = db.CurrentVersion(ctx); err != nil {
		return 0, nil, err
	}
	applied, err = db.Migrate(ctx)
	return before, applied, err
}

// RotateMasterKey rewraps every data key of the data directory o names
// under a new master key (see package masterkey); run it again after an
// interruption to continue. The key source must be a vault.KeyRotator
// (the key file is). A rotation interrupted after the database switched
// keys no longer opens with the current key: then it is finished with the
// pending one.
func RotateMasterKey(ctx context.Context, o Options, ro masterkey.Options) (masterkey.Status, error) {
	o = o.withDefaults()
	keys, ok := o.KeySource().(vault.KeyRotator)
	if !ok {
		return masterkey.Status{}, fmt.Errorf("the master key from %s cannot be rotated in place", o.KeySource())
	}
	keyring := filepath.Join(o.DataDir, signing.KeyringFile)
	a, err := Open(ctx, o)
	if errors.Is(err, vault.ErrWrongKey) {
		return finishRotation(ctx, o, keys, keyring)
	}
	if err != nil {
		return masterkey.Status{}, err
	}
	defer a.Close()
	r := masterkey.Rotation{Store: a.DB.MasterKey(), Vault: a.Vault, Current: a.Keys, Keys: keys,
		Keyring: keyring, Rand: o.Rand, Options: ro}
	return r.Run(ctx)
}

// finishRotation swaps the key files of a rotation whose database already
// answers to the pending key.
func finishRotation(ctx context.Context, o Options, keys vault.KeyRotator, keyring string) (masterkey.Status, error) {
	db, err := store.Open(ctx, o.dsn())
	if err != nil {
		return masterkey.Status{}, err
	}
	defer db.Close()
	stored, err := db.Meta(ctx, masterkey.CheckMeta)
	if err != nil {
		return masterkey.Status{}, err
	}
	return masterkey.Finish(stored, keys, keyring, o.Rand)
}
