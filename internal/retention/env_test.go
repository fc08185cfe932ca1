package retention_test

import (
	. "github.com/cityid/cityid/internal/retention"

	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
)

var ctx = context.Background()

// clock is a settable time source shared by the app, the card service and
// the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }
func (c *clock) AddDays(n int)       { c.Set(c.Now().AddDate(0, 0, n)) }

var start = time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)

type env struct {
	dir        string
	dbURL      string // "" for SQLite in dir
	app        *app.App
	cards      *card.Service
	clock      *clock
	clerk      auth.Actor
	supervisor auth.Actor
	approver   auth.Actor // approves, so that supervisor may issue (four eyes)
}

func newEnv(t testing.TB, dbURL string) *env {
	t.Helper()
	clk := &clock{t: start}
	a := apptest.Open(t, dbURL, clk.Now)
	st := apptest.Site(t, a, "City Hall", site.KindCityHall)
	return &env{dir: a.DataDir, dbURL: dbURL, app: a, cards: a.Cards, clock: clk,
		clerk: apptest.Staff(t, a, "clerk", auth.RoleClerk, st.ID), supervisor: apptest.Staff(t, a, "super", auth.RoleSupervisor, st.ID),
		approver: apptest.Staff(t, a, "approver", auth.RoleSupervisor, st.ID)}
}

// each runs fn on SQLite and, when CITYID_TEST_POSTGRES is set, PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	apptest.Each(t, func(t *testing.T, dbURL string) { fn(t, newEnv(t, dbURL)) })
}

// engine returns an engine over e with policy p, clocked by e.clock.
func (e *env) engine(t testing.TB, p Policy, o Options) *Engine {
	t.Helper()
	o.Now, o.Rand = e.clock.Now, rand.Reader
	eng, err := New(e.app.DB, e.app.Vault, e.app.Keys.MatchKey(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

var defaultPolicy = Policy{DraftDays: 30, RejectedDays: 90, CardholderAfterExpiryDays: 365, NoListGraceDays: 30}

// fullPolicy has a rule for every class, as the settings require.
var fullPolicy = Policy{DraftDays: 30, RejectedDays: 90, PendingDays: 365, ApprovedDays: 180, UncollectedDays: 90,
	CardholderAfterExpiryDays: 365, TicketDays: 30, NoListGraceDays: 30}

var secondSurnames = []string{"Mamani", "Condori", "Huamán", "Flores", "Rojas", "Vargas", "Torres", "Ramos", "Cruz", "Díaz"}

// resident returns a distinct intake; n makes names and dates unique.
func resident(n int, given string) enroll.Intake {
	return enroll.Intake{
		Person: person.Person{
			GivenNames: given, FirstSurname: "Quispe", SecondSurname: secondSurnames[n%len(secondSurnames)],
			DateOfBirth: person.Date{Year: 1960 + n%40, Month: time.Month(1 + n%12), Day: 1 + n%27}, Sex: person.SexFemale,
			Address:  person.Address{Line1: fmt.Sprintf("%d Chapel St", 100+n), City: "New Haven", State: "CT", PostalCode: "06511"},
			Language: "es", Phone: "203-555-0100",
		},
		Documents: []evidence.Shown{
			{Type: "passport", Issuer: "Peru", Expires: person.Date{Year: 2030, Month: 1, Day: 1}},
			{Type: "lease"},
		},
		Photo:          testPhoto(),
		Payment:        fee.Payment{Method: "cash", AmountCents: 1000},
		IdempotencyKey: fmt.Sprintf("k%d-%s", n, given),
	}
}

// testPhoto is a plain face-like PNG the intake accepts.
func testPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 480; x++ {
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
		panic(err)
	}
	return buf.Bytes()
}

func (e *env) draft(t testing.TB, in enroll.Intake) *enroll.Application {
	t.Helper()
	a, err := e.app.Enroll.SaveDraft(ctx, e.clerk, "", in)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	return a
}

func (e *env) submitted(t testing.TB, in enroll.Intake) *enroll.Application {
	t.Helper()
	a, err := e.app.Enroll.Submit(ctx, e.clerk, "", in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return a
}

func (e *env) rejected(t testing.TB, in enroll.Intake) *enroll.Application {
	t.Helper()
	a := e.submitted(t, in)
	if err := e.app.Enroll.Reject(ctx, e.supervisor, a.ID, "not_resident", "moved away"); err != nil {
		t.Fatalf("Reject: %v", err)
	}
	return a
}

func (e *env) approved(t testing.TB, in enroll.Intake) *enroll.Application {
	t.Helper()
	a := e.submitted(t, in)
	if err := e.app.Enroll.Approve(ctx, e.approver, a.ID, ""); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	return a
}

// cardholder issues a card, marks it printed and, when handOver, handed over.
func (e *env) cardholder(t testing.TB, in enroll.Intake, handOver bool) (*enroll.Application, card.Card) {
	t.Helper()
	a := e.approved(t, in)
	c, err := e.cards.Issue(ctx, e.supervisor, a.ID)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	err = e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		now := e.clock.Now()
		if err := tx.MarkCardPrinted(ctx, c.ID, c.KeyID, now); err != nil {
			return err
		}
		if handOver {
			return tx.MarkCardHandedOver(ctx, c.ID, now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// whole reports whether application id still opens with its personal data.
func (e *env) whole(id string) bool {
	a, err := e.app.Enroll.Get(ctx, e.supervisor, id, enroll.PurposeFraudReview)
	return err == nil && a.Person.GivenNames != ""
}

// exists reports whether the application row exists.
func (e *env) exists(t testing.TB, id string) bool {
	t.Helper()
	_, err := e.app.DB.Application(ctx, id)
	return err == nil
}
