// Package masterkey is the master key's life in a data directory: the
// check, at every start, that the key loaded is the one the database was
// sealed under; and rotation, which rewraps every data key under a new
// master key without re-encrypting any data.
//
// A rotation is crash-safe and resumable. The new key set is stored first
// (vault.KeyRotator: master.key.new beside master.key); persons' data keys
// are rewrapped in batches, each batch one transaction; then the data keys
// other services keep in the meta table and the key check value switch to
// the new key in one transaction, from whose commit on the database answers
// only to the new key; the signing keyring is re-sealed; and the key files
// are swapped, keeping the previous key as master.key.old. A run
// interrupted anywhere continues where it stopped when run again.
package masterkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/field/intake"
	"github.com/cityid/cityid/internal/vault"
)

// Store is the storage the master key's life needs; package store
// implements it (store.DB.MasterKey).
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	// CountWrappedKeys counts persons' data keys wrapped by kekID, or by
	// any other master key when other is true.
	CountWrappedKeys(ctx context.Context, kekID string, other bool) (int, error)
	// WrappedKeyBatch returns up to limit persons whose data key is
	// wrapped by a master key other than notKEK.
	WrappedKeyBatch(ctx context.Context, notKEK string, limit int) ([]enroll.PersonKey, error)
	// Meta reads a value of the meta table (errs.ErrNotFound when absent).
	Meta(ctx context.Context, key string) ([]byte, error)
	// Checkpoint folds SQLite's write-ahead log into the database file, so
	// pages written under the old key do not linger in it.
	Checkpoint(ctx context.Context) error
}

// Tx is a write transaction of the master key's life.
type Tx interface {
	// RewrapPerson replaces a person's wrapped data key if it is still old
	// (a key destroyed meanwhile by a purge stays destroyed).
	RewrapPerson(ctx context.Context, id string, old, wrapped []byte, kekID string) (bool, error)
	SetMeta(ctx context.Context, key string, value []byte) error
	// SetMetaIfAbsent stores value unless key exists, and returns the stored value.
	SetMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error)
}

// Meta keys: the key check value, and the data keys other services keep
// wrapped by the master key (besides persons').
const (
	CheckMeta = "kek_check"
	// checkpointKeyMeta is package checkpoint's signing-key record (JSON
	// with "wrapped" and "kek_id"); checkpoint cannot be imported here
	// while it still imports store.
	checkpointKeyMeta = "audit_checkpoint_key"
)

// ErrRetiredKey means the previous key set of an earlier rotation is still
// kept: back up the new key and delete the old one before rotating again.
var ErrRetiredKey = errors.New("the previous master key of an earlier rotation is still kept")

// Verify checks that v's master key is the one the database was sealed
// under, storing v's key check value when the database has none (a new
// database). A wrong key is an error wrapping vault.ErrWrongKey.
func Verify(ctx context.Context, st Store, v *vault.Vault) error {
	var stored []byte
	err := st.InTx(ctx, func(tx Tx) error {
		var err error
		stored, err = tx.SetMetaIfAbsent(ctx, CheckMeta, v.Check())
		return err
	})
	if err != nil {
		return err
	}
	return v.VerifyCheck(stored)
}

// Sealed reports whether the database holds data sealed under some master
// key (its key check value is stored): a missing key is then fatal, and a
// new one must not be made.
func Sealed(ctx context.Context, st Store) (bool, error) {
	_, err := st.Meta(ctx, CheckMeta)
	if errors.Is(err, errs.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Options tune a rotation.
type Options struct {
	Batch int // data keys per transaction; default 1000
	// Progress, when set, is called after each committed batch with the
	// data keys rewrapped by this run and the number it started with to do.
	Progress func(done, total int)
}

// Status is what a rotation did.
type Status struct {
	OldKEK    string `json:"old_kek"`
	NewKEK    string `json:"new_kek"`
	Before    int    `json:"already_rewrapped"` // data keys under the new key when this run started
	Rewrapped int    `json:"rewrapped"`         // by this run
	Finished  bool   `json:"finished"`
}

// Rotation is one (possibly resumed) master-key rotation of a data
// directory opened with its current key.
type Rotation struct {
	Store   Store
	Vault   *vault.Vault     // opens data keys under the current master key
	Current *vault.Keys      // the current key set
	Keys    vault.KeyRotator // where the current and pending key sets live
	Keyring string           // the signing keyring file, sealed under a key derived from the master key ("" or absent: none)
	Rand    io.Reader
	Options
}

// Run rotates (or continues rotating) to the pending key set.
func (r Rotation) Run(ctx context.Context) (Status, error) {
	if old, ok := r.Keys.Retired(); ok {
		return Status{}, fmt.Errorf("%s exists from an earlier rotation: back up %s, delete %s, then rotate again: %w", old, r.Keys, old, ErrRetiredKey)
	}
	if r.Batch <= 0 {
		r.Batch = 1000
	}
	newKeys, err := r.Keys.PendingKeys(r.Current, r.Rand)
	if err != nil {
		return Status{}, err
	}
	newKEK := newKeys.KEK()
	newVault := vault.New(newKEK, newKeys.IndexKey(), r.Rand)
	st := Status{OldKEK: r.Vault.KEKID(), NewKEK: newKEK.ID()}
	if st.Before, err = r.Store.CountWrappedKeys(ctx, st.NewKEK, false); err != nil {
		return st, err
	}
	todo, err := r.Store.CountWrappedKeys(ctx, st.NewKEK, true)
	if err != nil {
		return st, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("rotation interrupted after %d data keys; run it again to continue: %w", st.Rewrapped, err)
		}
		persons, err := r.Store.WrappedKeyBatch(ctx, st.NewKEK, r.Batch)
		if err != nil {
			return st, err
		}
		if len(persons) == 0 {
			break
		}
		rewrapped := make([][]byte, len(persons))
		for i, p := range persons {
			// Unwrapping with the old key also proves it is the right one:
			// a key wrapped by a third master key stops the rotation.
			if rewrapped[i], err = r.Vault.Rewrap(p.WrappedKey, newKEK); err != nil {
				return st, fmt.Errorf("person %s: %w", p.ID, err)
			}
		}
		n := 0
		err = r.Store.InTx(ctx, func(tx Tx) error {
			n = 0
			for i, p := range persons {
				ok, err := tx.RewrapPerson(ctx, p.ID, p.WrappedKey, rewrapped[i], st.NewKEK)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.Rewrapped += n
		if r.Progress != nil {
			r.Progress(st.Rewrapped, todo)
		}
	}
	// The keys in meta, then the key check value, in one transaction: from
	// its commit on, the database answers only to the new key.
	err = r.Store.InTx(ctx, func(tx Tx) error {
		if err := r.rewrapMeta(ctx, tx, newVault, newKEK); err != nil {
			return err
		}
		if n, err := r.Store.CountWrappedKeys(ctx, st.NewKEK, true); err != nil || n != 0 {
			return errors.Join(err, fmt.Errorf("%d data keys appeared under the old master key during the rotation (is cityid serve running?); stop the server and run the rotation again", n))
		}
		return tx.SetMeta(ctx, CheckMeta, newVault.Check())
	})
	if err != nil {
		return st, err
	}
	if err := r.Store.Checkpoint(ctx); err != nil {
		return st, err
	}
	if err := rekeySigningKeyring(r.Keyring, r.Current, newKeys, r.Rand); err != nil {
		return st, err
	}
	if err := r.Keys.CommitPending(); err != nil {
		return st, err
	}
	st.Finished = true
	return st, nil
}

// rewrapMeta rewraps the data keys other services keep in meta. A value
// already under the new key is left alone (resumed rotation).
func (r Rotation) rewrapMeta(ctx context.Context, tx Tx, newVault *vault.Vault, newKEK vault.KEK) error {
	if w, err := r.Store.Meta(ctx, auth.StaffKeyMeta); err == nil {
		if _, err := newVault.OpenDataKey(w); err != nil {
			nw, err := r.Vault.Rewrap(w, newKEK)
			if err != nil {
				return fmt.Errorf("staff data key: %w", err)
			}
			if err := tx.SetMeta(ctx, auth.StaffKeyMeta, nw); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	// JSON records with a "wrapped" data key and its "kek_id": the audit
	// checkpoint key and the field stations' packet keys.
	for _, m := range []struct{ key, what string }{{checkpointKeyMeta, "audit checkpoint key"}, {intake.KeyMeta, "field packet keys"}} {
		if err := r.rewrapRecord(ctx, tx, newVault, newKEK, m.key, m.what); err != nil {
			return err
		}
	}
	return nil
}

// rewrapRecord rewraps the data key of the JSON record stored under key.
func (r Rotation) rewrapRecord(ctx context.Context, tx Tx, newVault *vault.Vault, newKEK vault.KEK, key, what string) error {
	raw, err := r.Store.Meta(ctx, key)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("%s record: %w", what, err)
	}
	var w []byte
	if err := json.Unmarshal(rec["wrapped"], &w); err != nil || w == nil {
		return fmt.Errorf("%s record: no wrapped key (%v)", what, err)
	}
	if _, err := newVault.OpenDataKey(w); err == nil {
		return nil
	}
	nw, err := r.Vault.Rewrap(w, newKEK)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if rec["wrapped"], err = json.Marshal(nw); err != nil {
		return err
	}
	if rec["kek_id"], err = json.Marshal(newKEK.ID()); err != nil {
		return err
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, key, out)
}

// Finish completes a rotation whose database already answers to the
// pending key set (stored is its key check value): the run was interrupted
// after the switch and before the key files were swapped.
func Finish(stored []byte, keys vault.KeyRotator, keyring string, rand io.Reader) (Status, error) {
	next, err := keys.LoadPendingKeys()
	if err != nil {
		return Status{}, fmt.Errorf("the master key does not match the database and no rotation can be finished: %w", err)
	}
	v := vault.New(next.KEK(), next.IndexKey(), rand)
	if err := v.VerifyCheck(stored); err != nil {
		return Status{}, fmt.Errorf("neither %s nor its pending rotation matches the database: %w", keys, err)
	}
	if prev, err := keys.LoadKeys(); err == nil {
		if err := rekeySigningKeyring(keyring, prev, next, rand); err != nil {
			return Status{}, err
		}
	}
	if err := keys.CommitPending(); err != nil {
		return Status{}, err
	}
	return Status{NewKEK: v.KEKID(), Finished: true}, nil
}

// rekeySigningKeyring re-seals the credential signing keyring, which is
// locked with a key derived from the master key, under the new master key.
// It is idempotent: a keyring already under the new key is left alone, so a
// rotation interrupted after this step finishes cleanly.
func rekeySigningKeyring(path string, from, to *vault.Keys, random io.Reader) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	newUnlock, err := KeyringUnlock(to)
	if err != nil {
		return err
	}
	if _, err := signing.OpenKeyring(path, newUnlock, random, time.Now); err == nil {
		return nil // already rekeyed
	}
	oldUnlock, err := KeyringUnlock(from)
	if err != nil {
		return err
	}
	kr, err := signing.OpenKeyring(path, oldUnlock, random, time.Now)
	if err != nil {
		return fmt.Errorf("signing keyring %s opens with neither the old nor the new master key: %w", path, err)
	}
	if err := kr.Rekey(random, newUnlock); err != nil {
		return fmt.Errorf("re-seal the signing keyring under the new master key: %w", err)
	}
	return nil
}

// KeyringUnlock is how the credential signing keyring is unlocked with a
// key set: a key derived from the master key, so the signing keys are
// sealed under it and follow it through a rotation.
func KeyringUnlock(k *vault.Keys) (signing.Unlock, error) {
	d, err := k.Derive("signing-keyring")
	if err != nil {
		return signing.Unlock{}, err
	}
	return signing.MasterKey(d), nil
}
