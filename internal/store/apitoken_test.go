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

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := context.Background()
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			if err := tx.CreateStaff(c, newStaffRow("stf_a", "ana", "")); err != nil {
				return err
			}
			return tx.CreateStaff(c, newStaffRow("stf_b", "bea", ""))
		})
		t1 := auth.TokenRecord{ID: "tok_1", TokenHash: []byte{1}, StaffID: "stf_a", Name: "nightly export", CreatedAt: staffT0}
		t2 := auth.TokenRecord{ID: "tok_2", TokenHash: []byte{2}, StaffID: "stf_a", Name: "kiosk", CreatedAt: staffT0.Add(time.Minute)}
		t3 := auth.TokenRecord{ID: "tok_3", TokenHash: []byte{3}, StaffID: "stf_b", Name: "bea", CreatedAt: staffT0}
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			for _, tok := range []auth.TokenRecord{t1, t2, t3} {
				if err := tx.CreateAPIToken(c, tok); err != nil {
					return err
				}
			}
			return nil
		})
		dup := t1
		dup.ID = "tok_9"
		if err := db.InTx(c, func(tx *store.Tx) error { return tx.CreateAPIToken(c, dup) }); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateAPIToken(duplicate hash) error = %v, want ErrConflict", err)
		}
		got, err := db.APITokenByHash(c, []byte{1})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(t1, got); diff != "" {
			t.Errorf("APITokenByHash mismatch (-want +got):\n%s", diff)
		}
		used, revoked := staffT0.Add(time.Hour), staffT0.Add(2*time.Hour)
		mustTx(t, db, func(c context.Context, tx *store.Tx) error {
			if err := tx.TouchAPIToken(c, "tok_1", used); err != nil {
				return err
			}
			if err := tx.RevokeAPIToken(c, "tok_1", revoked); err != nil {
				return err
			}
			return tx.RevokeAPIToken(c, "tok_1", revoked.Add(time.Hour)) // keeps the first time
		})
		got, _ = db.APITokenByID(c, "tok_1")
		if !got.LastUsedAt.Equal(used) || !got.RevokedAt.Equal(revoked) {
			t.Errorf("tok_1 used=%v revoked=%v, want %v, %v", got.LastUsedAt, got.RevokedAt, used, revoked)
		}
		if err := db.InTx(c, func(tx *store.Tx) error { return tx.RevokeAPIToken(c, "tok_none", revoked) }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeAPIToken(unknown) error = %v, want ErrNotFound", err)
		}
		list, err := db.APITokens(c, "stf_a")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tok := range list {
			ids = append(ids, tok.ID)
		}
		if diff := cmp.Diff([]string{"tok_2", "tok_1"}, ids); diff != "" {
			t.Errorf("APITokens(stf_a) ids (-want +got):\n%s", diff)
		}
		if all, _ := db.APITokens(c, ""); len(all) != 3 {
			t.Errorf("APITokens(all) = %d tokens, want 3", len(all))
		}
	})
}
