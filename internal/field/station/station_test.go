package station

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/person"
)

// fixture is an approved station and the city's packet key.
type fixture struct {
	st   *Station
	city *ecdh.PrivateKey
	dir  string
}

func approved(t *testing.T, now func() time.Time) fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := Init(dir, "St. Rose church", "http://127.0.0.1:1", Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	city, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetEnrolment(Enrolment{StationID: "stn_test", Code: "ABCD-EFGH", Status: StatusApproved, CityKey: city.PublicKey().Bytes()}); err != nil {
		t.Fatal(err)
	}
	return fixture{st, city, dir}
}

// intake is a complete New Haven application (one identity and one
// residency document, the adult fee paid in cash).
func intake(t testing.TB, today time.Time) enroll.Intake {
	return enroll.Intake{
		Person: person.Person{GivenNames: "Xiomara Lucía", FirstSurname: "Quintanilla", SecondSurname: "Bermúdez",
			DateOfBirth: person.Date{Year: 1979, Month: time.October, Day: 23},
			Address:     person.Address{Line1: "451 Grand Ave", City: "New Haven", State: "CT", PostalCode: "06513"}, Language: "es"},
		Documents: []evidence.Shown{{Type: "passport", Expires: person.DateOf(today.AddDate(3, 0, 0))},
			{Type: "utility_bill", Dated: person.DateOf(today.AddDate(0, 0, -10))}},
		Photo:   apptest.Photo(t),
		Payment: fee.Payment{Method: "cash", AmountCents: 1000},
	}
}

func TestFinishSealsAndKeepsNothingReadable(t *testing.T) {
	f := approved(t, nil)
	in := intake(t, time.Now())
	rc, err := f.st.Finish("clk_ana", in)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Seq != 1 || rc.Reference == "" || rc.Quote.AmountCents != 1000 {
		t.Errorf("receipt = %+v", rc)
	}
	waiting, err := f.st.Outbox()
	if err != nil || len(waiting) != 1 {
		t.Fatalf("outbox = %v, %v", waiting, err)
	}
	b, err := os.ReadFile(waiting[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	// The city opens it, with the station's public key.
	p, err := packet.Open(b, f.city, f.st.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if p.Person.FirstSurname != "Quintanilla" || p.Reference != rc.Reference || p.Clerk != "clk_ana" || p.Seq != 1 {
		t.Errorf("opened %+v", p.Person)
	}
	// The station's disk holds nothing readable of the resident: scan
	// every file for the name, birth date, address and photo bytes (the
	// uploaded photo and a run of the normalized JPEG the packet carries).
	needles := [][]byte{[]byte("Quintanilla"), []byte("Xiomara"), []byte("Bermúdez"), []byte("1979-10-23"), []byte("Grand Ave"),
		[]byte(rc.Reference), in.Photo[100:164], p.Photo[len(p.Photo)/2 : len(p.Photo)/2+64]}
	scanDir(t, f.dir, needles)
}

func scanDir(t *testing.T, dir string, needles [][]byte) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds %.20q in the clear", path, n)
			}
		}
		return nil
	})
	if err != nil || files < 4 {
		t.Fatalf("scanned %d files: %v", files, err)
	}
}

func TestFinishRefusesIncompleteAndWritesNothing(t *testing.T) {
	f := approved(t, nil)
	in := intake(t, time.Now())
	in.Documents = in.Documents[:1] // no residency document
	in.Photo = nil
	_, err := f.st.Finish("clk_ana", in)
	var ve *enroll.ValidationError
	if !errors.As(err, &ve) || ve.Fields.For("documents") == "" || ve.Fields.For("photo") != "enroll.error.photo_required" {
		t.Fatalf("Finish = %v, want documents and photo errors", err)
	}
	if w, _ := f.st.Outbox(); len(w) != 0 || f.st.State().LastSeq != 0 {
		t.Errorf("a refused intake left %d packets, seq %d", len(w), f.st.State().LastSeq)
	}
}

func TestNotApproved(t *testing.T) {
	st, err := Init(t.TempDir(), "Mobile unit 1", "http://127.0.0.1:1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish("clk", intake(t, time.Now())); !errors.Is(err, ErrNotApproved) {
		t.Errorf("Finish before approval = %v", err)
	}
	f := approved(t, nil)
	if err := f.st.SetEnrolment(Enrolment{StationID: "stn_test", Status: StatusRevoked}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Finish("clk", intake(t, time.Now())); !errors.Is(err, ErrNotApproved) {
		t.Errorf("Finish after revocation = %v", err)
	}
}

// A laptop whose clock is a year off either way still takes, seals,
// numbers and lists applications; the documents are judged against the
// station's day (the city checks again by its own clock on arrival).
func TestClockSkew(t *testing.T) {
	for _, off := range []time.Duration{-365 * 24 * time.Hour, 365 * 24 * time.Hour} {
		skewed := time.Now().Add(off)
		f := approved(t, func() time.Time { return skewed })
		for i := range 2 {
			rc, err := f.st.Finish("clk", intake(t, skewed))
			if err != nil || rc.Seq != uint64(i+1) {
				t.Fatalf("clock off by %v: Finish = %+v, %v", off, rc, err)
			}
		}
		w, _ := f.st.Outbox()
		b, _ := os.ReadFile(w[1].Path)
		p, err := packet.Open(b, f.city, f.st.PublicKey())
		if err != nil || !p.SealedAt.Equal(skewed.UTC()) || p.Seq != 2 {
			t.Errorf("clock off by %v: opened seq %d at %v, %v", off, p.Seq, p.SealedAt, err)
		}
	}
}

// Once a sync measured how far the laptop's clock is from the city's, the
// station judges documents by the city's day and stamps packets with it:
// a utility bill dated last week is recent, whatever the laptop says.
func TestClockCorrected(t *testing.T) {
	cityNow := time.Now()
	for _, off := range []time.Duration{-365 * 24 * time.Hour, 365 * 24 * time.Hour} {
		laptop := func() time.Time { return time.Now().Add(off) }
		f := approved(t, laptop)
		e := Enrolment{StationID: "stn_test", Status: StatusApproved, CityKey: f.city.PublicKey().Bytes(),
			ServerTime: time.Now(), Asked: laptop(), Answered: laptop()}
		if _, err := f.st.Finish("clk", intake(t, cityNow)); err == nil {
			t.Errorf("clock off by %v, not yet measured: a bill dated by the real calendar passed", off)
		}
		if err := f.st.SetEnrolment(e); err != nil {
			t.Fatal(err)
		}
		rc, err := f.st.Finish("clk", intake(t, cityNow))
		if err != nil {
			t.Fatalf("clock off by %v, measured: %v", off, err)
		}
		if d := rc.SealedAt.Sub(cityNow); d > time.Minute || d < -time.Minute {
			t.Errorf("clock off by %v: sealed at %v, want the city's time %v", off, rc.SealedAt, cityNow)
		}
		s, _ := f.st.Status()
		if !s.ClockOff {
			t.Errorf("clock off by %v: status does not warn (%v)", off, s.ClockOffset)
		}
		again, err := Open(f.dir, Options{Now: laptop})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := again.Finish("clk", intake(t, cityNow)); err != nil {
			t.Errorf("reopened station forgot the offset: %v", err)
		}
	}
}

// Reopening the directory gives the same key and counters; a packet
// written just before a crash (state not saved) still counts.
func TestReopen(t *testing.T) {
	f := approved(t, nil)
	if _, err := f.st.Finish("clk", intake(t, time.Now())); err != nil {
		t.Fatal(err)
	}
	// Simulate the crash: the state file says 0 packets.
	st := f.st.State()
	st.LastSeq = 0
	f.st.mu.Lock()
	f.st.state = st
	if err := f.st.saveLocked(); err != nil {
		t.Fatal(err)
	}
	f.st.mu.Unlock()
	again, err := Open(f.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.PublicKey(), f.st.PublicKey()) || again.State().LastSeq != 1 {
		t.Errorf("reopened: key same %v, last seq %d", bytes.Equal(again.PublicKey(), f.st.PublicKey()), again.State().LastSeq)
	}
	rc, err := again.Finish("clk", intake(t, time.Now()))
	if err != nil || rc.Seq != 2 {
		t.Errorf("next packet %+v, %v; want seq 2", rc, err)
	}
	if _, err := Init(f.dir, "x", "y", Options{}); !errors.Is(err, ErrExists) {
		t.Errorf("Init over a station = %v", err)
	}
}

// A laptop out of disk space refuses to seal, writes nothing, and says so;
// one running low warns first.
func TestStorageFull(t *testing.T) {
	var free int64 = 600 << 20
	dir := t.TempDir()
	st, err := Init(dir, "Mobile unit", "http://127.0.0.1:1", Options{FreeBytes: func(string) int64 { return free }})
	if err != nil {
		t.Fatal(err)
	}
	city, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if err := st.SetEnrolment(Enrolment{StationID: "stn_m", Status: StatusApproved, CityKey: city.PublicKey().Bytes()}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish("clk", intake(t, time.Now())); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Status(); !s.LowStorage || s.Sealed != 1 {
		t.Errorf("600 MB free: status %+v, want the low-storage warning", s)
	}
	free = 10 << 20
	if _, err := st.Finish("clk", intake(t, time.Now())); !errors.Is(err, ErrStorageFull) {
		t.Fatalf("10 MB free: Finish = %v, want ErrStorageFull", err)
	}
	if w, _ := st.Outbox(); len(w) != 1 || st.State().LastSeq != 1 {
		t.Errorf("a refused Finish wrote something: %d packets, seq %d", len(w), st.State().LastSeq)
	}
}

func TestClerks(t *testing.T) {
	f := approved(t, nil)
	c, err := f.st.AddClerk("Ana", "correct horse battery", auth.TestParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddClerk("bob", "short", auth.TestParams()); err == nil {
		t.Error("accepted a 5-character password")
	}
	got, err := f.st.Login("ana", "correct horse battery")
	if err != nil || got.ID != c.ID {
		t.Errorf("login = %+v, %v", got, err)
	}
	for _, bad := range [][2]string{{"ana", "wrong horse battery"}, {"nobody", "correct horse battery"}} {
		if _, err := f.st.Login(bad[0], bad[1]); !errors.Is(err, ErrLogin) {
			t.Errorf("login %v = %v, want ErrLogin", bad, err)
		}
	}
}

func TestStatusAndAck(t *testing.T) {
	f := approved(t, nil)
	for range 3 {
		if _, err := f.st.Finish("clk", intake(t, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := f.st.Outbox()
	if err := f.st.Ack(w[0], ""); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Ack(w[1], "bad_signature"); err != nil {
		t.Fatal(err)
	}
	s, err := f.st.Status()
	if err != nil {
		t.Fatal(err)
	}
	if s.Sealed != 3 || s.Waiting != 1 || s.Acked != 2 || len(s.Refused) != 1 || s.Refused[0].Seq != 2 || s.FreeBytes <= 0 {
		t.Errorf("status = %+v", s)
	}
}

func TestDummyHashParses(t *testing.T) {
	if _, err := auth.CheckPassword(dummyHash, "anything at all"); err != nil {
		t.Fatalf("dummy hash: %v", err)
	}
}

// BenchmarkFinish is the station's whole cost of finishing one
// application: the intake rules, the photo re-encoded, the seal and
// signature, and the packet written and synced to disk.
func BenchmarkFinish(b *testing.B) {
	dir := b.TempDir()
	st, err := Init(dir, "bench", "http://127.0.0.1:1", Options{})
	if err != nil {
		b.Fatal(err)
	}
	city, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if err := st.SetEnrolment(Enrolment{StationID: "stn_bench", Status: StatusApproved, CityKey: city.PublicKey().Bytes()}); err != nil {
		b.Fatal(err)
	}
	in := intake(b, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Finish("clk", in); err != nil {
			b.Fatal(err)
		}
	}
}
