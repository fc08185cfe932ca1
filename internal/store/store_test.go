package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

var ctx = context.Background()

func seedSite(t *testing.T, db *store.DB) store.Site {
	t.Helper()
	s := store.Site{ID: "site_a", Name: "City Hall", Kind: "city_hall", Active: true, CreatedAt: time.Now()}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateSite(ctx, s) }); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff (id, username, display_name, role, site_id, password_hash, created_at, updated_at)
			VALUES ('stf_1', 'clerk1', 'Clerk One', 'clerk', 'site_a', 'x', 1, 1)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func newApp(id, key string) enroll.Record {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return enroll.Record{ID: id, Reference: "REF-" + id, PersonID: "per_" + id, SiteID: "site_a", ClerkID: "stf_1",
		Status: "draft", IdempotencyKey: key, Language: "es", AgeCategory: "adult",
		Sealed:    enroll.Sealed{GivenNames: []byte{1, 2, 3}, Photo: []byte("jpeg")},
		CreatedAt: now, UpdatedAt: now}
}

func insert(t *testing.T, db *store.DB, a enroll.Record) error {
	t.Helper()
	return db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: a.PersonID, WrappedKey: []byte("wrapped"), KEKID: "k1", CreatedAt: a.CreatedAt}); err != nil {
			return err
		}
		_, err := tx.InsertApplication(ctx, a)
		return err
	})
}

func TestMigrateIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v, want nothing", applied)
		}
		v, err := db.CurrentVersion(ctx)
		if err != nil || v != store.SchemaVersion() {
			t.Errorf("CurrentVersion() = %d, %v; want %d", v, err, store.SchemaVersion())
		}
	})
}

func TestApplicationRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		a := newApp("app_1", "k1")
		if err := insert(t, db, a); err != nil {
			t.Fatal(err)
		}
		got, err := db.Application(ctx, "app_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Reference != a.Reference || string(got.Sealed.Photo) != "jpeg" || got.IdempotencyKey != "k1" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("Application() = %+v, want %+v", got, a)
		}
		if _, err := db.Application(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Application(nope) err = %v, want ErrNotFound", err)
		}
		// Same clerk, same idempotency key: conflict, and nothing half-written.
		dup := newApp("app_2", "k1")
		if err := insert(t, db, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate idempotency key err = %v, want ErrConflict", err)
		}
		if _, err := db.Person(ctx, "per_app_2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("person of a failed insert survived the rollback: err = %v", err)
		}
		// Status moves once.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetApplicationStatus(ctx, "app_1", "draft", "approved", "", "stf_1", nil, time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetApplicationStatus(ctx, "app_1", "draft", "rejected", "x", "stf_1", nil, time.Now())
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("second decision err = %v, want ErrConflict", err)
		}
		list, err := db.ListApplications(ctx, enroll.ListFilter{SiteID: "site_a", Statuses: []enroll.Status{"approved"}})
		if err != nil || len(list) != 1 || list[0].ID != "app_1" {
			t.Errorf("ListApplications = %+v, %v; want app_1", list, err)
		}
	})
}

func TestAuditChainAcrossTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Concurrent appenders must still produce one gapless chain.
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					err := db.InTx(ctx, func(tx *store.Tx) error {
						return tx.AppendAudit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: fmt.Sprintf("app_%d_%d", w, i)})
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		// A rolled-back change leaves no event.
		_ = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.AppendAudit(ctx, audit.Event{Actor: "stf_1", Action: "application.approve", RecordType: "application", RecordID: "app_x"}); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if _, n := verifyChain(t, db); n != 100 {
			t.Errorf("chain holds %d events, want 100", n)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AppendAudit(ctx, audit.Event{Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: "José García"})
		}); err == nil {
			t.Error("AppendAudit accepted a record id with a space (a name?), want an error")
		}
	})
}

// forbidden matches column names that must never exist: cityid does not ask
// about immigration status, citizenship, nationality, country of birth, SSN
// or document numbers.
var forbidden = regexp.MustCompile(`(?i)immigra|citizen|nationalit|birth_?country|country_?of_?birth|place_?of_?birth|ssn|social_?sec|document_?(number|no|num)|doc_?(number|no|num)|passport_?(number|no|num)|alien|visa|a_?number`)

func columns(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	var q string
	if db.Dialect() == store.SQLite {
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	} else {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := db.QueryForTest(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		out[tbl] = append(out[tbl], col)
	}
	for _, cols := range out {
		sort.Strings(cols)
	}
	return out
}

func TestSchemaHasNoForbiddenColumns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for tbl, cols := range columns(t, db) {
			if forbidden.MatchString(tbl) {
				t.Errorf("table %s looks like it holds immigration-relevant data", tbl)
			}
			for _, c := range cols {
				if forbidden.MatchString(c) {
					t.Errorf("column %s.%s looks like it holds immigration-relevant data; cityid must not collect it", tbl, c)
				}
			}
		}
	})
}

func TestForbiddenPatternCatches(t *testing.T) {
	for _, c := range []string{"immigration_status", "citizenship", "nationality", "country_of_birth", "ssn", "document_number", "passport_no", "birth_country"} {
		if !forbidden.MatchString(c) {
			t.Errorf("forbidden pattern misses %q", c)
		}
	}
	for _, c := range []string{"given_names", "documents", "date_of_birth", "address", "reference"} {
		if forbidden.MatchString(c) {
			t.Errorf("forbidden pattern wrongly matches %q", c)
		}
	}
}

func TestDialectsHaveSameColumns(t *testing.T) {
	pg := storetest.Postgres(t)
	lite := storetest.SQLite(t)
	a, b := columns(t, lite), columns(t, pg)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("SQLite and PostgreSQL schemas differ:\nsqlite:   %v\npostgres: %v", a, b)
	}
}

func TestRebindNoQuestionMarksInMigrations(t *testing.T) {
	// rebind assumes no literal '?' in SQL; keep migrations free of it.
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, stmt := range store.MigrationSQLForTest(d) {
			if strings.Contains(stmt, "?") {
				t.Errorf("%s migration contains '?': %.60s", d, stmt)
			}
		}
	}
}

// A server warms its PostgreSQL pool at start: the connections are open and
// idle before the first request, so a burst of clerks does not wait for them.
// A server's job leader holds a connection for its advisory lock while the
// server warms the pool: Warm must return, not wait for that connection.
func TestWarmReturnsWhileLeaderHoldsConnection(t *testing.T) {
	db := storetest.Postgres(t)
	lock, ok, err := db.TryLock(ctx, 7_713_001)
	if err != nil || !ok {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	defer lock.Release(ctx)
	done := make(chan error, 1)
	go func() { done <- db.Warm(ctx, 20) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Warm(20) still waiting a minute after it began, with one connection held by a lock")
	}
	if st := db.PoolStats(); st.InUse != 1 {
		t.Errorf("after Warm: %d in use, want 1 (the lock's)", st.InUse)
	}
}

func TestWarmOpensIdleConnections(t *testing.T) {
	db := storetest.Postgres(t)
	if got := db.PoolStats().Idle; got >= 8 {
		t.Fatalf("a fresh pool already holds %d idle connections", got)
	}
	if err := db.Warm(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if st := db.PoolStats(); st.Idle < 8 || st.InUse != 0 {
		t.Errorf("after Warm(8): %d idle, %d in use; want ≥ 8 idle, none in use", st.Idle, st.InUse)
	}
}
