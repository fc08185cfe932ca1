package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := context.Background()
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			if err := tx.CreateStaff(c, newStaffRow("stf_a", "ana", "")); err != nil {
				return err
			}
			return tx.CreateStaff(c, newStaffRow("stf_b", "bea", ""))
		})
		mk := func(h byte, staff string, seen time.Time) auth.SessionRecord {
			return auth.SessionRecord{IDHash: []byte{h, 1, 2, 3}, StaffID: staff, CreatedAt: staffT0, LastSeen: seen,
				ExpiresAt: staffT0.Add(12 * time.Hour)}
		}
		a1, a2, a3 := mk(1, "stf_a", staffT0), mk(2, "stf_a", staffT0), mk(3, "stf_a", staffT0)
		b1 := mk(4, "stf_b", staffT0.Add(-time.Hour))
		b1.MFADone = true
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			for _, s := range []auth.SessionRecord{a1, a2, a3, b1} {
				if err := tx.CreateSession(c, s); err != nil {
					return err
				}
			}
			return nil
		})
		got, err := db.SessionByHash(c, b1.IDHash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b1, got); diff != "" {
			t.Errorf("SessionByHash mismatch (-want +got):\n%s", diff)
		}
		// The joined read every request makes gives the same session and the
		// same staff row as the two reads it replaces.
		gotS, gotSt, err := db.SessionAndStaff(c, b1.IDHash)
		if err != nil {
			t.Fatal(err)
		}
		wantSt, err := db.StaffByID(c, "stf_b")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b1, gotS); diff != "" {
			t.Errorf("SessionAndStaff session mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantSt, gotSt); diff != "" {
			t.Errorf("SessionAndStaff staff mismatch (-want +got):\n%s", diff)
		}
		if _, _, err := db.SessionAndStaff(c, []byte{9, 9}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SessionAndStaff(unknown) error = %v, want ErrNotFound", err)
		}
		if err := db.InTx(c, func(tx *store.Tx) error { return tx.CreateSession(c, a1) }); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateSession(duplicate) error = %v, want ErrConflict", err)
		}
		t1 := staffT0.Add(10 * time.Minute)
		mustTx(t, db, func(c context.Context, tx *store.Tx) error { return tx.TouchSession(c, a1.IDHash, t1) })
		if got, _ := db.SessionByHash(c, a1.IDHash); !got.LastSeen.Equal(t1) {
			t.Errorf("LastSeen after TouchSession = %v, want %v", got.LastSeen, t1)
		}

		var n int64
		mustTx(t, db, func(c context.Context, tx *store.Tx) (err error) {
			n, err = tx.DeletePendingSessions(c, "stf_b") // b1 has completed MFA
			return err
		})
		if n != 0 {
			t.Errorf("DeletePendingSessions(stf_b) deleted %d, want 0", n)
		}
		mustTx(t, db, func(c context.Context, tx *store.Tx) (err error) {
			n, err = tx.DeleteStaffSessionsExcept(c, "stf_a", a1.IDHash)
			return err
		})
		if n != 2 {
			t.Errorf("DeleteStaffSessionsExcept deleted %d, want 2", n)
		}
		if _, err := db.SessionByHash(c, a2.IDHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SessionByHash(deleted) error = %v, want ErrNotFound", err)
		}
		// b1 was last seen an hour before staffT0: idle under a 30-minute cut-off.
		mustTx(t, db, func(c context.Context, tx *store.Tx) (err error) {
			n, err = tx.DeleteDeadSessions(c, staffT0, staffT0.Add(-30*time.Minute))
			return err
		})
		if n != 1 {
			t.Errorf("DeleteDeadSessions deleted %d, want 1", n)
		}
		mustTx(t, db, func(c context.Context, tx *store.Tx) (err error) {
			n, err = tx.DeleteStaffSessions(c, "stf_a")
			return err
		})
		if n != 1 {
			t.Errorf("DeleteStaffSessions deleted %d, want 1", n)
		}
		mustTx(t, db, func(c context.Context, tx *store.Tx) error { return tx.DeleteSession(c, a1.IDHash) })
	})
}
