package intake_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/field/intake"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/site"
)

// world is a city server with a partner site, a supervisor and enrolled,
// approved stations.
type world struct {
	t     testing.TB
	a     *app.App
	clock *time.Time
	site  site.Site
	sup   auth.Actor
}

var start = time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)

func newWorld(t testing.TB, dbURL string) *world {
	now := start
	a := apptest.Open(t, dbURL, func() time.Time { return now })
	w := &world{t: t, a: a, clock: &now}
	w.site = apptest.Site(t, a, "St. Rose church", site.KindPartner)
	w.sup = apptest.Staff(t, a, "super", auth.RoleSupervisor, w.site.ID)
	return w
}

func (w *world) enrol(name string, approve bool) *apptest.Station {
	w.t.Helper()
	if !approve {
		return apptest.EnrolStation(w.t, w.a, name, nil, "")
	}
	s := apptest.EnrolStation(w.t, w.a, name, &w.sup, w.site.ID)
	e, err := w.a.Field.Enrolment(context.Background(), s.ID)
	if err != nil || e.PacketKey.ID != packet.KeyID(s.City) || e.Code != wire.Code(s.Key.Public().(ed25519.PublicKey)) {
		w.t.Fatalf("Enrolment = %+v, %v; want the key id packet.KeyID and the code wire.Code", e, err)
	}
	return s
}

func application(t testing.TB, given string) enroll.Intake { return apptest.FieldIntake(t, given) }

func (w *world) receive(b []byte) wire.Upload {
	w.t.Helper()
	up, err := w.a.Field.Receive(context.Background(), b)
	if err != nil {
		w.t.Fatalf("Receive: %v", err)
	}
	return up
}

func (w *world) applications() []enroll.Summary {
	w.t.Helper()
	list, err := w.a.Enroll.List(context.Background(), w.sup, enroll.ListFilter{Limit: 100})
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

func TestImport(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		w := newWorld(t, dbURL)
		s := w.enrol("St. Rose laptop", true)
		*w.clock = start.Add(72 * time.Hour) // the mobile unit comes back online three days later
		sealedAt := start.Add(24 * time.Hour)
		b := s.Seal(t, application(t, "María José"), sealedAt, "K7QM-4XPA-2RTW")
		if up := w.receive(b); up.Result != wire.ResultImported || up.StationID != s.ID || up.Seq != 1 {
			t.Fatalf("first upload = %+v, want imported", up)
		}
		if up := w.receive(b); up.Result != wire.ResultAlreadyImported {
			t.Fatalf("second upload = %+v, want already_imported", up)
		}
		list := w.applications()
		if len(list) != 1 {
			t.Fatalf("%d applications after the same packet twice, want 1", len(list))
		}
		got := list[0]
		if got.Reference != "K7QM-4XPA-2RTW" || got.SiteID != w.site.ID || got.ClerkID != s.ID || got.Status != enroll.StatusSubmitted {
			t.Errorf("application = %+v; want the receipt's reference, the station's site and id, submitted", got)
		}
		// Pending retention counts from the station's clock (earlier than the receipt).
		if !got.SubmittedAt.Equal(sealedAt) {
			t.Errorf("submitted at %v, want the station's %v", got.SubmittedAt, sealedAt)
		}
		a, err := w.a.Enroll.Get(context.Background(), w.sup, got.ID, enroll.PurposeReview)
		if err != nil || a.Person.GivenNames != "María José" {
			t.Fatalf("Get = %+v, %v", a, err)
		}
	})
}

// flip returns b with one byte of the sealed body changed.
func flip(b []byte, at int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 0x40
	return c
}

// splice returns hdrFrom's version line and header with bodyFrom's sealed
// body, signed by key: a body moved into another station's packet.
func splice(hdrFrom, bodyFrom []byte, key ed25519.PrivateKey) []byte {
	cut := func(b []byte) (head, body []byte) {
		n := len(packet.Version) + 1 + 2 + int(binary.BigEndian.Uint16(b[len(packet.Version)+1:]))
		return b[:n], b[n : len(b)-ed25519.SignatureSize]
	}
	head, _ := cut(hdrFrom)
	_, body := cut(bodyFrom)
	out := append(bytes.Clone(head), body...)
	return append(out, ed25519.Sign(key, out)...)
}

// Every refused packet is quarantined as received, with its reason, and
// imports nothing.
func TestRefused(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		w := newWorld(t, dbURL)
		a, b := w.enrol("Laptop A", true), w.enrol("Laptop B", true)
		pending := w.enrol("Laptop C", false)
		good := a.Seal(t, application(t, "Ana"), start, "K7QM-4XPA-2RTA")
		forB := b.Seal(t, application(t, "Bea"), start, "K7QM-4XPA-2RTB")
		unenrolled := &apptest.Station{ID: "stn_nobody", Key: a.Key, City: a.City}
		pendingPkt := (&apptest.Station{ID: pending.ID, Key: pending.Key, City: a.City}).Seal(t, application(t, "Cora"), start, "K7QM-4XPA-2RTC")
		incomplete := application(t, "Dora")
		incomplete.Documents = incomplete.Documents[:1] // identity only: no residency document
		cases := []struct {
			name, reason string
			body         []byte
		}{
			{"tampered", intake.ReasonBadSignature, flip(good, len(good)-100)},
			{"truncated", intake.ReasonTruncated, good[:len(good)/2]},
			{"unknown version", intake.ReasonUnknownVersion, append([]byte("cityid-field-packet/9\n"), good[len(packet.Version)+1:]...)},
			{"replayed from another station", intake.ReasonWrongStation, splice(forB, good, b.Key)},
			{"signed by another station", intake.ReasonBadSignature, splice(forB, forB, a.Key)},
			{"unknown station", intake.ReasonUnknownStation, unenrolled.Seal(t, application(t, "Eva"), start, "K7QM-4XPA-2RTE")},
			{"station not approved", intake.ReasonNotApproved, pendingPkt},
			{"invalid application", intake.ReasonInvalidApplication, a.Seal(t, incomplete, start, "K7QM-4XPA-2RTD")},
		}
		for _, c := range cases {
			up := w.receive(c.body)
			if up.Result != wire.ResultQuarantined || up.Reason != c.reason {
				t.Errorf("%s: upload = %+v, want quarantined for %s", c.name, up, c.reason)
			}
			if again := w.receive(c.body); again.Reason != up.Reason {
				t.Errorf("%s again: %+v, want the same reason", c.name, again)
			}
		}
		if n := len(w.applications()); n != 0 {
			t.Fatalf("%d applications imported from refused packets, want 0", n)
		}
		q, err := w.a.Field.Quarantine(context.Background(), w.sup)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != len(cases) {
			t.Fatalf("quarantine holds %d packets, want %d (each kept once)", len(q), len(cases))
		}
		// The good packet still imports: nothing of it was used up.
		if up := w.receive(good); up.Result != wire.ResultImported {
			t.Fatalf("good packet after the refusals = %+v", up)
		}
	})
}

func TestRevokedStation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		w := newWorld(t, dbURL)
		ctx := context.Background()
		s := w.enrol("Mobile unit", true)
		first := s.Seal(t, application(t, "Ana"), start, "K7QM-4XPA-2RTA")
		late := s.Seal(t, application(t, "Bea"), start, "K7QM-4XPA-2RTB")
		after := s.Seal(t, application(t, "Cora"), start, "K7QM-4XPA-2RTC")
		w.receive(first)
		clerk := apptest.Staff(t, w.a, "clerk", auth.RoleClerk, w.site.ID)
		if err := w.a.Field.Revoke(ctx, clerk, s.ID, 0); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("a clerk revokes: %v, want forbidden", err)
		}
		// The coordinator says two packets were sealed before the laptop went missing.
		if err := w.a.Field.Revoke(ctx, w.sup, s.ID, 2); err != nil {
			t.Fatal(err)
		}
		if up := w.receive(late); up.Result != wire.ResultImported {
			t.Fatalf("packet 2 (sealed before revocation) = %+v, want imported", up)
		}
		if up := w.receive(after); up.Result != wire.ResultQuarantined || up.Reason != intake.ReasonRevoked {
			t.Fatalf("packet 3 = %+v, want quarantined station_revoked", up)
		}
		var lateApp enroll.Summary
		for _, a := range w.applications() {
			if a.Reference == "K7QM-4XPA-2RTB" {
				lateApp = a
			}
		}
		if lateApp.Status != enroll.StatusNeedsReview || lateApp.ReviewReason != enroll.ReviewRevokedStation {
			t.Errorf("late packet's application = %+v, want needs_review revoked_station", lateApp)
		}
		if n := len(w.applications()); n != 2 {
			t.Errorf("%d applications, want 2", n)
		}
	})
}

// A station clock a year slow or a year fast does not stop an import; the
// application's retention starts no earlier than the station's approval
// and no later than the receipt, and the audit follows the server's clock.
func TestClockSkew(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		w := newWorld(t, dbURL)
		s := w.enrol("Laptop", true)
		approved := start
		*w.clock = start.Add(3 * 24 * time.Hour)
		for _, c := range []struct {
			name     string
			sealedAt time.Time
			want     time.Time
		}{
			{"a year slow", start.AddDate(-1, 0, 0), approved},
			{"a year fast", start.AddDate(1, 0, 0), *w.clock},
			{"a day old", w.clock.Add(-24 * time.Hour), w.clock.Add(-24 * time.Hour)},
		} {
			ref := "K7QM-4XPA-" + map[string]string{"a year slow": "2RTA", "a year fast": "2RTB", "a day old": "2RTC"}[c.name]
			given := map[string]string{"a year slow": "Ana", "a year fast": "Bea", "a day old": "Cora"}[c.name]
			if up := w.receive(s.Seal(t, application(t, given), c.sealedAt, ref)); up.Result != wire.ResultImported {
				t.Fatalf("%s: %+v, want imported", c.name, up)
			}
			for _, a := range w.applications() {
				if a.Reference == ref && !a.SubmittedAt.Equal(c.want) {
					t.Errorf("%s: retention starts %v, want %v", c.name, a.SubmittedAt, c.want)
				}
				// The record and its audit event carry the server's time.
				if a.Reference == ref && !a.CreatedAt.Equal(*w.clock) {
					t.Errorf("%s: created at %v, want the server's %v", c.name, a.CreatedAt, *w.clock)
				}
			}
		}
	})
}

// After a rotation a packet sealed to the old key still opens; a new
// enrolment fetch hands out the new key.
func TestKeyRotation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		w := newWorld(t, dbURL)
		ctx := context.Background()
		s := w.enrol("Laptop", true)
		old := s.Seal(t, application(t, "Ana"), start, "K7QM-4XPA-2RTA")
		admin := apptest.Staff(t, w.a, "admin2", auth.RoleAdmin, "")
		if _, err := w.a.Field.RotateKey(ctx, w.sup); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("a supervisor rotates: %v, want forbidden", err)
		}
		k, err := w.a.Field.RotateKey(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		e, err := w.a.Field.Enrolment(ctx, s.ID)
		if err != nil || e.PacketKey.ID != k.ID {
			t.Fatalf("enrolment key = %+v, %v; want the new key %s", e.PacketKey, err, k.ID)
		}
		if up := w.receive(old); up.Result != wire.ResultImported {
			t.Fatalf("packet sealed to the retired key = %+v, want imported", up)
		}
	})
}

// A quarantined packet is deleted quarantine_days (90) after it arrived,
// not before.
func TestPurgeQuarantine(t *testing.T) {
	w := newWorld(t, "")
	ctx := context.Background()
	s := w.enrol("Laptop", true)
	b := s.Seal(t, application(t, "Ana"), start, "K7QM-4XPA-2RTA")
	w.receive(b[:len(b)-1])
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{89 * 24 * time.Hour, 0}, {91 * 24 * time.Hour, 1}} {
		*w.clock = start.Add(c.after)
		if n, err := w.a.Field.PurgeQuarantine(ctx); err != nil || n != c.want {
			t.Errorf("PurgeQuarantine after %v = %d, %v; want %d", c.after, n, err, c.want)
		}
	}
	if q, err := w.a.Field.Quarantine(ctx, w.sup); err != nil || len(q) != 0 {
		t.Errorf("quarantine after the purge = %d packets, %v", len(q), err)
	}
}

// Neither an imported packet nor a quarantined one leaves a resident's
// name, birth date or address readable in the database files.
func TestNoPlaintextFromPackets(t *testing.T) {
	w := newWorld(t, "")
	s := w.enrol("Laptop", true)
	in := application(t, "Zebulonia")
	in.Person.FirstSurname, in.Person.Address.Line1 = "Quetzalcoatlova", "987 Uniquestreet Road"
	if up := w.receive(s.Seal(t, in, start, "K7QM-4XPA-2RTA")); up.Result != wire.ResultImported {
		t.Fatalf("import = %+v", up)
	}
	refused := application(t, "Xiuhnelli")
	refused.Person.FirstSurname, refused.Documents = "Tlalocanova", refused.Documents[:1]
	if up := w.receive(s.Seal(t, refused, start, "K7QM-4XPA-2RTB")); up.Result != wire.ResultQuarantined {
		t.Fatalf("refused packet = %+v", up)
	}
	path := w.a.DB.Path()
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		for _, n := range []string{"Zebulonia", "Quetzalcoatlova", "Uniquestreet", "Xiuhnelli", "Tlalocanova", "1987-03-14"} {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s contains plaintext %q", filepath.Base(f), n)
			}
		}
	}
}
