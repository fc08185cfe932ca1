package packet

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/google/go-cmp/cmp"
)

type keys struct {
	city    *ecdh.PrivateKey
	station ed25519.PrivateKey
}

func newKeys(t testing.TB) keys {
	t.Helper()
	c, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, s, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return keys{c, s}
}

func (k keys) stationPub() ed25519.PublicKey { return k.station.Public().(ed25519.PublicKey) }

// testPayload is a complete application; the photo stands in for a
// normalized JPEG (the packet does not decode it).
func testPayload(t testing.TB, station string, seq uint64) Payload {
	t.Helper()
	id, err := NewID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	in := enroll.Intake{
		Person: person.Person{GivenNames: "María José", FirstSurname: "García", SecondSurname: "Núñez",
			DateOfBirth: person.Date{Year: 1987, Month: time.March, Day: 14}, Sex: person.SexFemale,
			Address: person.Address{Line1: "12 Orange St", City: "New Haven", State: "CT", PostalCode: "06510"}, Language: "es"},
		Documents: []evidence.Shown{{Type: "passport", Expires: person.Date{Year: 2030, Month: 1, Day: 2}},
			{Type: "utility_bill", Dated: person.Date{Year: 2026, Month: 11, Day: 20}}},
		Photo:   append([]byte("\xff\xd8\xff\xe0 photo bytes of María "), bytes.Repeat([]byte{0x5a}, 20_000)...),
		Payment: fee.Payment{Method: fee.MethodWaiver, WaiverReason: "hardship"},
	}
	p := FromIntake(in)
	p.Station, p.Packet, p.Seq = station, id, seq
	p.SealedAt = time.Date(2026, 12, 5, 0, 30, 0, 0, time.UTC)
	p.Clerk, p.Reference = "usr_clerk1", "K7QM-4XPA-2RTW"
	return p
}

func TestRoundTrip(t *testing.T) {
	k := newKeys(t)
	p := testPayload(t, "sta_stroserose", 7)
	b, err := Seal(p, k.city.PublicKey(), k.station)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Header{Station: p.Station, Packet: p.Packet, Seq: 7, CityKey: KeyID(k.city.PublicKey())}); h != want {
		t.Errorf("header = %+v, want %+v", h, want)
	}
	got, err := Open(b, k.city, k.stationPub())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("opened payload differs (-sealed +opened):\n%s", diff)
	}
	in, ferrs := got.Intake()
	if len(ferrs) != 0 || in.Person.GivenNames != "María José" || in.Person.DateOfBirth.Year != 1987 ||
		in.Documents[1].Dated.Day != 20 || in.Payment.WaiverReason != "hardship" || in.IdempotencyKey != "field:sta_stroserose:"+p.Packet {
		t.Errorf("intake = %+v, %v", in, ferrs)
	}
	// The sealed packet holds none of the resident's data in the clear.
	for _, s := range []string{"García", "Garc", "1987-03-14", "Orange", "photo bytes", "hardship", "passport", p.Reference} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("sealed packet contains %q in the clear", s)
		}
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	k := newKeys(t)
	p := testPayload(t, "sta_a", 1)
	a, _ := Seal(p, k.city.PublicKey(), k.station)
	b, _ := Seal(p, k.city.PublicKey(), k.station)
	if bytes.Equal(a[100:], b[100:]) {
		t.Error("two seals of one payload are identical: HPKE should use a fresh ephemeral key")
	}
}

func TestRefused(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	p := testPayload(t, "sta_a", 3)
	good, err := Seal(p, k.city.PublicKey(), k.station)
	if err != nil {
		t.Fatal(err)
	}
	// A packet of station B whose body is station A's, re-signed by B
	// (B's key stolen, A's packet copied from the network).
	pb := testPayload(t, "sta_b", 3)
	pb.Packet = p.Packet
	forB, _ := Seal(pb, k.city.PublicKey(), other.station)
	transplanted := splice(t, forB, good, other.station)
	// Same station, another sequence number in the header: the body was
	// sealed for seq 3.
	p4 := p
	p4.Seq = 4
	seq4, _ := Seal(p4, k.city.PublicKey(), k.station)
	reseq := splice(t, seq4, good, k.station)

	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		return b
	}
	hlen := int(binary.BigEndian.Uint16(good[len(Version)+1:]))
	bodyAt := len(Version) + 1 + 2 + hlen + 4
	cases := []struct {
		name    string
		b       []byte
		pub     ed25519.PublicKey
		city    *ecdh.PrivateKey
		want    error
		wantHdr error // ParseHeader's verdict; nil: the header parses
	}{
		{"body byte flipped", flip(bodyAt + 40), k.stationPub(), k.city, ErrSignature, nil},
		{"encapsulated key flipped", flip(bodyAt), k.stationPub(), k.city, ErrSignature, nil},
		{"signature flipped", flip(len(good) - 1), k.stationPub(), k.city, ErrSignature, nil},
		{"seq in header changed", bytes.Replace(good, []byte(`"seq":3`), []byte(`"seq":9`), 1), k.stationPub(), k.city, ErrSignature, nil},
		{"another station's key", good, other.stationPub(), k.city, ErrSignature, nil},
		{"body moved to another station's packet", transplanted, other.stationPub(), k.city, ErrWrongStation, nil},
		{"body moved to another sequence number", reseq, k.stationPub(), k.city, ErrWrongStation, nil},
		{"another city key", good, k.stationPub(), other.city, ErrCityKey, nil},
		{"unknown version", append([]byte("cityid-field-packet/2\n"), good[len(Version)+1:]...), k.stationPub(), k.city, ErrVersion, ErrVersion},
		{"not a packet", []byte("GET / HTTP/1.1\r\n\r\n"), k.stationPub(), k.city, ErrMalformed, ErrMalformed},
		{"trailing bytes", append(bytes.Clone(good), 0), k.stationPub(), k.city, ErrMalformed, ErrMalformed},
		{"too large", make([]byte, MaxSize+1), k.stationPub(), k.city, ErrTooLarge, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Open(c.b, c.city, c.pub); !errors.Is(err, c.want) {
				t.Errorf("Open: %v, want %v", err, c.want)
			}
			if _, err := ParseHeader(c.b); !errors.Is(err, c.wantHdr) {
				t.Errorf("ParseHeader: %v, want %v", err, c.wantHdr)
			}
		})
	}
}

// splice returns hdrFrom's version and header with body's sealed body,
// signed by key.
func splice(t *testing.T, hdrFrom, bodyFrom []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	cut := func(b []byte) (head, body []byte) {
		n := len(Version) + 1 + 2 + int(binary.BigEndian.Uint16(b[len(Version)+1:]))
		return b[:n], b[n : len(b)-ed25519.SignatureSize]
	}
	head, _ := cut(hdrFrom)
	_, body := cut(bodyFrom)
	out := append(bytes.Clone(head), body...)
	return append(out, ed25519.Sign(key, out)...)
}

// Every cut of a packet short of its end is reported as truncated, by
// ParseHeader and by Open, so an interrupted upload says so.
func TestTruncated(t *testing.T) {
	k := newKeys(t)
	good, err := Seal(testPayload(t, "sta_a", 1), k.city.PublicKey(), k.station)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(good) {
		if _, err := ParseHeader(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ParseHeader of the first %d of %d bytes: %v, want ErrTruncated", n, len(good), err)
		}
		if n%97 == 0 || n > len(good)-70 {
			if _, err := Open(good[:n], k.city, k.stationPub()); !errors.Is(err, ErrTruncated) {
				t.Fatalf("Open of the first %d bytes: %v, want ErrTruncated", n, err)
			}
		}
	}
}

func TestSealRefusesBadInput(t *testing.T) {
	k := newKeys(t)
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	for name, mod := range map[string]func(*Payload){
		"no station":     func(p *Payload) { p.Station = "" },
		"station spaces": func(p *Payload) { p.Station = "St. Rose" },
		"short packet":   func(p *Payload) { p.Packet = "abc" },
		"seq 0":          func(p *Payload) { p.Seq = 0 },
		"no photo":       func(p *Payload) { p.Photo = nil },
		"no time":        func(p *Payload) { p.SealedAt = time.Time{} },
		"no reference":   func(p *Payload) { p.Reference = "" },
		"no clerk":       func(p *Payload) { p.Clerk = "" },
	} {
		p := testPayload(t, "sta_a", 1)
		mod(&p)
		if _, err := Seal(p, k.city.PublicKey(), k.station); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
	if _, err := Seal(testPayload(t, "sta_a", 1), p256.PublicKey(), k.station); err == nil {
		t.Error("sealed to a P-256 key")
	}
}

// A station clock a year off in either direction seals and opens.
func TestClockSkew(t *testing.T) {
	k := newKeys(t)
	for _, at := range []time.Time{time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC), time.Date(2027, 12, 5, 0, 0, 0, 0, time.FixedZone("x", -5*3600))} {
		p := testPayload(t, "sta_a", 1)
		p.SealedAt = at
		b, err := Seal(p, k.city.PublicKey(), k.station)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(b, k.city, k.stationPub())
		if err != nil || !got.SealedAt.Equal(at) {
			t.Errorf("sealed at %v: opened %v, %v", at, got.SealedAt, err)
		}
	}
}

func TestReason(t *testing.T) {
	for err, want := range map[error]string{
		ErrSignature: "bad_signature", ErrWrongStation: "wrong_station", ErrTruncated: "truncated",
		ErrVersion: "unknown_version", ErrCityKey: "unknown_key", ErrPayload: "bad_payload", errors.New("x"): "other",
	} {
		if got := Reason(errors.Join(errors.New("ctx"), err)); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
	}
	if !strings.Contains(ErrWrongStation.Error(), "another station") {
		t.Error(ErrWrongStation)
	}
}

// smallPacket is a packet with a short photo, so the fuzzer's mutations
// reach the header and body instead of spending themselves on photo bytes.
func smallPacket(f *testing.F, k keys) []byte {
	p := testPayload(f, "sta_a", 1)
	p.Photo = p.Photo[:40]
	b, err := Seal(p, k.city.PublicKey(), k.station)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzParseHeader(f *testing.F) {
	k := newKeys(f)
	good := smallPacket(f, k)
	f.Add(good)
	f.Add(good[:60])
	f.Add([]byte(Version + "\n\x00\x02{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if Reason(err) == "other" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if h.validate() != nil {
			t.Fatalf("accepted an invalid header %+v", h)
		}
	})
}

func FuzzOpen(f *testing.F) {
	k := newKeys(f)
	good := smallPacket(f, k)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Open(b, k.city, k.stationPub())
		if err != nil {
			if Reason(err) == "other" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Only the station's own packet opens.
		if !bytes.Equal(b, good) {
			t.Fatalf("opened a packet the station did not seal: %+v", p.Station)
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	k := newKeys(b)
	p := testPayload(b, "sta_a", 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seal(p, k.city.PublicKey(), k.station); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := newKeys(b)
	sealed, err := Seal(testPayload(b, "sta_a", 1), k.city.PublicKey(), k.station)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(sealed, k.city, k.stationPub()); err != nil {
			b.Fatal(err)
		}
	}
}
