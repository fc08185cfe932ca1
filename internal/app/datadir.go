package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/credential/hsm"
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
// key file in the data directory. A key file that has been wrapped by the
// PKCS#11 token (`cityid keys wrap-master`: PATH.wrapped beside where PATH
// was) is read through the token the environment configures.
func (o Options) KeySource() vault.KeySource {
	src := o.MasterKey
	if src == nil {
		src = o.plainKeyFile()
	}
	if f, ok := src.(vault.KeyFile); ok {
		if _, err := os.Lstat(f.Path + vault.WrappedSuffix); err == nil {
			return vault.WrappedKeyFile{Path: f.Path + vault.WrappedSuffix, Wrapper: tokenWrapper(false)}
		}
	}
	return src
}

// plainKeyFile is the key file o names: o.MasterKey when it is one, else
// DataDir/master.key.
func (o Options) plainKeyFile() vault.KeyFile {
	if f, ok := o.MasterKey.(vault.KeyFile); ok {
		return f
	}
	return vault.KeyFile{Path: filepath.Join(o.withDefaults().DataDir, KeyFile)}
}

// tokenWrapper wraps the master key with the token the environment
// configures (hsm.EnvModule, hsm.EnvToken, the PIN file): with create, the
// wrapping key (hsm.EnvWrapKey) is generated there when missing.
func tokenWrapper(create bool) hsm.KeyWrapper {
	cfg, err := hsm.ConfigFromEnv(os.Getenv)
	label := os.Getenv(hsm.EnvWrapKey)
	if label == "" {
		label = hsm.DefaultWrapKey
	}
	return hsm.KeyWrapper{Config: cfg, ConfigErr: err, Label: label, Create: create}
}

// WrapStatus is what WrapMasterKey did.
type WrapStatus struct {
	Wrapped string `json:"wrapped"`           // the wrapped key file
	Removed string `json:"removed,omitempty"` // the plain key file it replaced
	From    string `json:"from_key,omitempty"`
	To      string `json:"to_key"` // the token key that wraps it now
}

// WrapMasterKey moves the master key of the data directory o names onto
// the PKCS#11 token: the key file (DataDir/master.key or --master-key-file)
// becomes PATH.wrapped, sealed by an AES key generated on the token, and the
// plain file is removed once the wrapped one has been read back through the
// token (vault.WrappedKeyFile.Adopt: crash-safe, run it again after an
// interruption). A key already wrapped is wrapped again with the token key
// hsm.EnvWrapKey names (rotating the wrapping key). The key is first checked
// against the database, so only the key that opens it is wrapped.
func WrapMasterKey(ctx context.Context, o Options) (WrapStatus, error) {
	o = o.withDefaults()
	if o.MasterKey != nil {
		if _, ok := o.MasterKey.(vault.KeyFile); !ok {
			return WrapStatus{}, fmt.Errorf("the master key from %s is not a key file: wrap the file it comes from (--master-key-file PATH)", o.MasterKey)
		}
	}
	a, err := Open(ctx, o)
	if err != nil {
		return WrapStatus{}, err
	}
	a.Close()
	plain := o.plainKeyFile()
	w := vault.WrappedKeyFile{Path: plain.Path + vault.WrappedSuffix, Wrapper: tokenWrapper(true)}
	if _, err := os.Lstat(plain.Path); errors.Is(err, fs.ErrNotExist) {
		from, to, err := w.Rewrap()
		return WrapStatus{Wrapped: w.Path, From: from, To: to}, err
	}
	if err := w.Adopt(plain); err != nil {
		return WrapStatus{}, err
	}
	return WrapStatus{Wrapped: w.Path, Removed: plain.Path, To: tokenWrapper(true).Label}, nil
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
