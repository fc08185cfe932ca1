package enroll_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/enroll"
)

// refuseReadEvents makes the database refuse every application.read audit
// event from now on, as a full disk or a lost connection would.
func refuseReadEvents(t *testing.T, e *env, dbURL string) {
	t.Helper()
	driver, dsn, stmts := "sqlite", e.app.DB.Path(), []string{
		`CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events WHEN NEW.action = 'application.read'
			BEGIN SELECT RAISE(ABORT, 'audit refused'); END`}
	if dbURL != "" {
		driver, dsn, stmts = "pgx", dbURL, []string{
			`CREATE FUNCTION refuse_reads() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.action = 'application.read' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_reads()`}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestNoLogNoRead: a read whose audit event cannot be written returns no
// record — through the batched appender (Get, GetWithoutPhoto) as through
// a read with a note (its own transaction) — and leaves no event.
func TestNoLogNoRead(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, "Nolog", "Noread"))
		if err != nil {
			t.Fatal(err)
		}
		before, err := e.app.DB.AuditCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refuseReadEvents(t, e, dbURL)
		for name, get := range map[string]func() (*enroll.Application, error){
			"Get": func() (*enroll.Application, error) {
				return e.app.Enroll.Get(ctx, e.clerkA, a.ID, enroll.PurposeReview)
			},
			"GetWithoutPhoto": func() (*enroll.Application, error) {
				return e.app.Enroll.GetWithoutPhoto(ctx, e.clerkA, a.ID, enroll.PurposeReview)
			},
			"GetNoted": func() (*enroll.Application, error) {
				return e.app.Enroll.GetNoted(ctx, e.clerkA, a.ID, enroll.PurposeReview, "called about her address")
			},
		} {
			if got, err := get(); err == nil || got != nil || !strings.Contains(err.Error(), "audit refused") {
				t.Errorf("%s with the log refusing = %v, %v; want no record and the log's refusal", name, got, err)
			}
		}
		if after, err := e.app.DB.AuditCount(ctx); err != nil || after != before {
			t.Errorf("audit events after refused reads = %d, %v; want %d", after, err, before)
		}
	})
}
