package backup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/retention"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) AddDays(n int)  { c.mu.Lock(); c.t = c.t.AddDate(0, 0, n); c.mu.Unlock() }
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var periods = Periods{KeyDays: 7, KeepDays: 28}

// city is a demo city with cards, bookings and tickets, and its backup keys.
type city struct {
	a     *app.App
	clock *clock
	keys  *Keys
	dbURL string
}

func newCity(t *testing.T, dbURL string) *city {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
	a := apptest.Open(t, dbURL, clk.Now)
	o := demo.Options{Residents: 40, Seed: 13, Workers: 2}
	if _, err := demo.Load(ctx, a, o); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Live(ctx, a, o); err != nil {
		t.Fatal(err)
	}
	keys, err := OpenKeys(filepath.Join(a.DataDir, KeysFile), periods)
	if err != nil {
		t.Fatal(err)
	}
	return &city{a: a, clock: clk, keys: keys, dbURL: dbURL}
}

func (c *city) backup(t *testing.T) (string, Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "city.cityid-backup")
	m, err := Make(ctx, Source{DataDir: c.a.DataDir, DB: c.a.DB, Keys: c.keys, Now: c.clock.Now}, out)
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	return out, m
}

// freshTarget is an empty data directory holding only what a key custodian
// keeps apart from backups: the master key and the backup key file; and an
// empty database (a new PostgreSQL schema, or none for SQLite).
func (c *city) freshTarget(t *testing.T) Target { return c.targetFrom(t, c.a.DataDir) }

// targetFrom is freshTarget with the keys copied from dir.
func (c *city) targetFrom(t *testing.T, from string) Target {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(from, "master.key"), filepath.Join(dir, "master.key"))
	copyFile(t, filepath.Join(from, KeysFile), filepath.Join(dir, KeysFile))
	keys, err := OpenKeys(filepath.Join(dir, KeysFile), periods)
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{DataDir: dir, Keys: keys}
	if c.dbURL != "" {
		url, _ := storetest.PostgresURL(t)
		tg.DBURL = url
	}
	return tg
}

// TestRestoreDrill: load a city, back it up, destroy it, restore it into an
// empty data directory and database, check cards and audit log and that a
// resident's record reads the same; purge; then let the backup's period
// pass its retention: its key is destroyed and the backup no longer opens.
func TestRestoreDrill(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		c := newCity(t, dbURL)
		sup := supervisor(t, c.a)
		apps, err := c.a.Enroll.List(ctx, sup, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusIssued}, Limit: 1})
		if err != nil || len(apps) == 0 {
			t.Fatalf("no issued application to compare (%v)", err)
		}
		before, err := c.a.Enroll.Get(ctx, sup, apps[0].ID, enroll.PurposeFraudReview)
		if err != nil {
			t.Fatal(err)
		}
		cards, _ := c.a.DB.CountRows(ctx, "cards")
		out, m := c.backup(t)
		if m.Rows["cards"] != cards || m.Rows["persons"] == 0 || m.AuditEvents == 0 {
			t.Fatalf("manifest rows %v, want %d cards and some persons and events", m.Rows, cards)
		}
		raw, _ := os.ReadFile(out)
		if strings.Contains(string(raw), before.Person.GivenNames) || strings.Contains(string(raw), "CREATE TABLE") {
			t.Fatal("the backup file holds readable text of the database")
		}

		// Destroy: the whole data directory and database are gone; the key
		// custodian still has master.key and the backup key file.
		tg := c.freshTarget(t)
		c.a.Close()
		if err := os.RemoveAll(c.a.DataDir); err != nil {
			t.Fatal(err)
		}

		got, err := Restore(ctx, out, tg)
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		r, err := app.Open(ctx, app.Options{DataDir: tg.DataDir, DBURL: tg.DBURL, Now: c.clock.Now})
		if err != nil {
			t.Fatalf("open the restored system: %v", err)
		}
		defer r.Close()
		rep, err := Check(ctx, r, got, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Cards.Cards != cards || rep.AuditEvents < int64(m.AuditEvents) {
			t.Fatalf("restored system check: %+v, want OK with %d cards and %d events", rep, cards, m.AuditEvents)
		}
		rsup := supervisor(t, r)
		after, err := r.Enroll.Get(ctx, rsup, before.ID, enroll.PurposeFraudReview)
		if err != nil {
			t.Fatal(err)
		}
		if after.Person != before.Person || len(after.Photo) != len(before.Photo) {
			t.Errorf("restored record differs: %+v, want %+v", after.Person, before.Person)
		}

		// Time passes: purges run, and the backup's period ends and passes
		// its retention: the key is destroyed and the backup cannot be opened.
		c.clock.AddDays(periods.KeyDays + periods.KeepDays + 2)
		eng, err := retention.New(r.DB, r.Vault, r.Keys.MatchKey(), retention.PolicyFrom(config.Default().Retention),
			retention.Options{Now: c.clock.Now, Rand: r.Rand})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Purge(ctx, c.clock.Now()); err != nil {
			t.Fatal(err)
		}
		gone, err := ExpireKeys(ctx, r.DB, tg.Keys, c.clock.Now())
		if err != nil || len(gone) != 1 || gone[0] != got.Period {
			t.Fatalf("ExpireKeys = %v, %v; want period %s destroyed", gone, err, got.Period)
		}
		kf, _ := os.ReadFile(filepath.Join(tg.DataDir, KeysFile))
		if strings.Contains(string(kf), "AGE-SECRET-KEY") {
			t.Error("the key file still holds a secret key after the only key was destroyed")
		}
		again := c.targetFrom(t, tg.DataDir)
		if _, err := Restore(ctx, out, again); !errors.Is(err, ErrKeyDestroyed) {
			t.Errorf("Restore of the expired backup = %v, want ErrKeyDestroyed", err)
		}
		ev, err := r.DB.AuditEvents(ctx, audit.Filter{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range ev {
			found = found || (e.Action == "backup.key_destroyed" && e.RecordID == got.Period)
		}
		if !found {
			t.Error("the key's destruction is not in the audit log")
		}
	})
}

func supervisor(t *testing.T, a *app.App) auth.Actor {
	t.Helper()
	staff, err := a.Auth.ListStaff(ctx, auth.System())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range staff {
		if s.Role == auth.RoleSupervisor {
			return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
		}
	}
	t.Fatal("no supervisor")
	return auth.Actor{}
}

// TestBadBackupsAreRefused: a backup opened with the wrong key, cut short or
// altered anywhere is refused with a clear error and the target is left
// exactly as it was; a restore over a database with data needs Force.
func TestBadBackupsAreRefused(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		c := newCity(t, dbURL)
		out, _ := c.backup(t)
		good, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		write := func(name string, b []byte) string {
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		flip := func(at int) []byte {
			b := append([]byte(nil), good...)
			b[at] ^= 0x20
			return b
		}
		// another replaces one base64 letter of the header with another.
		another := func(at int) []byte {
			b := append([]byte(nil), good...)
			b[at] = map[bool]byte{true: 'B', false: 'A'}[b[at] == 'A']
			return b
		}
		// A key file with a key of the same period, but not this one.
		other := c.freshTarget(t)
		os.Remove(filepath.Join(other.DataDir, KeysFile))
		otherKeys, err := OpenKeys(filepath.Join(other.DataDir, KeysFile), periods)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := otherKeys.Current(c.clock.Now()); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			file string
			keys *Keys
			want error
		}{
			{"wrong key", out, otherKeys, ErrWrongKey},
			{"truncated at the end", write("cut.bk", good[:len(good)-100]), nil, ErrDamaged},
			{"truncated in the middle", write("half.bk", good[:len(good)/2]), nil, ErrDamaged},
			{"byte altered in the middle", write("flip.bk", flip(len(good)/2)), nil, ErrDamaged},
			{"byte altered near the end", write("flip2.bk", flip(len(good)-40)), nil, ErrDamaged},
			{"age header MAC altered", write("flip3.bk", flip(bytes.Index(good, []byte("\n--- "))+8)), nil, ErrDamaged},
			// An altered recipient stanza cannot be told from a wrong key.
			{"age recipient stanza altered", write("flip4.bk", another(bytes.Index(good, []byte("\n-> X25519 "))+14)), nil, ErrWrongKey},
			{"not a backup", write("junk.bk", []byte("hello\n")), nil, ErrNotBackup},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tg := c.freshTarget(t)
				if tc.keys != nil {
					tg.Keys = tc.keys
				}
				_, err := Restore(ctx, tc.file, tg)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Restore = %v, want %v", err, tc.want)
				}
				ents, _ := os.ReadDir(tg.DataDir)
				for _, e := range ents {
					if e.Name() != "master.key" && e.Name() != KeysFile {
						t.Errorf("a refused restore left %s in the data directory", e.Name())
					}
				}
				if tg.DBURL != "" {
					db, err := store.Open(ctx, tg.DBURL)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					if empty, err := db.Empty(ctx); err != nil || !empty {
						t.Errorf("a refused restore wrote to the database (empty %v, %v)", empty, err)
					}
				}
			})
		}

		t.Run("over a database with data", func(t *testing.T) {
			tg := c.freshTarget(t)
			if _, err := Restore(ctx, out, tg); err != nil {
				t.Fatal(err)
			}
			r, err := app.Open(ctx, app.Options{DataDir: tg.DataDir, DBURL: tg.DBURL, Now: c.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Enroll.Submit(ctx, supervisor(t, r), "", enroll.Intake{}); err == nil {
				t.Fatal("an empty intake was accepted")
			}
			events, _ := r.DB.CountRows(ctx, "audit_events")
			r.Close()
			_, err = Restore(ctx, out, tg)
			if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("Restore over data = %v, want ErrNotEmpty naming --force", err)
			}
			r, err = app.Open(ctx, app.Options{DataDir: tg.DataDir, DBURL: tg.DBURL, Now: c.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if n, _ := r.DB.CountRows(ctx, "audit_events"); n != events {
				t.Errorf("a refused restore changed the audit log: %d events, want %d", n, events)
			}
			r.Close()
			tg.Force = true
			if _, err := Restore(ctx, out, tg); err != nil {
				t.Fatalf("Restore with Force: %v", err)
			}
		})
	})
}
