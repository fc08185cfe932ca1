package card_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/verify"
	"github.com/cityid/cityid/internal/zxingtest"
)

var ctx = context.Background()

// clock is a settable time source shared by the app and the card service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type env struct {
	app        *app.App
	cards      *card.Service
	keys       *signing.Keyring
	clock      *clock
	clerk      auth.Actor
	supervisor auth.Actor
	approver   auth.Actor // approves, so that supervisor may issue (four eyes)
}

var start = time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, dbURL string) *env {
	t.Helper()
	clk := &clock{t: start}
	a := apptest.Open(t, dbURL, clk.Now)
	st := apptest.Site(t, a, "City Hall", site.KindCityHall)
	// The data directory's own card service and keyring (sealed under its master key).
	return &env{app: a, cards: a.Cards, keys: a.Keyring, clock: clk,
		clerk: apptest.Staff(t, a, "clerk", auth.RoleClerk, st.ID), supervisor: apptest.Staff(t, a, "super", auth.RoleSupervisor, st.ID),
		approver: apptest.Staff(t, a, "approver", auth.RoleSupervisor, st.ID)}
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	apptest.Each(t, func(t *testing.T, dbURL string) { fn(t, newEnv(t, dbURL)) })
}

func testPhoto(t testing.TB) []byte {
	t.Helper()
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
		t.Fatal(err)
	}
	return buf.Bytes()
}

// approved submits and approves an application for José Ñúñez Peña, who
// chooses to print sex, address and veteran status unless key ends in
// "-plain".
func (e *env) approved(t testing.TB, key string) *enroll.Application {
	t.Helper()
	a, err := e.app.Enroll.Submit(ctx, e.clerk, "", enrollIntake(t, key))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	// Four eyes: another supervisor approves than the one who issues.
	if err := e.app.Enroll.Approve(ctx, e.approver, a.ID, ""); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	return a
}

// enrollIntake is José Ñúñez Peña's complete intake (see approved).
func enrollIntake(t testing.TB, key string) enroll.Intake {
	t.Helper()
	extras := !strings.HasSuffix(key, "-plain")
	in := enroll.Intake{
		Person: person.Person{
			GivenNames: "José Luis", FirstSurname: "Ñúñez", SecondSurname: "Peña",
			DateOfBirth: person.Date{Year: 1985, Month: 7, Day: 14}, Sex: person.SexMale, PrintSex: extras,
			Address:      person.Address{Line1: "200 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"},
			PrintAddress: extras, Language: "es", Veteran: extras,
		},
		Documents: []evidence.Shown{
			{Type: "passport", Issuer: "Ecuador", Expires: person.Date{Year: 2029, Month: 1, Day: 1}},
			{Type: "lease"},
		},
		Photo: testPhoto(t), Payment: fee.Payment{Method: "cash", AmountCents: 1000}, IdempotencyKey: key,
	}
	return in
}

func (e *env) issue(t testing.TB, key string) card.Card {
	t.Helper()
	a := e.approved(t, key)
	c, err := e.cards.Issue(ctx, e.supervisor, a.ID)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return c
}

// holder opens c's application and the active signing key, as printing does.
func (e *env) holder(t testing.TB, c card.Card) (*enroll.Application, signing.Signer) {
	t.Helper()
	app, err := e.app.Enroll.Get(ctx, e.supervisor, c.ApplicationID, enroll.PurposeReview)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := e.keys.Active()
	if err != nil {
		t.Fatal(err)
	}
	return app, signer
}

// payload returns the signed QR payload printed on c.
func (e *env) payload(t testing.TB, c card.Card) string {
	t.Helper()
	app, signer := e.holder(t, c)
	p, err := e.cards.ArtworkPayloadForTest(ctx, app, c, signer)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIssue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.approved(t, "k1")
		if _, err := e.cards.Issue(ctx, e.clerk, a.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("Issue by a clerk err = %v, want errs.ErrForbidden", err)
		}
		c, err := e.cards.Issue(ctx, e.supervisor, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		today := person.DateOf(start.In(e.cards.LocationForTest()))
		if c.Status != card.StatusActive || c.Kind != card.KindNew || c.IssuedOn != today || c.ExpiresOn != today.AddYears(5) {
			t.Errorf("Issue = %s %s issued %s expires %s; want active new card issued %s for 5 years", c.Status, c.Kind, c.IssuedOn, c.ExpiresOn, today)
		}
		if _, err := card.ParseNumber(c.Number.Compact()); err != nil || c.StatusIndex < 0 || c.StatusIndex >= card.MinListSizeForTest {
			t.Errorf("Issue number %q (%v), index %d; want a valid number and an index in [0, %d)", c.Number, err, c.StatusIndex, card.MinListSizeForTest)
		}
		if _, err := e.cards.Issue(ctx, e.supervisor, a.ID); !errors.Is(err, card.ErrState) {
			t.Errorf("second Issue err = %v, want card.ErrState", err)
		}
		got, err := e.app.Enroll.Get(ctx, e.supervisor, a.ID, enroll.PurposeReview)
		if err != nil || got.Status != enroll.StatusIssued {
			t.Errorf("application after Issue = %v, %v; want issued", got.Status, err)
		}
		q, err := e.cards.Queue(ctx, 10)
		if err != nil || len(q) != 1 || q[0].ID != c.ID {
			t.Errorf("Queue = %v, %v; want the new card", q, err)
		}
		events, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordType: "card", RecordID: c.ID})
		if err != nil || len(events) != 1 || events[0].Action != "card.issue" {
			t.Errorf("audit for the card = %+v, %v; want one card.issue", events, err)
		}
	})
}

// servedList fetches list id through the HTTP handler and parses it with
// the published keys, as a verifier would.
func (e *env) servedList(t *testing.T, id, accept string) *statuslist.List {
	t.Helper()
	srv := httptest.NewServer(e.cards.StatusListHandler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+card.StatusPath+id, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET status list = %s", resp.Status)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=900" {
		t.Errorf("Cache-Control = %q, want public, max-age=900 (the 15-minute ttl)", cc)
	}
	// A conditional request with the ETag is answered 304.
	req2, _ := http.NewRequest(http.MethodGet, srv.URL+card.StatusPath+id, nil)
	req2.Header.Set("Accept", accept)
	req2.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp2, err := http.DefaultClient.Do(req2); err != nil || resp2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %v, %v; want 304", resp2.Status, err)
	} else {
		resp2.Body.Close()
	}
	pub, err := e.keys.Published()
	if err != nil {
		t.Fatal(err)
	}
	keyFor := func(kid string) (crypto.PublicKey, error) {
		k, ok := pub.Lookup(kid)
		if !ok {
			return nil, errors.New("unknown key")
		}
		return k.Public, nil
	}
	parse := statuslist.ParseJWT
	if resp.Header.Get("Content-Type") == statuslist.CWTType {
		parse = statuslist.ParseCWT
	}
	l, meta, err := parse(body.Bytes(), keyFor, e.clock.Now())
	if err != nil {
		t.Fatalf("parse served list (%s): %v", resp.Header.Get("Content-Type"), err)
	}
	if meta.URI != "https://id.newhavenct.gov/status/"+id {
		t.Errorf("served list sub = %q, want the list URI", meta.URI)
	}
	return l
}

func TestLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		steps := []struct {
			name   string
			do     func() (card.Card, error)
			err    error
			status card.Status
			entry  statuslist.Status
		}{
			{"bad reason", func() (card.Card, error) { return e.cards.Suspend(ctx, e.supervisor, c.ID, "whim") }, card.ErrReason, card.StatusActive, statuslist.Valid},
			{"clerk suspends", func() (card.Card, error) { return e.cards.Suspend(ctx, e.clerk, c.ID, "investigation") }, errs.ErrForbidden, card.StatusActive, statuslist.Valid},
			{"reinstate active", func() (card.Card, error) { return e.cards.Reinstate(ctx, e.supervisor, c.ID, "resolved") }, card.ErrState, card.StatusActive, statuslist.Valid},
			{"suspend", func() (card.Card, error) { return e.cards.Suspend(ctx, e.supervisor, c.ID, "investigation") }, nil, card.StatusSuspended, statuslist.Suspended},
			{"suspend again", func() (card.Card, error) { return e.cards.Suspend(ctx, e.supervisor, c.ID, "investigation") }, card.ErrState, card.StatusSuspended, statuslist.Suspended},
			{"reinstate", func() (card.Card, error) { return e.cards.Reinstate(ctx, e.supervisor, c.ID, "resolved") }, nil, card.StatusActive, statuslist.Valid},
			{"revoke", func() (card.Card, error) { return e.cards.Revoke(ctx, e.supervisor, c.ID, "fraud") }, nil, card.StatusRevoked, statuslist.Invalid},
			{"reinstate revoked", func() (card.Card, error) { return e.cards.Reinstate(ctx, e.supervisor, c.ID, "resolved") }, card.ErrState, card.StatusRevoked, statuslist.Invalid},
			{"replace revoked", func() (card.Card, error) {
				return e.cards.Replace(ctx, e.supervisor, c.ID, "lost", fee.Payment{Method: "cash", AmountCents: 1000})
			}, card.ErrState, card.StatusRevoked, statuslist.Invalid},
		}
		for _, st := range steps {
			_, err := st.do()
			if !errors.Is(err, st.err) || (st.err == nil && err != nil) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.err)
			}
			got, err := e.cards.Get(ctx, c.ID)
			if err != nil || got.Status != st.status {
				t.Errorf("%s: status = %s, %v; want %s", st.name, got.Status, err, st.status)
			}
			for _, format := range []string{statuslist.JWTContentType, statuslist.CWTType} {
				if v, err := e.servedList(t, c.StatusListID, format).Get(c.StatusIndex); err != nil || v != st.entry {
					t.Errorf("%s: served %s entry %d = %v, %v; want %v", st.name, format, c.StatusIndex, v, err, st.entry)
				}
			}
		}
	})
}

func TestVerifyBeforeAndAfterRevoke(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		p := e.payload(t, c)
		if res := e.cards.Verify(ctx, "bank_1", p); !res.Valid || res.Status != verify.StatusValid || res.Claims["fullName"] != "José Luis Ñúñez Peña" {
			t.Fatalf("Verify(issued card) = %+v, want valid for José Luis Ñúñez Peña", res)
		}
		if _, err := e.cards.Revoke(ctx, e.supervisor, c.ID, "fraud"); err != nil {
			t.Fatal(err)
		}
		if res := e.cards.Verify(ctx, "bank_1", p); res.Valid || res.Reason != verify.ReasonRevoked {
			t.Errorf("Verify(revoked card) = valid %v reason %q, want invalid with reason revoked", res.Valid, res.Reason)
		}
		e.cards.Verify(ctx, "", "NOT-A-CARD")
		counts, err := e.cards.Counts(ctx, e.supervisor, "2026-01-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"bank_1/valid": 1, "bank_1/revoked": 1, "public/malformed": 1}
		got := map[string]int64{}
		for _, v := range counts {
			got[v.Partner+"/"+v.Outcome] += v.Checks
		}
		if len(got) != len(want) || got["bank_1/valid"] != 1 || got["bank_1/revoked"] != 1 || got["public/malformed"] != 1 {
			t.Errorf("counters = %v, want %v (counts only)", got, want)
		}
	})
}

func TestRenewalWindow(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		old := e.payload(t, c)
		pay := fee.Payment{Method: "cash", AmountCents: 1000}
		expiry := c.ExpiresOn.Time().Add(15 * time.Hour)
		for _, tt := range []struct {
			name string
			at   time.Time
			err  error
		}{
			{"right after issue", start, card.ErrWindow},
			{"61 days before expiry", expiry.AddDate(0, 0, -61), card.ErrWindow},
			{"181 days after expiry", expiry.AddDate(0, 0, 181), card.ErrWindow},
		} {
			e.clock.Set(tt.at)
			if _, err := e.cards.Renew(ctx, e.supervisor, c.ID, pay); !errors.Is(err, tt.err) {
				t.Errorf("Renew %s: err = %v, want %v", tt.name, err, tt.err)
			}
		}
		e.clock.Set(expiry.AddDate(0, 0, -30))
		if _, err := e.cards.Renew(ctx, e.supervisor, c.ID, fee.Payment{}); err == nil {
			t.Error("Renew without payment succeeded, want a card.PaymentError")
		}
		n, err := e.cards.Renew(ctx, e.supervisor, c.ID, pay)
		if err != nil {
			t.Fatalf("Renew 30 days before expiry: %v", err)
		}
		today := person.DateOf(e.clock.Now().In(e.cards.LocationForTest()))
		if n.Kind != card.KindRenewal || n.Replaces != c.ID || n.ExpiresOn != today.AddYears(5) || n.Number == c.Number {
			t.Errorf("renewal = %+v; want a new number replacing %s, valid 5 years from %s", n, c.ID, today)
		}
		if got, _ := e.cards.Get(ctx, c.ID); got.Status != card.StatusReplaced || got.ReplacedBy != n.ID {
			t.Errorf("old card = %s replaced by %q; want replaced by %s", got.Status, got.ReplacedBy, n.ID)
		}
		if res := e.cards.Verify(ctx, "p", old); res.Valid || res.Reason != verify.ReasonRevoked {
			t.Errorf("Verify(renewed card's old QR) = valid %v reason %q, want revoked", res.Valid, res.Reason)
		}
		if res := e.cards.Verify(ctx, "p", e.payload(t, n)); !res.Valid {
			t.Errorf("Verify(new card) = %+v, want valid", res)
		}
	})
}

func TestReplacementFee(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		var pe *card.PaymentError
		if _, err := e.cards.Replace(ctx, e.supervisor, c.ID, "lost", fee.Payment{Method: "cash", AmountCents: 500}); !errors.As(err, &pe) {
			t.Errorf("Replace paying $5 of $10: err = %v, want a card.PaymentError", err)
		}
		if _, err := e.cards.Replace(ctx, e.supervisor, c.ID, "bored", fee.Payment{Method: "cash", AmountCents: 1000}); !errors.Is(err, card.ErrReason) {
			t.Errorf("Replace for an unknown reason: err = %v, want card.ErrReason", err)
		}
		n, err := e.cards.Replace(ctx, e.supervisor, c.ID, "stolen", fee.Payment{Method: "waiver", WaiverReason: "hardship"})
		if err != nil {
			t.Fatal(err)
		}
		if n.Kind != card.KindReplacement || n.FeeCents != 0 || n.WaiverReason != "hardship" || n.ExpiresOn != c.ExpiresOn {
			t.Errorf("replacement = %+v; want a waived replacement keeping expiry %s", n, c.ExpiresOn)
		}
		if v, _ := e.servedList(t, c.StatusListID, "").Get(c.StatusIndex); v != statuslist.Invalid {
			t.Errorf("old card's entry = %v, want invalid", v)
		}
		if _, err := e.cards.Replace(ctx, e.supervisor, c.ID, "lost", fee.Payment{Method: "cash", AmountCents: 1000}); !errors.Is(err, card.ErrState) {
			t.Errorf("replacing a replaced card: err = %v, want card.ErrState", err)
		}
	})
}

func TestPrintHandOverReprint(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a, b := e.issue(t, "k1"), e.issue(t, "k2-plain")
		if _, err := e.cards.HandOver(ctx, e.clerk, a.ID); !errors.Is(err, card.ErrState) {
			t.Errorf("HandOver before printing: err = %v, want card.ErrState", err)
		}
		pdf, err := e.cards.Print(ctx, e.supervisor, []string{a.ID, b.ID}, card.CardPages)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(regexp.MustCompile(`/Type /Page\b`).FindAll(pdf, -1)); n != 4 {
			t.Errorf("batch PDF has %d pages, want 4 (front and back of 2 cards)", n)
		}
		if q, _ := e.cards.Queue(ctx, 10); len(q) != 0 {
			t.Errorf("queue after printing = %d cards, want 0", len(q))
		}
		if _, err := e.cards.HandOver(ctx, e.clerk, a.ID); err != nil {
			t.Fatal(err)
		}
		// Reprint within the grace period, then not.
		if _, err := e.cards.Print(ctx, e.supervisor, []string{a.ID}, card.CardPages); err != nil {
			t.Errorf("reprint the day of handover: %v", err)
		}
		e.clock.Set(start.AddDate(0, 0, e.app.Settings.Retention.NoListGraceDays+1))
		if _, err := e.cards.Print(ctx, e.supervisor, []string{a.ID}, card.CardPages); !errors.Is(err, card.ErrReprint) {
			t.Errorf("reprint after the grace period: err = %v, want card.ErrReprint", err)
		}
		got, _ := e.cards.Get(ctx, a.ID)
		if got.PrintCount != 2 {
			t.Errorf("print count = %d, want 2", got.PrintCount)
		}
		png, err := e.cards.Preview(ctx, e.clerk, b.ID, card.Front)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("Preview = %d bytes, %v; want a PNG", len(png), err)
		}
	})
}

func TestKeysHandlers(t *testing.T) {
	e := newEnv(t, "")
	for path, h := range map[string]http.Handler{"/.well-known/jwks.json": e.cards.JWKSHandler(), "/.well-known/cose-keys": e.cards.COSEKeysHandler()} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var parse func([]byte) (*signing.KeySet, error) = signing.ParseJWKS
		if path == "/.well-known/cose-keys" {
			parse = signing.ParseCOSE
		}
		set, err := parse(rec.Body.Bytes())
		if rec.Code != 200 || err != nil || len(set.Keys()) != 1 {
			t.Errorf("GET %s = %d, %v, %d keys; want one key", path, rec.Code, err, len(set.Keys()))
		}
	}
}

// TestPreviewBackScansAndVerifies reads the QR off the 300-dpi preview of
// the back with ZXingReader, as a verifier's phone would, and verifies it.
func TestPreviewBackScansAndVerifies(t *testing.T) {
	e := newEnv(t, "")
	c := e.issue(t, "k1")
	back, err := e.cards.Preview(ctx, e.supervisor, c.ID, card.Back)
	if err != nil {
		t.Fatal(err)
	}
	out := zxingtest.ReadPNG(t, back, "QRCode")
	res := e.cards.Verify(ctx, "desk", string(out))
	if !res.Valid || res.Claims["id"] != c.Number.Compact() {
		t.Errorf("Verify(scanned preview) = %+v, want valid for card %s", res, c.Number.Compact())
	}
}

// TestConcurrentIssue issues cards in parallel: every card gets its own
// number and status-list index even when writers collide.
func TestConcurrentIssue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 8
		var apps []*enroll.Application
		for i := range n {
			apps = append(apps, e.approved(t, "c"+strconv.Itoa(i)))
		}
		var wg sync.WaitGroup
		cards := make([]card.Card, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cards[i], errs[i] = e.cards.Issue(ctx, e.supervisor, apps[i].ID)
			}()
		}
		wg.Wait()
		idx, nums := map[int]bool{}, map[string]bool{}
		for i, c := range cards {
			if errs[i] != nil {
				t.Fatalf("Issue %d: %v", i, errs[i])
			}
			idx[c.StatusIndex], nums[c.Number.Compact()] = true, true
		}
		if len(idx) != n || len(nums) != n {
			t.Errorf("%d cards got %d distinct indexes and %d distinct numbers, want %d each", n, len(idx), len(nums), n)
		}
		l, err := e.app.DB.StatusList(ctx, cards[0].StatusListID)
		if err != nil || l.Used != n {
			t.Errorf("status list used = %d, %v; want %d", l.Used, err, n)
		}
	})
}

func TestExpireDue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		p := e.payload(t, c)
		e.clock.Set(c.ExpiresOn.Time().AddDate(0, 0, 2))
		if got := c.EffectiveStatus(person.DateOf(e.clock.Now())); got != card.StatusExpired {
			t.Errorf("EffectiveStatus after expiry = %s, want expired", got)
		}
		n, err := e.cards.ExpireDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
		}
		if got, _ := e.cards.Get(ctx, c.ID); got.Status != card.StatusExpired {
			t.Errorf("status after ExpireDue = %s, want expired", got.Status)
		}
		if res := e.cards.Verify(ctx, "p", p); res.Valid || res.Reason != verify.ReasonExpired {
			t.Errorf("Verify(expired card) = valid %v reason %q, want expired", res.Valid, res.Reason)
		}
		if _, err := e.cards.Replace(ctx, e.supervisor, c.ID, "lost", fee.Payment{Method: "cash", AmountCents: 1000}); !errors.Is(err, card.ErrState) {
			t.Errorf("Replace(expired card) err = %v, want card.ErrState (renew instead)", err)
		}
		if _, err := e.cards.Renew(ctx, e.supervisor, c.ID, fee.Payment{Method: "cash", AmountCents: 1000}); err != nil {
			t.Errorf("Renew(expired card, 2 days after expiry) = %v, want a new card", err)
		}
		if n, err := e.cards.ExpireDue(ctx); err != nil || n != 0 {
			t.Errorf("second ExpireDue = %d, %v; want 0", n, err)
		}
	})
}

// FuzzVerify feeds arbitrary text to the verifier endpoint's function: it
// must never panic, never call garbage valid, and always give a reason.
func FuzzVerify(f *testing.F) {
	e := newEnv(f, "")
	c := e.issue(f, "k1")
	good := e.payload(f, c)
	for _, s := range []string{good, good[:len(good)/2], good + "A", "", "HC1:6BF", "NCFOXN%TSMAHN-H", "::::", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		res := e.cards.Verify(ctx, "fuzz", payload)
		if res.Valid && payload != good {
			t.Fatalf("Verify(%q) = valid; only the genuine payload is", payload)
		}
		if !res.Valid && res.Reason == "" {
			t.Fatalf("Verify(%q) = invalid without a reason", payload)
		}
	})
}

// TestValidThroughPrintedDayInTimeZone: a New Haven card (America/New_York)
// is still valid at 8 p.m. and 11:59 p.m. local time on the expiry day
// printed on it, and expired a minute after midnight; it is valid from the
// start of its printed issue day, not the evening before.
func TestValidThroughPrintedDayInTimeZone(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		if loc := e.cards.LocationForTest(); loc.String() != ny.String() {
			t.Fatalf("program time zone %v, want America/New_York (New Haven's profile)", loc)
		}
		c := e.issue(t, "k1")
		p := e.payload(t, c)
		at := func(d person.Date, h, m int) time.Time { return time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, ny) }
		dayBefore := person.DateOf(c.IssuedOn.Time().AddDate(0, 0, -1))
		for _, tc := range []struct {
			name   string
			when   time.Time
			reason string
		}{
			{"expiry day 8 p.m.", at(c.ExpiresOn, 20, 0), ""},
			{"expiry day 11:59 p.m.", at(c.ExpiresOn, 23, 59), ""},
			{"day after 12:01 a.m.", at(c.ExpiresOn, 24, 1), verify.ReasonExpired},
			{"issue day 12:01 a.m.", at(c.IssuedOn, 0, 1), ""},
			{"evening before issue", at(dayBefore, 21, 0), verify.ReasonNotYetValid},
		} {
			e.clock.Set(tc.when)
			res := e.cards.Verify(ctx, "bank_1", p)
			if res.Valid != (tc.reason == "") || res.Reason != tc.reason {
				t.Errorf("%s (%s, card printed %s–%s): valid %v reason %q, want reason %q", tc.name, tc.when.Format(time.RFC3339),
					c.IssuedOn, c.ExpiresOn, res.Valid, res.Reason, tc.reason)
			}
		}
	})
}

// TestPrintedDatesUnambiguous: the card front prints dates with a named
// month in both card languages, never as 07/14/1985, which a Spanish reader
// takes for day/month.
func TestPrintedDatesUnambiguous(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.issue(t, "k1")
		app, signer := e.holder(t, c)
		fields, err := e.cards.FrontFieldsForTest(ctx, app, c, signer)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"Date of birth / Fecha de nacimiento": "14 JUL 1985",
			"Issued / Expedida":                   "10 MAR 2026",
			"Expires / Vence":                     "10 MAR 2031",
		}
		for label, v := range want {
			if fields[label] != v {
				t.Errorf("front %q = %q, want %q (all fields: %v)", label, fields[label], v, fields)
			}
		}
	})
}

// TestRefusalsAudited: a refused card action and a lost report with no
// card to suspend change nothing, and their events go through the audit
// group commit (store.DB.Audit) rather than a transaction each; every one
// is still on the log once the call returns, with its outcome, and twenty
// at once leave the chain intact. (The lost report's event carried an
// outcome the log refuses, "no_active_card", so before this test none was
// ever written: the resident site logged "lost-card report not audited".)
func TestRefusalsAudited(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.approved(t, "refused")
		var wg sync.WaitGroup
		errc := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, err := e.cards.Issue(ctx, e.clerk, a.ID)
					if !errors.Is(err, errs.ErrForbidden) {
						errc <- fmt.Errorf("Issue by a clerk err = %v, want errs.ErrForbidden", err)
					}
					return
				}
				if err := e.cards.RecordLostReport(ctx, a.ID); err != nil {
					errc <- fmt.Errorf("RecordLostReport: %v", err)
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		denied, lost := 0, 0
		for _, filter := range []audit.Filter{{RecordType: "card", RecordID: a.ID}, {RecordType: "application", RecordID: a.ID}} {
			events, err := e.app.DB.AuditEvents(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				switch {
				case ev.Action == "card.issue" && ev.Outcome == audit.OutcomeDenied && ev.Actor == e.clerk.StaffID:
					denied++
				case ev.Action == "card.report_lost" && ev.Outcome == audit.OutcomeOK && ev.Purpose == "no_active_card":
					lost++
				}
			}
		}
		if denied != 10 || lost != 10 {
			t.Errorf("audit log: %d refused issues and %d lost reports, want 10 and 10", denied, lost)
		}
		var all []audit.Event
		if err := e.app.DB.WalkAudit(ctx, func(ev audit.Event) error { all = append(all, ev); return nil }); err != nil {
			t.Fatal(err)
		}
		i := 0
		if _, problem, err := audit.Verify(func() (audit.Event, bool, error) {
			if i == len(all) {
				return audit.Event{}, false, nil
			}
			i++
			return all[i-1], true, nil
		}); err != nil || problem != nil {
			t.Errorf("audit chain after 20 concurrent events: %v, %v", problem, err)
		}
	})
}
