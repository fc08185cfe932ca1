package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// Target is where Restore puts a backup: a data directory holding the
// master key (from the key custodian: backups never carry it) and the
// backup key file, and SQLite in it or a PostgreSQL database.
type Target struct {
	DataDir string
	DBURL   string // "" = SQLite in DataDir
	Keys    *Keys
	// MasterKey is where the master key comes from; nil means
	// DataDir/master.key.
	MasterKey vault.KeySource
	// Force restores over a database that holds data (and replaces a
	// settings file or signing keyring that differs from the backup's).
	Force    bool
	Progress func(stage string, done int64)
}

func (t *Target) progress(stage string, n int64) {
	if t.Progress != nil {
		t.Progress(stage, n)
	}
}

// Restore checks a backup whole, then brings it back into the target. It
// refuses — before changing anything — a backup it cannot open (wrong or
// destroyed key), a damaged or altered one, a master key that does not
// match, and a target database that holds data unless Force is set.
// Checking the restored system (audit chain, cards) is the caller's next
// step (see Check).
func Restore(ctx context.Context, in string, t Target) (Manifest, error) {
	stage, err := os.MkdirTemp(t.DataDir, ".restore-")
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(stage)
	m, err := extract(ctx, in, t.Keys, stage, func(n int64) { t.progress("decrypting and checking", n) })
	if err != nil {
		return Manifest{}, err
	}
	if err := checkMasterKey(t, m); err != nil {
		return Manifest{}, err
	}
	pg := t.DBURL != ""
	if pg != (m.Dialect == string(store.Postgres)) {
		return Manifest{}, fmt.Errorf("restore: the backup is of a %s database; restore it into the same kind", m.Dialect)
	}
	// Files that already exist must match, or be replaced only with Force.
	for _, name := range []string{settingsFile, keyringFile} {
		if err := checkFile(filepath.Join(stage, name), filepath.Join(t.DataDir, name), t.Force); err != nil {
			return Manifest{}, err
		}
	}
	if pg {
		db, err := store.Open(ctx, t.DBURL)
		if err != nil {
			return Manifest{}, err
		}
		defer db.Close()
		f, err := os.Open(filepath.Join(stage, partDump))
		if err != nil {
			return Manifest{}, err
		}
		defer f.Close()
		dr, err := newDumpReader(f)
		if err != nil {
			return Manifest{}, err
		}
		err = db.Load(ctx, m.SchemaVersion, dr, store.LoadOptions{Replace: t.Force, Progress: func(n int64) {
			if n%5000 < 200 {
				t.progress("loading rows", n)
			}
		}})
		if errors.Is(err, store.ErrNotEmpty) {
			return Manifest{}, fmt.Errorf("restore: %w: pass --force to replace what it holds", err)
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("restore: %w", err)
		}
	} else {
		if err := placeSQLite(ctx, filepath.Join(stage, partSQLite), filepath.Join(t.DataDir, dbFile), t.Force); err != nil {
			return Manifest{}, err
		}
	}
	for _, name := range []string{settingsFile, keyringFile} {
		if err := placeFile(filepath.Join(stage, name), filepath.Join(t.DataDir, name)); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

// checkMasterKey refuses a master key that does not open the backup.
func checkMasterKey(t Target, m Manifest) error {
	src := t.MasterKey
	if src == nil {
		src = vault.KeyFile{Path: filepath.Join(t.DataDir, "master.key")}
	}
	keys, err := src.LoadKeys()
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %s is missing: copy the master key from your key backup there first (backups never hold it)", src)
	}
	if err != nil {
		return fmt.Errorf("restore: master key: %w", err)
	}
	stored, err := hex.DecodeString(m.KeyCheck)
	if err != nil {
		return fmt.Errorf("%w: key check value", ErrDamaged)
	}
	if err := vault.New(keys.KEK(), keys.IndexKey(), rand.Reader).VerifyCheck(stored); err != nil {
		return fmt.Errorf("restore: the master key in %s does not match the backup (%w): use the key the backed-up system ran with", src, err)
	}
	return nil
}

// checkFile allows placing staged over dest when dest is absent or equal,
// or when force is set.
func checkFile(staged, dest string, force bool) error {
	want, err := os.ReadFile(staged)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	have, err := os.ReadFile(dest)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && bytes.Equal(have, want)) {
		return nil
	}
	if err != nil {
		return err
	}
	if !force {
		return fmt.Errorf("restore: %s differs from the backup's copy: pass --force to replace it (the old one is kept as %s.pre-restore)", dest, filepath.Base(dest))
	}
	return nil
}

// placeFile moves a staged file into place, keeping a different existing
// one beside it.
func placeFile(staged, dest string) error {
	want, err := os.ReadFile(staged)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if have, err := os.ReadFile(dest); err == nil {
		if bytes.Equal(have, want) {
			return nil
		}
		if err := os.Rename(dest, dest+".pre-restore"); err != nil {
			return err
		}
	}
	return os.Rename(staged, dest)
}

// placeSQLite puts the checked database copy in place: over nothing, an
// empty database, or (force) one with data; the rename is atomic.
func placeSQLite(ctx context.Context, staged, dest string, force bool) error {
	if _, err := os.Stat(dest); err == nil {
		db, err := store.Open(ctx, dest)
		if err != nil {
			return fmt.Errorf("restore: the existing database: %w", err)
		}
		empty, err := db.Empty(ctx)
		db.Close()
		if err != nil {
			return err
		}
		if !empty && !force {
			return fmt.Errorf("restore: %s: %w: pass --force to replace it", dest, store.ErrNotEmpty)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dest + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(staged, dest); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}
