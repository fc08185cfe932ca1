package backup

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
)

// File names in the data directory that a backup carries.
const (
	settingsFile = "cityid.toml"
	keyringFile  = "signing-keys.json"
	dbFile       = "cityid.db"
)

// Source is what Make backs up.
type Source struct {
	DataDir string
	DB      *store.DB
	Keys    *Keys
	Now     func() time.Time
	// Progress, when set, is told the stage and how many rows (dump) or
	// bytes (copy) are done so far.
	Progress func(stage string, done int64)
	Log      *slog.Logger
}

func (s *Source) progress(stage string, n int64) {
	if s.Progress != nil {
		s.Progress(stage, n)
	}
}

const systemActor = "system"

// ExpireKeys destroys the backup keys whose backups are past their
// retention at now, with an audit event each ("backup.key_destroyed"). The
// server's housekeeping and every backup call it.
func ExpireKeys(ctx context.Context, db *store.DB, keys *Keys, now time.Time) ([]string, error) {
	gone, err := keys.Expire(now)
	if err != nil {
		return nil, err
	}
	for _, p := range gone {
		if err := appendAudit(ctx, db, now, "backup.key_destroyed", "backup_key", p, ""); err != nil {
			return gone, err
		}
	}
	return gone, nil
}

func appendAudit(ctx context.Context, db *store.DB, at time.Time, action, recordType, recordID, purpose string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AppendAudit(ctx, audit.Event{At: at.UTC(), Actor: systemActor, Action: action, RecordType: recordType, RecordID: recordID, Purpose: purpose})
	})
}

// Make writes an encrypted backup to out (which must not exist), then
// reads it back whole with the key and checks it (every part's hash, the
// SQLite file's integrity and every table's row count) before giving it
// its name. A failure leaves no file at out.
func Make(ctx context.Context, src Source, out string) (Manifest, error) {
	if src.Now == nil {
		src.Now = time.Now
	}
	if src.Log == nil {
		src.Log = slog.New(slog.DiscardHandler)
	}
	now := src.Now().UTC()
	if _, err := os.Stat(out); err == nil {
		return Manifest{}, fmt.Errorf("%s exists: a backup never overwrites a file", out)
	}
	if _, err := ExpireKeys(ctx, src.DB, src.Keys, now); err != nil {
		return Manifest{}, err
	}
	key, created, err := src.Keys.Current(now)
	if err != nil {
		return Manifest{}, err
	}
	if created {
		if err := appendAudit(ctx, src.DB, now, "backup.key_created", "backup_key", key.Period, ""); err != nil {
			return Manifest{}, err
		}
	}
	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(partial)
		}
	}()
	w, err := newWriter(f, key)
	if err != nil {
		return Manifest{}, err
	}
	w.manifest.CreatedAt = now
	w.manifest.Dialect = string(src.DB.Dialect())
	for _, name := range []string{settingsFile, keyringFile} {
		if err := addFile(w, filepath.Join(src.DataDir, name), name, now); err != nil {
			return Manifest{}, err
		}
	}
	if err := addDatabase(ctx, &src, w, now); err != nil {
		return Manifest{}, err
	}
	if err := w.close(now); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	// Read it back as a restore would, before calling it a backup.
	stage, err := os.MkdirTemp(src.DataDir, ".backup-verify-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(stage)
	m, err := extract(ctx, partial, src.Keys, stage, func(n int64) { src.progress("verifying", n) })
	if err != nil {
		return Manifest{}, fmt.Errorf("backup verification failed: %w", err)
	}
	if err := os.Rename(partial, out); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	ok = true
	if err := appendAudit(ctx, src.DB, src.Now(), "backup.made", "backup_key", key.Period, ""); err != nil {
		return m, err
	}
	return m, nil
}

// addFile adds a data-directory file when it exists.
func addFile(w *writer, path, name string, at time.Time) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return w.part(name, st.Size(), f, at)
}

// addDatabase adds the database: a VACUUM INTO copy of SQLite, or a
// logical dump of PostgreSQL from one snapshot. Either is written to a
// temporary file in the data directory (it holds only what the database
// holds: sealed data) and removed after.
func addDatabase(ctx context.Context, src *Source, w *writer, at time.Time) error {
	tmp, err := os.MkdirTemp(src.DataDir, ".backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	check, err := src.DB.Meta(ctx, "kek_check")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	w.manifest.KeyCheck = hex.EncodeToString(check)
	var path, name string
	switch src.DB.Dialect() {
	case store.SQLite:
		path, name = filepath.Join(tmp, dbFile), partSQLite
		src.progress("copying the database", 0)
		if err := src.DB.SnapshotSQLite(ctx, path); err != nil {
			return err
		}
		snap, err := store.Open(ctx, path)
		if err != nil {
			return fmt.Errorf("backup: open the copy: %w", err)
		}
		w.manifest.Rows, w.manifest.SchemaVersion, err = countRows(ctx, snap)
		if cerr := snap.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	default:
		path, name = filepath.Join(tmp, "dump.jsonl.gz"), partDump
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		dw := newDumpWriter(f)
		var n int64
		counted := &countingDump{dumpWriter: dw, n: &n, progress: func(n int64) { src.progress("dumping rows", n) }}
		ver, err := src.DB.Dump(ctx, counted)
		if err == nil {
			err = dw.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		w.manifest.Rows, w.manifest.SchemaVersion = dw.rows, ver
	}
	w.manifest.AuditEvents = w.manifest.Rows["audit_events"]
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pr := &progressReader{r: f, fn: func(n int64) { src.progress("encrypting", n) }}
	return w.part(name, st.Size(), pr, at)
}

// countRows counts every table's rows and reads the schema version.
func countRows(ctx context.Context, db *store.DB) (map[string]int, int, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]int{}
	ver := 0
	for _, t := range tables {
		n, err := db.CountRows(ctx, t)
		if err != nil {
			return nil, 0, err
		}
		if t == "schema_migrations" {
			ver = n // versions are contiguous from 1
			continue
		}
		out[t] = n
	}
	return out, ver, nil
}

type countingDump struct {
	*dumpWriter
	n        *int64
	progress func(int64)
}

func (c *countingDump) Row(v []any) error {
	*c.n++
	if *c.n%5000 == 0 {
		c.progress(*c.n)
	}
	return c.dumpWriter.Row(v)
}

type progressReader struct {
	r    io.Reader
	n    int64
	last int64
	fn   func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 4<<20 || err == io.EOF {
		p.last = p.n
		p.fn(p.n)
	}
	return n, err
}

// extract reads a backup whole into dir (the parts under their names) and
// checks it: hashes and manifest, then the database part — SQLite's
// integrity check and row counts, or the dump's row counts. Nothing is
// trusted before it returns nil.
func extract(ctx context.Context, path string, keys *Keys, dir string, progress func(int64)) (Manifest, error) {
	in, err := os.Open(path)
	if err != nil {
		return Manifest{}, err
	}
	defer in.Close()
	m, err := read(in, keys, func(name string, r io.Reader) error {
		switch name {
		case partSettings, partKeyring, partSQLite, partDump:
		default:
			return fmt.Errorf("%w: unknown part %q", ErrDamaged, name)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, &progressReader{r: r, fn: progress})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return Manifest{}, err
	}
	var rows map[string]int
	switch m.Dialect {
	case string(store.SQLite):
		p := filepath.Join(dir, partSQLite)
		db, err := store.Open(ctx, p)
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: the database copy does not open: %v", ErrDamaged, err)
		}
		err = db.IntegrityCheck(ctx)
		if err == nil {
			rows, _, err = countRows(ctx, db)
		}
		db.Close()
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
	case string(store.Postgres):
		f, err := os.Open(filepath.Join(dir, partDump))
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: no database dump", ErrDamaged)
		}
		defer f.Close()
		dr, err := newDumpReader(f)
		if err != nil {
			return Manifest{}, err
		}
		for {
			if _, _, err := dr.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return Manifest{}, err
			}
			for {
				if _, err := dr.Row(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					return Manifest{}, err
				}
			}
		}
		rows = dr.rows
	default:
		return Manifest{}, fmt.Errorf("%w: unknown database kind %q", ErrDamaged, m.Dialect)
	}
	for t, want := range m.Rows {
		if rows[t] != want {
			return Manifest{}, fmt.Errorf("%w: table %s has %d rows, the manifest says %d", ErrDamaged, t, rows[t], want)
		}
	}
	return m, nil
}
