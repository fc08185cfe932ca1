package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"testing"

	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/store"
)

// TestPurgedCardEntryIsInvalid: a card printed and never collected is
// erased after its period; its status-list entry must then say invalid, so
// the plastic (which should have been destroyed, but may not have been)
// stops verifying, and no new card is given the entry.
func TestPurgedCardEntryIsInvalid(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.approved(t, resident(7, "Gina"))
		c, err := e.cards.Issue(ctx, e.supervisor, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error { return tx.MarkCardPrinted(ctx, c.ID, c.KeyID, e.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
		entry := func() statuslist.Status {
			t.Helper()
			l, err := e.app.DB.StatusList(ctx, c.StatusListID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := statuslist.Decode(l.Compressed, l.Bits, l.Size)
			if err != nil {
				t.Fatal(err)
			}
			v, err := list.Get(c.StatusIndex)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v := entry(); v != statuslist.Valid {
			t.Fatalf("printed card's entry = %v, want valid", v)
		}
		e.clock.AddDays(400)
		eng := e.engine(t, fullPolicy, Options{})
		if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if e.whole(a.ID) {
			t.Fatal("the uncollected card's holder was not erased; the test needs the purge")
		}
		if v := entry(); v != statuslist.Invalid {
			t.Errorf("after the purge the erased card's entry = %v, want invalid", v)
		}
	})
}
