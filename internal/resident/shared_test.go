package resident

import (
	"bytes"
	"context"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/store/storetest"
)

// TestLimitsAndChallengesHoldAcrossServers: two app servers on one
// PostgreSQL database. A client address that used up its form budget on
// server A is refused on server B, and a proof-of-work challenge spent on
// A cannot be spent again on B. The database holds keyed hashes only.
func TestLimitsAndChallengesHoldAcrossServers(t *testing.T) {
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skipf("%s not set", storetest.EnvPostgres)
	}
	a := apptest.Open(t, url, nil)
	b, err := app.Open(context.Background(), app.Options{DataDir: a.DataDir, DBURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	siteA, err := NewSite(a.Services, Options{})
	if err != nil {
		t.Fatal(err)
	}
	siteB, err := NewSite(b.Services, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const client = "203.0.113.7"
	n := 0
	for {
		if ok, _ := siteA.forms.Allow(client); !ok {
			break
		}
		n++
		if n > 100 {
			t.Fatal("server A never ran out of form budget")
		}
	}
	if ok, wait := siteB.forms.Allow(client); ok || wait <= 0 {
		t.Errorf("server B allowed a form for a client that used its %d on server A (wait %v)", n, wait)
	}
	if ok, _ := siteB.forms.Allow("198.51.100.9"); !ok {
		t.Error("server B refused another client")
	}

	c, err := siteA.pow.challenge()
	if err != nil {
		t.Fatal(err)
	}
	nonce := Solve(c, siteA.pow.bits)
	if !siteA.pow.check(c, nonce) {
		t.Fatal("server A refused a solved challenge")
	}
	if siteB.pow.check(c, nonce) {
		t.Error("server B accepted a challenge already spent on server A")
	}
	if n, err := a.DB.CountRows(context.Background(), "rate_buckets"); err != nil || n == 0 {
		t.Errorf("rate_buckets rows = %d (%v), want the shared buckets", n, err)
	}
	var dump scan
	if _, err := a.DB.Dump(context.Background(), &dump); err != nil {
		t.Fatal(err)
	}
	if dump.found(client) {
		t.Error("the database holds the client address in plain")
	}
}

// scan is a store.DumpWriter that keeps every string and byte value.
type scan struct{ vals [][]byte }

func (s *scan) Table(string, []string) error { return nil }
func (s *scan) Row(vals []any) error {
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			s.vals = append(s.vals, []byte(v))
		case []byte:
			s.vals = append(s.vals, v)
		}
	}
	return nil
}
func (s *scan) found(x string) bool {
	for _, v := range s.vals {
		if bytes.Contains(v, []byte(x)) {
			return true
		}
	}
	return false
}
