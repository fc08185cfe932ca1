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

// staffT0 is a fixed time with whole microseconds, as the store keeps them.
var staffT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func mustTx(t *testing.T, db *store.DB, fn func(context.Context, *store.Tx) error) {
	t.Helper()
	c := context.Background()
	if err := db.InTx(c, func(tx *store.Tx) error { return fn(c, tx) }); err != nil {
		t.Fatal(err)
	}
}

func newStaffRow(id, username, site string) auth.StaffRecord {
	return auth.StaffRecord{ID: id, Username: username, DisplayName: "Name " + id, Role: "clerk", SiteID: site,
		PasswordHash: "$argon2id$x", MustChangePassword: true, CreatedAt: staffT0, UpdatedAt: staffT0}
}

func TestStaffRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := context.Background()
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			return tx.CreateSite(c, store.Site{ID: "site_x", Name: "Library", Kind: "partner", Active: true, CreatedAt: staffT0})
		})
		clerk := newStaffRow("stf_a", "ana", "site_x")
		admin := newStaffRow("stf_b", "bob", "")
		admin.Role, admin.MustChangePassword = "admin", false
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			if err := tx.CreateStaff(c, clerk); err != nil {
				return err
			}
			return tx.CreateStaff(c, admin)
		})
		got, err := db.StaffByID(c, "stf_a")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(clerk, got); diff != "" {
			t.Errorf("StaffByID(stf_a) mismatch (-want +got):\n%s", diff)
		}
		got, err = db.StaffByUsername(c, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(admin, got); diff != "" {
			t.Errorf("StaffByUsername(bob) mismatch (-want +got):\n%s", diff)
		}
		list, err := db.ListStaff(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Username != "ana" || list[1].Username != "bob" {
			t.Errorf("ListStaff() = %v, want ana, bob", list)
		}
		if _, err := db.StaffByUsername(c, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StaffByUsername(nobody) error = %v, want ErrNotFound", err)
		}
		err = db.InTx(c, func(tx *store.Tx) error { return tx.CreateStaff(c, newStaffRow("stf_c", "ana", "")) })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateStaff(duplicate username) error = %v, want ErrConflict", err)
		}
		err = db.InTx(c, func(tx *store.Tx) error { return tx.SetStaffDisabled(c, "stf_none", true, staffT0) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetStaffDisabled(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestStaffUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := context.Background()
		mustTx(t, db, func(c context.Context, tx *store.Tx) error { return tx.CreateStaff(c, newStaffRow("stf_a", "ana", "")) })
		t1 := staffT0.Add(time.Hour)
		var counts []int
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			for range 3 {
				n, err := tx.AddFailedLogin(c, "stf_a")
				if err != nil {
					return err
				}
				counts = append(counts, n)
			}
			return nil
		})
		if diff := cmp.Diff([]int{1, 2, 3}, counts); diff != "" {
			t.Errorf("AddFailedLogin counts (-want +got):\n%s", diff)
		}
		mustTx(t, db, func(c context.Context, tx *store.Tx) error { return tx.LockStaff(c, "stf_a", t1) })
		got, _ := db.StaffByID(c, "stf_a")
		if got.FailedLogins != 0 || !got.LockedUntil.Equal(t1) {
			t.Errorf("after LockStaff: failed=%d locked=%v, want 0, %v", got.FailedLogins, got.LockedUntil, t1)
		}
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			if err := tx.SetStaffPassword(c, "stf_a", "$new", false, t1); err != nil {
				return err
			}
			if err := tx.SetStaffTOTP(c, "stf_a", []byte("sealed"), t1); err != nil {
				return err
			}
			return tx.UpdateStaffProfile(c, "stf_a", "Ana María", "supervisor", "", t1)
		})
		got, _ = db.StaffByID(c, "stf_a")
		want := newStaffRow("stf_a", "ana", "")
		want.DisplayName, want.Role, want.PasswordHash, want.MustChangePassword = "Ana María", "supervisor", "$new", false
		want.TOTPSecret, want.UpdatedAt, want.PasswordSetAt = []byte("sealed"), t1, t1
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after updates (-want +got):\n%s", diff)
		}
		if got.TOTPEnrolled() {
			t.Errorf("TOTPEnrolled() = true for a pending secret, want false")
		}
	})
}

func TestUseTOTPStepIsSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := context.Background()
		mustTx(t, db, func(c context.Context, tx *store.Tx) error { return tx.CreateStaff(c, newStaffRow("stf_a", "ana", "")) })
		for _, tc := range []struct {
			step int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}, {101, false}} {
			var got bool
			mustTx(t, db, func(c context.Context, tx *store.Tx) error {
				var err error
				got, err = tx.UseTOTPStep(c, "stf_a", tc.step)
				return err
			})
			if got != tc.want {
				t.Errorf("UseTOTPStep(%d) = %v, want %v", tc.step, got, tc.want)
			}
		}
		got, _ := db.StaffByID(c, "stf_a")
		if got.TOTPLastStep != 101 {
			t.Errorf("TOTPLastStep = %d, want 101", got.TOTPLastStep)
		}
	})
}
