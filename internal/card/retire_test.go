package card_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"math/big"
	"testing"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/verify"
)

// drawBytes are the bytes crypto/rand.Int reads to draw idx from [0, n).
func drawBytes(idx, n int) []byte {
	k := (big.NewInt(int64(n-1)).BitLen() + 7) / 8
	b := big.NewInt(int64(idx)).Bytes()
	return append(make([]byte, k-len(b)), b...)
}

// TestRetiredEntryIsDeadAndNeverDrawnAgain: a purge erases a card's row; its
// status-list entry must then say invalid (a printed card that was never
// collected stops verifying) and allocation must never hand the entry to a
// new card, even when the random draw lands on it first (before the fix the
// entry looked free once the row was gone, and the old card came back to life).
func TestRetiredEntryIsDeadAndNeverDrawnAgain(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		old := e.issue(t, "k1")
		p := e.payload(t, old)
		if res := e.cards.Verify(ctx, "", p); res.Status != verify.StatusValid {
			t.Fatalf("issued card: %+v, want valid", res)
		}
		// What a purge does: retire the person's entries, then erase them.
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			slots, err := tx.CardSlotsOf(ctx, []string{old.PersonID})
			if err != nil {
				return err
			}
			if len(slots) != 1 || slots[0] != (card.Slot{ListID: old.StatusListID, Index: old.StatusIndex}) {
				t.Errorf("CardSlotsOf = %v, want the card's one entry", slots)
			}
			if err := card.RetireSlots(ctx, tx, slots, e.clock.Now()); err != nil {
				return err
			}
			_, err = tx.ErasePersons(ctx, []string{old.PersonID})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if res := e.cards.Verify(ctx, "", p); res.Valid {
			t.Errorf("a card whose entry was retired still verifies: %+v", res)
		}
		// Draw with randomness whose first draw is exactly the retired entry.
		r := io.MultiReader(bytes.NewReader(drawBytes(old.StatusIndex, card.MinListSizeForTest)), rand.Reader)
		var list string
		var idx int
		if err := e.app.DB.Cards().InTx(ctx, func(tx card.Tx) error {
			var err error
			list, idx, err = e.cards.AllocateForTest(ctx, tx, r, e.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if list == old.StatusListID && idx == old.StatusIndex {
			t.Fatalf("allocation drew the retired entry %s/%d for a new card", list, idx)
		}
		// The draw helper itself is right: a free entry drawn first is taken.
		free := (old.StatusIndex + 1) % card.MinListSizeForTest
		r = io.MultiReader(bytes.NewReader(drawBytes(free, card.MinListSizeForTest)), rand.Reader)
		if err := e.app.DB.Cards().InTx(ctx, func(tx card.Tx) error {
			var err error
			_, idx, err = e.cards.AllocateForTest(ctx, tx, r, e.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if idx != free {
			t.Errorf("first draw of free entry %d gave %d: the test's draw bytes are wrong", free, idx)
		}
	})
}
