package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func TestAuditCheckpointsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.LatestAuditCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestAuditCheckpoint on an empty table = %v, want ErrNotFound", err)
		}
		if head, err := db.AuditHead(ctx); err != nil || head != 0 {
			t.Errorf("AuditHead of an empty log = %d, %v; want 0", head, err)
		}
		for range 5 {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.AppendAudit(ctx, audit.Event{Actor: "system", Action: "auth.login"})
			}); err != nil {
				t.Fatal(err)
			}
		}
		if head, err := db.AuditHead(ctx); err != nil || head != 5 {
			t.Errorf("AuditHead = %d, %v; want 5", head, err)
		}
		evs, err := db.AuditAfter(ctx, 2, 2)
		if err != nil || len(evs) != 2 || evs[0].Seq != 3 || evs[1].Seq != 4 {
			t.Errorf("AuditAfter(2, 2) = %d events, %v; want events 3 and 4", len(evs), err)
		}
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		first := store.AuditCheckpoint{Size: 5, Root: bytes.Repeat([]byte{1}, 32), Note: []byte("note one\n"), CreatedAt: at}
		got, err := db.AddAuditCheckpoint(ctx, first)
		if err != nil || !bytes.Equal(got.Root, first.Root) || !got.CreatedAt.Equal(at) {
			t.Fatalf("AddAuditCheckpoint = %+v, %v", got, err)
		}
		// A second checkpoint of the same size does not replace the first.
		got, err = db.AddAuditCheckpoint(ctx, store.AuditCheckpoint{Size: 5, Root: bytes.Repeat([]byte{2}, 32), Note: []byte("two\n"), CreatedAt: at.Add(time.Hour)})
		if err != nil || !bytes.Equal(got.Root, first.Root) || string(got.Note) != "note one\n" {
			t.Errorf("AddAuditCheckpoint of a taken size = %+v, %v; want the first one back", got, err)
		}
		if _, err := db.AddAuditCheckpoint(ctx, store.AuditCheckpoint{Size: 2, Root: make([]byte, 32), Note: []byte("x\n"), CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		all, err := db.AuditCheckpoints(ctx)
		if err != nil || len(all) != 2 || all[0].Size != 2 || all[1].Size != 5 {
			t.Errorf("AuditCheckpoints = %+v, %v; want sizes 2, 5", all, err)
		}
		if last, err := db.LatestAuditCheckpoint(ctx); err != nil || last.Size != 5 {
			t.Errorf("LatestAuditCheckpoint = %d, %v; want 5", last.Size, err)
		}
	})
}
