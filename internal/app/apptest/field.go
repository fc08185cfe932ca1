package apptest

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/person"
)

// Station is a field station's side in a test: its key, its id and, once
// approved, the city's packet key it seals to.
type Station struct {
	ID   string
	Key  ed25519.PrivateKey
	City *ecdh.PublicKey
	Seq  uint64 // the last sequence number sealed
}

// EnrolStation sends a station's enrolment request; with sup (a
// supervisor) it is approved at siteID and fetches the city's packet key.
func EnrolStation(t testing.TB, a *app.App, name string, sup *auth.Actor, siteID string) *Station {
	t.Helper()
	ctx := context.Background()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := a.Field.Enrol(ctx, name, pub)
	if err != nil {
		t.Fatalf("Enrol(%s): %v", name, err)
	}
	s := &Station{ID: st.ID, Key: key}
	if sup == nil {
		return s
	}
	if err := a.Field.Approve(ctx, *sup, st.ID, siteID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	e, err := a.Field.Enrolment(ctx, st.ID)
	if err != nil || e.PacketKey == nil {
		t.Fatalf("Enrolment = %+v, %v; want the packet key", e, err)
	}
	if s.City, err = ecdh.X25519().NewPublicKey(e.PacketKey.PublicKey); err != nil {
		t.Fatal(err)
	}
	return s
}

// FieldIntake is a complete intake as a station takes it (New Haven
// rules: a passport and a lease, $10 cash); given names vary so duplicate
// screening leaves them alone.
func FieldIntake(t testing.TB, given string) enroll.Intake {
	return enroll.Intake{
		Person: person.Person{GivenNames: given, FirstSurname: "García", SecondSurname: "Núñez",
			DateOfBirth: person.Date{Year: 1987, Month: time.March, Day: 14}, Sex: person.SexFemale,
			Address: person.Address{Line1: "12 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"}, Language: "es"},
		Documents: []evidence.Shown{{Type: "passport", Issuer: "Bolivia", Expires: person.Date{Year: 2031, Month: 1, Day: 1}}, {Type: "lease"}},
		Photo:     Photo(t),
		Payment:   fee.Payment{Method: "cash", AmountCents: 1000},
	}
}

// Seal makes the station's next packet for in, sealed at sealedAt by the
// station's clock, with the receipt's reference ref.
func (s *Station) Seal(t testing.TB, in enroll.Intake, sealedAt time.Time, ref string) []byte {
	t.Helper()
	p := packet.FromIntake(in)
	id, err := packet.NewID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s.Seq++
	p.Station, p.Packet, p.Seq, p.SealedAt, p.Clerk, p.Reference = s.ID, id, s.Seq, sealedAt, "usr_clerk1", ref
	b, err := packet.Seal(p, s.City, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
