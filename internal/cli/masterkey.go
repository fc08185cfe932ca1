package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// Master-key rotation files beside DIR/master.key.
const (
	newKeySuffix = ".new" // the key being rotated to, until the rotation ends
	oldKeySuffix = ".old" // the previous key, kept until the operator deletes it
)

// Meta keys holding data keys wrapped by the master key (besides persons).
const (
	metaStaffDataKey  = "staff_data_key"       // auth: seals TOTP secrets (raw wrapped key)
	metaCheckpointKey = "audit_checkpoint_key" // checkpoint: JSON record with "wrapped" and "kek_id"
)

func cmdRotateMaster(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "keys rotate-master", "keys rotate-master [--data DIR] [--db URL] [--batch N]",
		"Rewrap every data key under a new master key, without re-encrypting any data.\n\n"+
			"Stop 'cityid serve' first. The new key is written to DIR/master.key.new; data keys are\n"+
			"rewrapped in batches (interrupt and run again to resume); at the end master.key becomes\n"+
			"the new key and the previous one is kept as DIR/master.key.old. Back up the new key,\n"+
			"then delete master.key.old (together with backups made before the rotation, which it\n"+
			"still opens).")
	dataDir := fs.String("data", "cityid-data", "data directory")
	dbURL := fs.String("db", "", "PostgreSQL URL instead of SQLite in the data directory")
	batch := fs.Int("batch", 1000, "data keys per transaction")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	r := rotation{dir: *dataDir, dbURL: *dbURL, batch: *batch, rand: rand.Reader, progress: stdio.Err}
	st, err := r.run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "master key rotated to %s: %d data keys rewrapped (%d in earlier interrupted runs)\n",
		st.NewKEK, st.Rewrapped, st.Before)
	fmt.Fprintf(stdio.Out, "back up %s now; then delete %s (and backups made before the rotation)\n",
		filepath.Join(*dataDir, app.KeyFile), filepath.Join(*dataDir, app.KeyFile+oldKeySuffix))
	return json.NewEncoder(stdio.Out).Encode(st)
}

// rotation is one (possibly resumed) master-key rotation.
type rotation struct {
	dir, dbURL string
	batch      int
	rand       io.Reader
	progress   io.Writer
	// afterBatch, when set, is called after each committed batch (tests
	// cancel the context there to simulate a kill).
	afterBatch func(done int)
}

// rotationStatus is the JSON last line of `cityid keys rotate-master`.
type rotationStatus struct {
	OldKEK    string `json:"old_kek"`
	NewKEK    string `json:"new_kek"`
	Before    int    `json:"already_rewrapped"` // data keys under the new key when this run started
	Rewrapped int    `json:"rewrapped"`         // by this run
	Finished  bool   `json:"finished"`
}

func (r *rotation) paths() (cur, next, old string) {
	cur = filepath.Join(r.dir, app.KeyFile)
	return cur, cur + newKeySuffix, cur + oldKeySuffix
}

func (r *rotation) run(ctx context.Context) (rotationStatus, error) {
	cur, next, old := r.paths()
	a, err := app.Open(ctx, app.Options{DataDir: r.dir, DBURL: r.dbURL})
	if errors.Is(err, vault.ErrWrongKey) {
		// Interrupted after the database switched to the new key but
		// before the files were swapped: finish the swap.
		return r.finishSwap(ctx)
	}
	if err != nil {
		return rotationStatus{}, err
	}
	defer a.Close()
	if _, err := os.Stat(old); err == nil {
		return rotationStatus{}, fmt.Errorf("%s exists from an earlier rotation: back up %s, delete %s, then rotate again", old, cur, old)
	}
	newKeys, err := r.loadOrCreateNext(cur, next)
	if err != nil {
		return rotationStatus{}, err
	}
	newKEK := newKeys.KEK()
	newVault := vault.New(newKEK, newKeys.IndexKey(), r.rand)
	st := rotationStatus{OldKEK: a.Vault.KEKID(), NewKEK: newKEK.ID()}
	if st.Before, err = a.DB.CountWrappedKeys(ctx, st.NewKEK, false); err != nil {
		return st, err
	}
	todo, err := a.DB.CountWrappedKeys(ctx, st.NewKEK, true)
	if err != nil {
		return st, err
	}
	prog := newMeter(r.progress, "rewrapping data keys", int64(todo))
	defer prog.Done()
	for {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("rotation interrupted after %d data keys; run it again to continue: %w", st.Rewrapped, err)
		}
		persons, err := a.DB.WrappedKeyBatch(ctx, st.NewKEK, r.batch)
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
			if rewrapped[i], err = a.Vault.Rewrap(p.WrappedKey, newKEK); err != nil {
				return st, fmt.Errorf("person %s: %w", p.ID, err)
			}
		}
		n := 0
		err = a.DB.InTx(ctx, func(tx *store.Tx) error {
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
		prog.Set(int64(st.Rewrapped))
		if r.afterBatch != nil {
			r.afterBatch(st.Rewrapped)
		}
	}
	// The keys in meta, then the key check value, in one transaction: from
	// its commit on, the database answers only to the new key.
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := rewrapMeta(ctx, a, tx, newVault, newKEK); err != nil {
			return err
		}
		if n, err := a.DB.CountWrappedKeys(ctx, st.NewKEK, true); err != nil || n != 0 {
			return errors.Join(err, fmt.Errorf("%d data keys appeared under the old master key during the rotation (is cityid serve running?); stop the server and run the rotation again", n))
		}
		return tx.SetMeta(ctx, "kek_check", newVault.Check())
	})
	if err != nil {
		return st, err
	}
	if err := a.DB.Checkpoint(ctx); err != nil {
		return st, err
	}
	if err := rekeySigningKeyring(r.dir, a.Keys, newKeys, r.rand); err != nil {
		return st, err
	}
	if err := swapKeyFiles(cur, next, old); err != nil {
		return st, err
	}
	st.Finished = true
	return st, nil
}

// rewrapMeta rewraps the data keys other services keep in meta. A value
// already under the new key is left alone (resumed rotation).
func rewrapMeta(ctx context.Context, a *app.App, tx *store.Tx, newVault *vault.Vault, newKEK vault.KEK) error {
	if w, err := a.DB.Meta(ctx, metaStaffDataKey); err == nil {
		if _, err := newVault.OpenDataKey(w); err != nil {
			nw, err := a.Vault.Rewrap(w, newKEK)
			if err != nil {
				return fmt.Errorf("staff data key: %w", err)
			}
			if err := tx.SetMeta(ctx, metaStaffDataKey, nw); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	raw, err := a.DB.Meta(ctx, metaCheckpointKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("audit checkpoint key record: %w", err)
	}
	var w []byte
	if err := json.Unmarshal(rec["wrapped"], &w); err != nil || w == nil {
		return fmt.Errorf("audit checkpoint key record: no wrapped key (%v)", err)
	}
	if _, err := newVault.OpenDataKey(w); err == nil {
		return nil
	}
	nw, err := a.Vault.Rewrap(w, newKEK)
	if err != nil {
		return fmt.Errorf("audit checkpoint key: %w", err)
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
	return tx.SetMeta(ctx, metaCheckpointKey, out)
}

// loadOrCreateNext loads DIR/master.key.new, or writes it: a fresh master
// key with the same blind-index and match keys as the current file (they
// are not rotated: the indexes and match encodings stay valid).
func (r *rotation) loadOrCreateNext(cur, next string) (*vault.Keys, error) {
	if _, err := os.Stat(next); err == nil {
		return vault.LoadKeyFile(next)
	}
	data, err := os.ReadFile(cur)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	defer clear(data)
	var kf map[string]any
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("master key file %s: %w", cur, err)
	}
	master := make([]byte, 32)
	if _, err := io.ReadFull(r.rand, master); err != nil {
		return nil, fmt.Errorf("new master key: %w", err)
	}
	defer clear(master)
	kek, err := vault.NewAESKEK(master)
	if err != nil {
		return nil, err
	}
	kf["master"] = base64.StdEncoding.EncodeToString(master)
	kf["master_id"] = kek.ID()
	out, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return nil, err
	}
	defer clear(out)
	if err := writeNewFile(next, append(out, '\n')); err != nil {
		return nil, err
	}
	keys, err := vault.LoadKeyFile(next)
	if err != nil {
		os.Remove(next)
		return nil, fmt.Errorf("new master key file: %w", err)
	}
	return keys, nil
}

// writeNewFile writes data to path (which must not exist), mode 0600,
// whole or not at all.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rotate-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every system syncs directories
	return nil
}

// swapKeyFiles keeps the current key as old and moves next into place.
func swapKeyFiles(cur, next, old string) error {
	if err := os.Link(cur, old); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("keep the previous master key as %s: %w", old, err)
	}
	if err := os.Rename(next, cur); err != nil {
		return fmt.Errorf("move the new master key into place: %w", err)
	}
	return syncDir(filepath.Dir(cur))
}

// finishSwap completes a rotation whose database already answers to the
// key in master.key.new.
func (r *rotation) finishSwap(ctx context.Context) (rotationStatus, error) {
	cur, next, old := r.paths()
	keys, err := vault.LoadKeyFile(next)
	if err != nil {
		return rotationStatus{}, fmt.Errorf("the master key does not match the database and no rotation can be finished: %w", err)
	}
	dsn := r.dbURL
	if dsn == "" {
		dsn = filepath.Join(r.dir, app.DBFile)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return rotationStatus{}, err
	}
	defer db.Close()
	stored, err := db.Meta(ctx, "kek_check")
	if err != nil {
		return rotationStatus{}, err
	}
	v := vault.New(keys.KEK(), keys.IndexKey(), r.rand)
	if err := v.VerifyCheck(stored); err != nil {
		return rotationStatus{}, fmt.Errorf("neither %s nor %s matches the database: %w", cur, next, err)
	}
	if prev, err := vault.LoadKeyFile(cur); err == nil {
		if err := rekeySigningKeyring(r.dir, prev, keys, r.rand); err != nil {
			return rotationStatus{}, err
		}
	}
	if err := swapKeyFiles(cur, next, old); err != nil {
		return rotationStatus{}, err
	}
	return rotationStatus{NewKEK: v.KEKID(), Finished: true}, nil
}

// rekeySigningKeyring re-seals the credential signing keyring, which is
// locked with a key derived from the master key, under the new master key.
// It is idempotent: a keyring already under the new key is left alone, so a
// rotation interrupted after this step finishes cleanly.
func rekeySigningKeyring(dir string, from, to *vault.Keys, random io.Reader) error {
	path := filepath.Join(dir, signing.KeyringFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock := func(k *vault.Keys) (signing.Unlock, error) {
		d, err := k.Derive("signing-keyring")
		return signing.MasterKey(d), err
	}
	newUnlock, err := unlock(to)
	if err != nil {
		return err
	}
	if _, err := signing.OpenKeyring(path, newUnlock, random, time.Now); err == nil {
		return nil // already rekeyed
	}
	oldUnlock, err := unlock(from)
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
