package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestScreeningSnapshots: a finished snapshot replaces the older ones; an
// erasure deletes them all, and a snapshot being written when it happens
// can be neither continued nor finished (it may hold the erased person).
func TestScreeningSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		if err := insert(t, db, newApp("app_1", "k1")); err != nil {
			t.Fatal(err)
		}
		write := func(id string, at time.Time) {
			t.Helper()
			if err := db.BeginScreeningSnapshot(ctx, store.ScreeningSnapshot{ID: id, CreatedAt: at, Mark: 1, Records: 1, KEKID: "k", WrappedKey: []byte{1}}); err != nil {
				t.Fatal(err)
			}
			for n := range 2 {
				if err := db.PutScreeningSnapshotChunk(ctx, id, n, []byte{byte(n)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.FinishScreeningSnapshot(ctx, id, 2); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		write("snp_a", now)
		write("snp_b", now.Add(time.Second))
		if got, err := db.LatestScreeningSnapshot(ctx); err != nil || got.ID != "snp_b" || got.Chunks != 2 || got.Mark != 1 {
			t.Fatalf("LatestScreeningSnapshot = %+v, %v; want snp_b with 2 chunks", got, err)
		}
		if _, err := db.ScreeningSnapshotChunk(ctx, "snp_a", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a replaced snapshot's chunk: err = %v, want ErrNotFound", err)
		}
		if c, err := db.ScreeningSnapshotChunk(ctx, "snp_b", 1); err != nil || len(c) != 1 || c[0] != 1 {
			t.Errorf("ScreeningSnapshotChunk(snp_b, 1) = %v, %v", c, err)
		}
		// A dump keeps no snapshot.
		var d memDump
		if _, err := db.Dump(ctx, &d); err != nil {
			t.Fatal(err)
		}
		for i, name := range d.tables {
			if (name == "screening_snapshots" || name == "screening_snapshot_chunks") && len(d.rows[i]) != 0 {
				t.Errorf("the dump holds %d rows of %s, want none", len(d.rows[i]), name)
			}
		}

		// A snapshot is being written when a person is erased.
		if err := db.BeginScreeningSnapshot(ctx, store.ScreeningSnapshot{ID: "snp_c", CreatedAt: now.Add(2 * time.Second), Mark: 2, KEKID: "k", WrappedKey: []byte{1}}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutScreeningSnapshotChunk(ctx, "snp_c", 0, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, "per_app_1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LatestScreeningSnapshot(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after an erasure LatestScreeningSnapshot err = %v, want ErrNotFound", err)
		}
		if err := db.PutScreeningSnapshotChunk(ctx, "snp_c", 1, []byte("y")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a chunk after the erasure: err = %v, want ErrNotFound", err)
		}
		if err := db.FinishScreeningSnapshot(ctx, "snp_c", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("finishing after the erasure: err = %v, want ErrNotFound", err)
		}
		if _, err := db.ScreeningSnapshotChunk(ctx, "snp_c", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the erased-over snapshot's chunk: err = %v, want ErrNotFound (cascade)", err)
		}
	})
}
