package uplink

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/person"
)

// fakeCity speaks the server's protocol (docs/api.md) with the real packet
// checks, and counts what it imported. cut, when set, makes the next
// upload die halfway through the body, as a dropped connection does.
type fakeCity struct {
	key *ecdh.PrivateKey

	mu       sync.Mutex
	pub      ed25519.PublicKey
	approved bool
	imported map[string]packet.Payload
	uploads  int
	cutAt    int // the upload (1, 2, …) whose connection drops; 0 none
}

func (f *fakeCity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	enrolment := func() map[string]any {
		e := map[string]any{"station_id": "stn_fake", "status": "pending", "code": wire.Code(f.pub)}
		if f.approved {
			e["status"] = "approved"
			e["packet_key"] = map[string]any{"id": "pk_1", "public_key": f.key.PublicKey().Bytes()}
		}
		return e
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == wire.EnrolPath:
		var req struct {
			Name      string `json:"name"`
			PublicKey []byte `json:"public_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.PublicKey) != ed25519.PublicKeySize || req.Name == "" {
			answer(http.StatusBadRequest, map[string]any{"error": "bad enrolment"})
			return
		}
		f.pub = req.PublicKey
		answer(http.StatusAccepted, enrolment())
	case r.Method == http.MethodGet && r.URL.Path == wire.StationPath+"stn_fake":
		answer(http.StatusOK, enrolment())
	case r.Method == http.MethodPost && r.URL.Path == wire.PacketsPath:
		f.uploads++
		if f.uploads == f.cutAt {
			io.CopyN(io.Discard, r.Body, 1000)
			panic(http.ErrAbortHandler) // the connection drops, no answer
		}
		b, _ := io.ReadAll(r.Body)
		h, _ := packet.ParseHeader(b)
		p, err := packet.Open(b, f.key, f.pub)
		if err != nil {
			answer(http.StatusUnprocessableEntity, map[string]any{"result": "quarantined", "reason": packet.Reason(err), "packet_id": h.Packet})
			return
		}
		result := "imported"
		if _, ok := f.imported[p.Packet]; ok {
			result = "already_imported"
		}
		f.imported[p.Packet] = p
		answer(http.StatusOK, map[string]any{"result": result, "packet_id": p.Packet, "seq": p.Seq, "station_id": p.Station})
	default:
		http.NotFound(w, r)
	}
}

func intake(t testing.TB, surname string) enroll.Intake {
	today := time.Now()
	return enroll.Intake{
		Person: person.Person{GivenNames: "Rosa", FirstSurname: surname, DateOfBirth: person.Date{Year: 1990, Month: 5, Day: 6},
			Address: person.Address{Line1: "9 Elm St", City: "New Haven", State: "CT", PostalCode: "06511"}, Language: "es"},
		Documents: []evidence.Shown{{Type: "passport", Expires: person.DateOf(today.AddDate(2, 0, 0))},
			{Type: "lease"}},
		Photo:   apptest.Photo(t),
		Payment: fee.Payment{WaiverReason: "hardship"},
	}
}

func TestEnrolApproveUploadResume(t *testing.T) {
	key, _ := ecdh.X25519().GenerateKey(rand.Reader)
	city := &fakeCity{key: key, imported: map[string]packet.Payload{}}
	srv := httptest.NewServer(city)
	defer srv.Close()
	ctx := context.Background()

	st, err := station.Init(t.TempDir(), "St. Rose church", srv.URL, station.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sync(ctx, st, c)
	if err != nil || rep.Enrolment != "pending" || st.State().StationID != "stn_fake" || st.State().Code != wire.Code(st.PublicKey()) {
		t.Fatalf("first sync = %+v, %v; state %+v", rep, err, st.State())
	}
	if _, err := st.Finish("clk", intake(t, "Pérez")); !errors.Is(err, station.ErrNotApproved) {
		t.Fatalf("Finish while pending = %v", err)
	}
	city.mu.Lock()
	city.approved = true
	city.mu.Unlock()
	if rep, err := Sync(ctx, st, c); err != nil || rep.Enrolment != "approved" {
		t.Fatalf("sync after approval = %+v, %v", rep, err)
	}
	for _, s := range []string{"Pérez", "Gómez", "Ruiz"} {
		if _, err := st.Finish("clk", intake(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	// The second upload is cut off halfway.
	city.mu.Lock()
	city.uploads, city.cutAt = 0, 2
	city.mu.Unlock()
	rep, err = Sync(ctx, st, c)
	if err == nil || !errors.Is(err, ErrNotHeld) || rep.Uploaded != 1 || rep.Waiting != 2 {
		t.Fatalf("interrupted sync = %+v, %v; want 1 uploaded, 2 waiting, ErrNotHeld", rep, err)
	}
	if w, _ := st.Outbox(); len(w) != 2 || w[0].Seq != 2 {
		t.Fatalf("outbox after the cut = %+v", w)
	}
	// The next sync resumes where it stopped.
	rep, err = Sync(ctx, st, c)
	if err != nil || rep.Uploaded != 2 || rep.Waiting != 0 {
		t.Fatalf("resumed sync = %+v, %v", rep, err)
	}
	city.mu.Lock()
	n := len(city.imported)
	surnames := map[string]bool{}
	for _, p := range city.imported {
		surnames[p.Person.FirstSurname] = true
	}
	city.mu.Unlock()
	if n != 3 || !surnames["Gómez"] {
		t.Errorf("city imported %d packets (%v), want the 3 applications", n, surnames)
	}
	s, _ := st.Status()
	if s.Sealed != 3 || s.Acked != 3 || s.Waiting != 0 || s.LastSync.IsZero() {
		t.Errorf("status = %+v", s)
	}
}

// A packet the city refuses (here: damaged on the laptop's disk) is
// acknowledged as quarantined, leaves the outbox and is listed with its
// reason; the others go through.
func TestQuarantinedAndServerDown(t *testing.T) {
	key, _ := ecdh.X25519().GenerateKey(rand.Reader)
	city := &fakeCity{key: key, imported: map[string]packet.Payload{}, approved: true}
	srv := httptest.NewServer(city)
	ctx := context.Background()
	st, _ := station.Init(t.TempDir(), "Mobile unit", srv.URL, station.Options{})
	c, _ := New(srv.URL, nil)
	if _, err := Sync(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Uno", "Dos"} {
		if _, err := st.Finish("clk", intake(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := st.Outbox()
	b, _ := os.ReadFile(w[0].Path)
	b[len(b)-100] ^= 0xff
	if err := os.WriteFile(w[0].Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Sync(ctx, st, c)
	if err != nil || rep.Uploaded != 2 || rep.Refused != 1 {
		t.Fatalf("sync = %+v, %v", rep, err)
	}
	if r := st.State().Refused; len(r) != 1 || r[0].Seq != 1 || r[0].Reason != "bad_signature" {
		t.Errorf("refused = %+v", r)
	}
	// Server gone: the sync fails, nothing is lost.
	if _, err := st.Finish("clk", intake(t, "Tres")); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := Sync(ctx, st, c); !errors.Is(err, ErrNotHeld) {
		t.Errorf("sync with the server down = %v", err)
	}
	if w, _ := st.Outbox(); len(w) != 1 {
		t.Errorf("outbox = %d packets, want the one waiting", len(w))
	}
	if m, _ := filepath.Glob(filepath.Join(st.Dir(), "outbox", "*.pkt")); len(m) != 1 {
		t.Errorf("outbox files %v", m)
	}
}
