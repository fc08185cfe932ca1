package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
		entry := func(listID string, idx int) statuslist.Status {
			t.Helper()
			l, err := e.app.DB.StatusList(ctx, listID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := statuslist.Decode(l.Compressed, l.Bits, l.Size)
			if err != nil {
				t.Fatal(err)
			}
			v, err := list.Get(idx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v := entry(c.StatusListID, c.StatusIndex); v != statuslist.Valid {
			t.Fatalf("printed card's entry = %v, want valid", v)
		}
		// The card is also on a phone: its phone credential's own entry.
		o, err := e.cards.OfferPhone(ctx, e.supervisor, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.cards.RedeemPhoneOffer(ctx, o.Code, o.TxCode)
		if err != nil {
			t.Fatal(err)
		}
		holder, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		creds, err := e.cards.IssuePhone(ctx, tok.Token, []crypto.PublicKey{holder.Public()})
		if err != nil || len(creds) != 1 {
			t.Fatalf("IssuePhone = %d, %v", len(creds), err)
		}
		var phoneList string
		var phoneIdx int
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			pc, err := tx.PhoneCredentials(ctx, c.ID)
			if err == nil && len(pc) == 1 {
				phoneList, phoneIdx = pc[0].StatusListID, pc[0].StatusIndex
			}
			return err
		}); err != nil || phoneList == "" {
			t.Fatalf("phone credential row: %v", err)
		}
		e.clock.AddDays(400)
		eng := e.engine(t, fullPolicy, Options{})
		if _, err := eng.Purge(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if e.whole(a.ID) {
			t.Fatal("the uncollected card's holder was not erased; the test needs the purge")
		}
		if v := entry(c.StatusListID, c.StatusIndex); v != statuslist.Invalid {
			t.Errorf("after the purge the erased card's entry = %v, want invalid", v)
		}
		if v := entry(phoneList, phoneIdx); v != statuslist.Invalid {
			t.Errorf("after the purge the erased card's phone credential entry = %v, want invalid", v)
		}
		for _, table := range []string{"phone_credentials", "phone_offers"} {
			if n, err := e.app.DB.CountRows(ctx, table); err != nil || n != 0 {
				t.Errorf("%s rows after the purge = %d, %v; want 0", table, n, err)
			}
		}
	})
}
