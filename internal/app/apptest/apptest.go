// Package apptest opens real cityid data directories for tests: SQLite in a
// temporary directory or a fresh PostgreSQL schema, cheap password hashing,
// and helpers for the sites and staff most tests need.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store/storetest"
)

// Password is the password of every account Staff creates.
const Password = "tangerine lighthouse across seventeen rivers"

// Open opens a new data directory in t.TempDir() (on PostgreSQL when dbURL
// is set) with the given clock (nil: the real one) and closes it at cleanup.
func Open(t testing.TB, dbURL string, now func() time.Time) *app.App {
	t.Helper()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "data"), DBURL: dbURL, Create: true, Now: now, Auth: &opts})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// Each runs fn on SQLite and, when CITYID_TEST_POSTGRES is set, on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) {
		url, ok := storetest.PostgresURL(t)
		if !ok {
			t.Skipf("%s not set", storetest.EnvPostgres)
		}
		fn(t, url)
	})
}

// Site creates a site.
func Site(t testing.TB, a *app.App, name, kind string) site.Site {
	t.Helper()
	s, err := a.Sites.Create(context.Background(), auth.System(), site.Site{Name: name, Kind: kind})
	if err != nil {
		t.Fatalf("create site %s: %v", name, err)
	}
	return s
}

// Staff creates an account (password Password) and returns it as an actor.
func Staff(t testing.TB, a *app.App, username string, role auth.Role, siteID string) auth.Actor {
	t.Helper()
	s, err := a.Auth.CreateStaff(context.Background(), auth.System(), auth.NewStaff{Username: username, DisplayName: username, Role: role, SiteID: siteID, Password: Password})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", username, err)
	}
	return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}
}

// Photo returns a plain 480×600 PNG: a face-coloured oval on a light
// background, which intake accepts and re-encodes.
func Photo(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 600))
	for y := range 600 {
		for x := range 480 {
			dx, dy := float64(x-240)/120, float64(y-260)/160
			c := color.RGBA{0xe8, 0xee, 0xf4, 0xff}
			if dx*dx+dy*dy <= 1 {
				c = color.RGBA{0xc8, 0x96, 0x64, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Residents creates a site "City Hall" with a clerk and a supervisor, and
// submits rejected+pending complete intakes through enroll, rejecting the
// first rejected of them. It returns the application ids.
func Residents(t testing.TB, a *app.App, rejected, pending int) []string {
	t.Helper()
	ctx := context.Background()
	st := Site(t, a, "City Hall", site.KindCityHall)
	clerk, sup := Staff(t, a, "clerk", auth.RoleClerk, st.ID), Staff(t, a, "super", auth.RoleSupervisor, st.ID)
	photo := Photo(t)
	names := []string{"Amaru", "Killa", "Sisa", "Wayra", "Inti", "Nina", "Urpi", "Yupanqui"}
	var ids []string
	for i := range rejected + pending {
		in := enroll.Intake{
			Person: person.Person{GivenNames: names[i%len(names)], FirstSurname: "Quispe", SecondSurname: "Mamani",
				DateOfBirth: person.Date{Year: 1970 + i, Month: 4, Day: 2}, Sex: person.SexX,
				Address:  person.Address{Line1: "10 Chapel St", City: "New Haven", State: "CT", PostalCode: "06511"},
				Language: "es"},
			Documents: []evidence.Shown{{Type: "passport", Issuer: "Bolivia", Expires: person.Date{Year: 2031, Month: 1, Day: 1}},
				{Type: "lease"}},
			Photo: photo, Payment: fee.Payment{Method: "cash", AmountCents: 1000}, IdempotencyKey: fmt.Sprintf("key-%d", i),
		}
		got, err := a.Enroll.Submit(ctx, clerk, "", in)
		if err != nil {
			t.Fatal(err)
		}
		if i < rejected {
			if err := a.Enroll.Reject(ctx, sup, got.ID, "not_resident", ""); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, got.ID)
	}
	return ids
}
