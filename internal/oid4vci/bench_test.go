package oid4vci_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/person"
)

// BenchmarkPhoneBatch: what a resident waits for at the desk after typing
// the code: the token, then a batch of card.PhoneBatch credentials (the
// holder's record read and audited, one status entry and one signature
// each), on SQLite.
func BenchmarkPhoneBatch(b *testing.B) {
	e := newEnv(b, "", person.Date{Year: 1985, Month: 7, Day: 14})
	keys := make([]crypto.PublicKey, card.PhoneBatch)
	for i := range keys {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		keys[i] = k.Public()
	}
	for b.Loop() {
		o, err := e.app.Cards.OfferPhone(ctx, e.clerk, e.card.ID)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := e.app.Cards.RedeemPhoneOffer(ctx, o.Code, o.TxCode)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.app.Cards.IssuePhone(ctx, tok.Token, keys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/batch")
}
