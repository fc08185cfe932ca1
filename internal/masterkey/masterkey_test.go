package masterkey_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/masterkey"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// residentsDir makes a data directory with one rejected and four pending
// applications, and returns it and the application ids.
func residentsDir(t *testing.T) (string, []string) {
	t.Helper()
	a := apptest.Open(t, "", nil)
	ids := apptest.Residents(t, a, 1, 4)
	a.Close()
	return a.DataDir, ids
}

// openAll opens dir and returns, per application id, the decrypted given
// names (through enroll.Service.Get), and the staff data key's test seal.
func openAll(t *testing.T, dir string, ids []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("app.Open after rotation: %v", err)
	}
	defer a.Close()
	sup := auth.Actor{StaffID: "system", Role: auth.RoleSupervisor}
	out := map[string]string{}
	for _, id := range ids {
		got, err := a.Enroll.Get(ctx, sup, id, enroll.PurposeReview)
		if err != nil {
			t.Fatalf("Enroll.Get(%s): %v", id, err)
		}
		out[id] = got.Person.GivenNames
	}
	return out
}

// rotation is the Rotation app.RotateMasterKey runs, built here so a test
// can stop it between batches.
func rotation(t *testing.T, a *app.App, o masterkey.Options) masterkey.Rotation {
	t.Helper()
	return masterkey.Rotation{Store: a.DB.MasterKey(), Vault: a.Vault, Current: a.Keys,
		Keys: vault.KeyFile{Path: filepath.Join(a.DataDir, app.KeyFile)}, Keyring: filepath.Join(a.DataDir, signing.KeyringFile),
		Rand: rand.Reader, Options: o}
}

func TestRotateMaster(t *testing.T) {
	ctx := context.Background()
	dir, ids := residentsDir(t)
	before := openAll(t, dir, ids)
	cur := filepath.Join(dir, app.KeyFile)
	oldFile, err := os.ReadFile(cur)
	if err != nil {
		t.Fatal(err)
	}
	// A staff data key in meta, as auth stores one for TOTP secrets.
	a, err := app.Open(ctx, app.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	staffKey, wrapped, err := a.Vault.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := staffKey.Seal(vault.Binding{Table: "staff", Column: "totp_secret", Row: "s1"}, []byte("JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.InTx(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, auth.StaffKeyMeta, wrapped) }); err != nil {
		t.Fatal(err)
	}
	oldKEK := a.Vault.KEKID()
	// A second signing key in the keyring, which is locked with a key
	// derived from the master key.
	if _, err := a.Keyring.Rotate(rand.Reader, signing.ES256, 24*time.Hour); err != nil {
		t.Fatalf("rotate the signing key: %v", err)
	}

	// Interrupted after the first batch of two.
	cctx, cancel := context.WithCancel(ctx)
	st, err := rotation(t, a, masterkey.Options{Batch: 2, Progress: func(int, int) { cancel() }}).Run(cctx)
	a.Close()
	if !errors.Is(err, context.Canceled) || st.Rewrapped != 2 || st.Finished {
		t.Fatalf("interrupted rotation = %+v, %v; want 2 rewrapped, context.Canceled", st, err)
	}
	if got, _ := os.ReadFile(cur); !bytes.Equal(got, oldFile) {
		t.Fatal("an interrupted rotation replaced master.key")
	}
	if _, err := os.Stat(cur + vault.PendingSuffix); err != nil {
		t.Fatalf("master.key.new after interruption: %v", err)
	}

	// Resumed: the rest, then the swap.
	st, err = app.RotateMasterKey(ctx, app.Options{DataDir: dir}, masterkey.Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Finished || st.Before != 2 || st.Rewrapped != 3 || st.OldKEK != oldKEK || st.NewKEK == oldKEK {
		t.Fatalf("resumed rotation = %+v, want the 3 remaining keys (5 data keys: 4 pending + 1 rejected) and a new key id", st)
	}
	if got := openAll(t, dir, ids); !equalMaps(got, before) {
		t.Errorf("after rotation the applications open as %v, want %v", got, before)
	}
	if got, _ := os.ReadFile(cur + vault.RetiredSuffix); !bytes.Equal(got, oldFile) {
		t.Error("master.key.old is not the previous key")
	}
	if _, err := os.Stat(cur + vault.PendingSuffix); !os.IsNotExist(err) {
		t.Errorf("master.key.new after the swap: %v, want gone", err)
	}
	newKeys, err := vault.LoadKeyFile(cur)
	if err != nil {
		t.Fatal(err)
	}
	// The signing keyring follows the new master key.
	unlock, err := masterkey.KeyringUnlock(newKeys)
	if err != nil {
		t.Fatal(err)
	}
	if kr, err := signing.OpenKeyring(filepath.Join(dir, signing.KeyringFile), unlock, rand.Reader, time.Now); err != nil || len(kr.Keys()) != 2 {
		t.Errorf("signing keyring under the new master key: %v, want it to open with both signing keys", err)
	}
	newVault := vault.New(newKeys.KEK(), newKeys.IndexKey(), rand.Reader)
	a, err = app.Open(ctx, app.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	w, err := a.DB.Meta(ctx, auth.StaffKeyMeta)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	dk, err := newVault.OpenDataKey(w)
	if err != nil {
		t.Fatalf("staff data key after rotation: %v", err)
	}
	if got, err := dk.Open(vault.Binding{Table: "staff", Column: "totp_secret", Row: "s1"}, sealed); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("TOTP secret after rotation = %q, %v", got, err)
	}
	oldKeys, err := vault.LoadKeyFile(cur + vault.RetiredSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(oldKeys.MatchKey(), newKeys.MatchKey()) {
		t.Error("rotation changed the match-encoding key")
	}

	// Another rotation waits until the operator deletes master.key.old.
	if _, err := app.RotateMasterKey(ctx, app.Options{DataDir: dir}, masterkey.Options{Batch: 2}); !errors.Is(err, masterkey.ErrRetiredKey) || !strings.Contains(err.Error(), vault.RetiredSuffix) {
		t.Errorf("rotation with master.key.old present: %v, want a refusal naming it", err)
	}

	// A crash after the database switched keys but before the file swap:
	// the next run finishes the swap.
	if err := os.Rename(cur, cur+vault.PendingSuffix); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cur+vault.RetiredSuffix, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Open(ctx, app.Options{DataDir: dir}); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("app.Open with the old key after the database switched: %v, want ErrWrongKey", err)
	}
	if st, err := app.RotateMasterKey(ctx, app.Options{DataDir: dir}, masterkey.Options{}); err != nil || !st.Finished {
		t.Fatalf("rotate-master (finish swap) = %+v, %v", st, err)
	}
	if got := openAll(t, dir, ids); !equalMaps(got, before) {
		t.Errorf("after the finished swap the applications open as %v, want %v", got, before)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
