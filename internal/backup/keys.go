// Package backup writes and restores encrypted, verified backups that
// forget: every backup is encrypted (age, X25519) to the key of the period
// it was made in, and the key is destroyed once backups of that period are
// past their retention, so a purge reaches old backups too.
//
// A backup holds the database as it is (personal data sealed under each
// person's data key, wrapped by the master key) plus the settings file and
// the sealed signing keyring; never the master key or the backup keys.
package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"filippo.io/age"
)

// KeysFile is the backup key file's name in the data directory.
const KeysFile = "backup-keys.json"

// Periods say how long a backup key encrypts new backups and how long its
// backups may be opened after that.
type Periods struct {
	// KeyDays: a new key every KeyDays days (periods are aligned on the
	// Unix epoch, in UTC, so every server computes the same ones).
	KeyDays int
	// KeepDays: a period's key is destroyed KeepDays days after the period
	// ends (plus Margin): its backups can no longer be opened.
	KeepDays int
	// Margin is added to every destruction time (24 h by default), the
	// purge's safety margin.
	Margin time.Duration
}

func (p Periods) withDefaults() Periods {
	if p.KeyDays <= 0 {
		p.KeyDays = 7
	}
	if p.KeepDays <= 0 {
		p.KeepDays = 28
	}
	if p.Margin <= 0 {
		p.Margin = 24 * time.Hour
	}
	return p
}

// period returns the id, start and end of the period holding t.
func (p Periods) period(t time.Time) (string, time.Time, time.Time) {
	days := t.UTC().Unix() / 86400
	startDay := days - days%int64(p.KeyDays)
	start := time.Unix(startDay*86400, 0).UTC()
	end := start.AddDate(0, 0, p.KeyDays)
	return "p" + start.Format("20060102"), start, end
}

// Key is one period's key as kept in the key file.
type Key struct {
	Period       string    `json:"period"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	DestroyAfter time.Time `json:"destroy_after"`
	Recipient    string    `json:"recipient"` // public: backups are encrypted to it
	Identity     string    `json:"identity"`  // secret: opens them
}

// Destroyed records a key that no longer exists (no secret left).
type Destroyed struct {
	Period      string    `json:"period"`
	DestroyedAt time.Time `json:"destroyed_at"`
}

type keyFile struct {
	Version   int         `json:"version"`
	Keys      []Key       `json:"keys"`
	Destroyed []Destroyed `json:"destroyed"`
}

// Keys is the backup key file of a data directory. It is a secret like
// master.key: mode 0600, never inside a backup. Not safe for concurrent
// use by several processes (run backups from one host).
type Keys struct {
	path string
	p    Periods
	f    keyFile
}

// Errors callers check with errors.Is.
var (
	ErrKeyDestroyed = errors.New("the backup key of this period was destroyed")
	ErrNoKey        = errors.New("no backup key for this period in the key file")
)

// OpenKeys reads the key file at path (an absent file is an empty ring).
func OpenKeys(path string, p Periods) (*Keys, error) {
	k := &Keys{path: path, p: p.withDefaults(), f: keyFile{Version: 1}}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("backup keys %s: readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backup keys: %w", err)
	}
	if err := json.Unmarshal(b, &k.f); err != nil {
		return nil, fmt.Errorf("backup keys %s: not a backup key file: %w", path, err)
	}
	return k, nil
}

// Periods returns the periods in force.
func (k *Keys) Periods() Periods { return k.p }

// Current returns the key of the period holding now, creating it (and
// saving the file) when the period has none yet. created reports that.
// The key pair comes from crypto/rand (age makes it; it takes no reader).
func (k *Keys) Current(now time.Time) (key Key, created bool, err error) {
	id, start, end := k.p.period(now)
	for _, c := range k.f.Keys {
		if c.Period == id {
			return c, false, nil
		}
	}
	if _, gone := k.destroyed(id); gone {
		return Key{}, false, fmt.Errorf("period %s: %w", id, ErrKeyDestroyed)
	}
	id2, err := age.GenerateX25519Identity()
	if err != nil {
		return Key{}, false, fmt.Errorf("backup key: %w", err)
	}
	key = Key{Period: id, Start: start, End: end, DestroyAfter: end.AddDate(0, 0, k.p.KeepDays).Add(k.p.Margin),
		Recipient: id2.Recipient().String(), Identity: id2.String()}
	k.f.Keys = append(k.f.Keys, key)
	if err := k.save(); err != nil {
		k.f.Keys = k.f.Keys[:len(k.f.Keys)-1]
		return Key{}, false, err
	}
	return key, true, nil
}

// Expire destroys every key whose backups are past their retention at now
// and returns the periods destroyed. The secret is gone from the file (the
// file is rewritten and renamed over the old one); only the period id and
// the time of destruction remain.
func (k *Keys) Expire(now time.Time) ([]string, error) {
	var keep []Key
	var gone []string
	for _, c := range k.f.Keys {
		if now.Before(c.DestroyAfter) {
			keep = append(keep, c)
			continue
		}
		gone = append(gone, c.Period)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	old := k.f
	k.f.Keys = keep
	k.f.Destroyed = slices.Clone(k.f.Destroyed)
	for _, p := range gone {
		k.f.Destroyed = append(k.f.Destroyed, Destroyed{Period: p, DestroyedAt: now.UTC()})
	}
	if err := k.save(); err != nil {
		k.f = old
		return nil, err
	}
	return gone, nil
}

// Identity returns the secret key of period id.
func (k *Keys) Identity(id string) (age.Identity, error) {
	for _, c := range k.f.Keys {
		if c.Period == id {
			ident, err := age.ParseX25519Identity(c.Identity)
			if err != nil {
				return nil, fmt.Errorf("backup key %s: %w", id, err)
			}
			return ident, nil
		}
	}
	if d, gone := k.destroyed(id); gone {
		return nil, fmt.Errorf("period %s, key destroyed %s: %w", id, d.DestroyedAt.Format(time.RFC3339), ErrKeyDestroyed)
	}
	return nil, fmt.Errorf("period %s: %w", id, ErrNoKey)
}

// List returns the live keys' periods and when each will be destroyed.
func (k *Keys) List() []Key {
	out := make([]Key, len(k.f.Keys))
	for i, c := range k.f.Keys {
		c.Identity = ""
		out[i] = c
	}
	return out
}

func (k *Keys) destroyed(id string) (Destroyed, bool) {
	for _, d := range k.f.Destroyed {
		if d.Period == id {
			return d, true
		}
	}
	return Destroyed{}, false
}

// save writes the file atomically: a new file, synced, renamed over the
// old one, and the directory synced, so a crash leaves the old or the new
// file whole.
func (k *Keys) save() error {
	b, err := json.MarshalIndent(k.f, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(k.path)
	tmp, err := os.CreateTemp(dir, ".backup-keys-*")
	if err != nil {
		return fmt.Errorf("backup keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("backup keys: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("backup keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("backup keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), k.path); err != nil {
		return fmt.Errorf("backup keys: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
