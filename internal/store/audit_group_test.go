package store_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// verifyChain checks the whole log and returns how many events it holds.
func verifyChain(t *testing.T, db *store.DB) ([]audit.Event, int64) {
	t.Helper()
	var events []audit.Event
	if err := db.WalkAudit(ctx, func(e audit.Event) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	i := 0
	n, problem, err := audit.Verify(func() (audit.Event, bool, error) {
		if i == len(events) {
			return audit.Event{}, false, nil
		}
		i++
		return events[i-1], true, nil
	})
	if err != nil || problem != nil {
		t.Fatalf("Verify = %d, %v, %v; want an intact chain", n, problem, err)
	}
	return events, n
}

// TestAuditGroupAcrossServers: two servers on one database, each batching
// its readers' events (DB.Audit) while writers on both append events in
// their own transactions: one gapless chain, every event once.
func TestAuditGroupAcrossServers(t *testing.T) {
	storetest.EachPair(t, func(t *testing.T, a, b *store.DB) {
		var batches atomic.Int64
		for _, db := range []*store.DB{a, b} {
			db.SetAuditHook(func([]store.AuditedAction) { batches.Add(1) })
		}
		const readers, reads, writers, writes = 20, 10, 2, 10
		var wg sync.WaitGroup
		for s, db := range []*store.DB{a, b} {
			for r := range readers {
				wg.Go(func() {
					for i := range reads {
						if err := db.Audit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: fmt.Sprintf("read_%d_%d_%d", s, r, i)}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			for w := range writers {
				wg.Go(func() {
					for i := range writes {
						err := db.InTx(ctx, func(tx *store.Tx) error {
							return tx.AppendAudit(ctx, audit.Event{Actor: "stf_1", Action: "application.approve", RecordType: "application", RecordID: fmt.Sprintf("write_%d_%d_%d", s, w, i)})
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
		}
		wg.Wait()
		events, n := verifyChain(t, a)
		const want = 2 * (readers*reads + writers*writes)
		if n != want {
			t.Fatalf("chain holds %d events, want %d", n, want)
		}
		seen := map[string]bool{}
		for _, e := range events {
			if seen[e.RecordID] {
				t.Errorf("event %s chained twice", e.RecordID)
			}
			seen[e.RecordID] = true
		}
		t.Logf("%d events in %d transactions", n, batches.Load())
	})
}

// TestAuditBatchAllOrNothing: a batch of readers' events that fails before
// its commit (a crash, a lost connection) leaves none of its events, every
// reader in it gets the error, and the chain goes on intact after it.
func TestAuditBatchAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.Audit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: "before"}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("server killed mid-batch")
		var inserted atomic.Int64
		db.SetBatchHookForTest(func(n int) error { inserted.Add(int64(n)); return boom })
		var wg sync.WaitGroup
		var failed atomic.Int64
		for i := range 20 {
			wg.Go(func() {
				err := db.Audit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: fmt.Sprintf("lost_%d", i)})
				if !errors.Is(err, boom) {
					t.Errorf("Audit in a failed batch = %v, want %v", err, boom)
				}
				failed.Add(1)
			})
		}
		wg.Wait()
		if inserted.Load() != 20 || failed.Load() != 20 {
			t.Fatalf("inserted %d, failed %d; want 20 inserted then rolled back, 20 failed", inserted.Load(), failed.Load())
		}
		db.SetBatchHookForTest(nil)
		if err := db.Audit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: "after"}); err != nil {
			t.Fatal(err)
		}
		events, n := verifyChain(t, db)
		if n != 2 || events[0].RecordID != "before" || events[1].RecordID != "after" {
			t.Errorf("chain = %d events %v, want before, after", n, events)
		}
		// An invalid event is refused alone, before it can fail a batch.
		if err := db.Audit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: "José García"}); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("Audit of a record id with a space = %v, want audit.ErrInvalid", err)
		}
	})
}
