// Package packet is the sealed application a field station uploads to the
// city: version "cityid-field-packet/1". A clerk at a partner site or mobile
// unit finishes an intake offline; the station seals it at once with HPKE
// (RFC 9180) to the city's packet key and signs the whole sealed packet with
// its own Ed25519 key. The station cannot open its packets again, so a stolen
// laptop yields no names; the city checks the signature (and the station's
// enrolment) before it decrypts anything.
//
// Wire format, all integers big-endian:
//
//	"cityid-field-packet/1\n"    version line (22 bytes)
//	uint16 n, n bytes            header: JSON {"station","packet","seq","city_key"}, at most 1 KiB
//	uint32 m, m bytes            body: HPKE encapsulated key (32 bytes) ‖ AEAD ciphertext of the payload JSON
//	64 bytes                     Ed25519 signature by the station over every byte above
//
// The HPKE suite is DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
// single-shot base mode. Its info string is "cityid-field-packet/1", a zero
// byte and the header bytes exactly as sent, so a body opens only under the
// header it was sealed with: copied into another station's packet (or given
// another packet id or sequence number) it fails to open even when re-signed.
// The payload repeats station, packet and sequence number, and Open checks
// they agree with the header.
package packet

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Version is the packet format this package writes and reads.
const Version = "cityid-field-packet/1"

// Sizes of the format.
const (
	MaxHeader = 1 << 10 // largest header JSON
	MaxSize   = 8 << 20 // largest whole packet: a normalized photo is far smaller
	sigSize   = ed25519.SignatureSize
	encSize   = 32 // X25519 encapsulated key
)

const versionPrefix = "cityid-field-packet/"

// Errors Open and ParseHeader return, checked with errors.Is; Reason turns
// them into a short stable code for a quarantine record.
var (
	ErrTruncated    = errors.New("packet is truncated")
	ErrMalformed    = errors.New("not a well-formed field packet")
	ErrVersion      = errors.New("unknown packet version")
	ErrTooLarge     = errors.New("packet is too large")
	ErrSignature    = errors.New("station signature does not verify")
	ErrCityKey      = errors.New("packet is sealed to a city packet key not given")
	ErrWrongStation = errors.New("sealed body belongs to another station, packet or sequence number")
	ErrPayload      = errors.New("sealed payload is not a valid application")
)

// Reason returns a stable code for err, the quarantine reasons the city's
// upload endpoint reports ("truncated", "malformed", "unknown_version",
// "too_large", "bad_signature", "unknown_key", "wrong_station",
// "bad_payload"), or "other" for an error not from this package.
func Reason(err error) string {
	for _, r := range []struct {
		err  error
		code string
	}{
		{ErrTruncated, "truncated"}, {ErrMalformed, "malformed"}, {ErrVersion, "unknown_version"}, {ErrTooLarge, "too_large"},
		{ErrSignature, "bad_signature"}, {ErrCityKey, "unknown_key"}, {ErrWrongStation, "wrong_station"}, {ErrPayload, "bad_payload"},
	} {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "other"
}

// Header is the part of a packet outside the seal: enough for the city to
// find the station's key and enrolment, the key to open it with, and to
// count packets, without decrypting.
type Header struct {
	Station string `json:"station"`  // the station id the city gave at enrolment
	Packet  string `json:"packet"`   // 128 random bits, 32 lower-case hex digits
	Seq     uint64 `json:"seq"`      // the station's sequence number, 1, 2, 3… with no gaps
	CityKey string `json:"city_key"` // KeyID of the city packet key it is sealed to
}

var (
	stationForm = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	packetForm  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	keyIDForm   = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func (h Header) validate() error {
	switch {
	case !stationForm.MatchString(h.Station):
		return fmt.Errorf("header: station id: %w", ErrMalformed)
	case !packetForm.MatchString(h.Packet):
		return fmt.Errorf("header: packet id: %w", ErrMalformed)
	case h.Seq == 0:
		return fmt.Errorf("header: sequence number 0: %w", ErrMalformed)
	case !keyIDForm.MatchString(h.CityKey):
		return fmt.Errorf("header: city key id: %w", ErrMalformed)
	}
	return nil
}

// NewID returns a random packet id (128 bits as 32 hex digits) read from random.
func NewID(random io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("packet id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// KeyID names a city packet public key: the first 8 bytes of SHA-256 over a
// label and the key, in hex. Rotation keeps old private keys; the header's
// city_key says which one opens a packet.
func KeyID(pub *ecdh.PublicKey) string {
	h := sha256.New()
	h.Write([]byte("cityid-field-packet-key\x00"))
	h.Write(pub.Bytes())
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES256GCM() }

func info(header []byte) []byte {
	return append([]byte(Version+"\x00"), header...)
}

// Seal encrypts p to the city's packet key and signs the result with the
// station's key. p.Station, p.Packet and p.Seq become the header; the
// payload is checked for form only (the city applies the intake rules).
func Seal(p Payload, cityPub *ecdh.PublicKey, stationKey ed25519.PrivateKey) ([]byte, error) {
	if cityPub == nil || cityPub.Curve() != ecdh.X25519() {
		return nil, errors.New("seal: the city packet key must be an X25519 public key")
	}
	if len(stationKey) != ed25519.PrivateKeySize {
		return nil, errors.New("seal: the station key must be an Ed25519 private key")
	}
	h := Header{Station: p.Station, Packet: p.Packet, Seq: p.Seq, CityKey: KeyID(cityPub)}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("seal: header: %w", err)
	}
	pt, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("seal: payload: %w", err)
	}
	pk, err := hpke.NewDHKEMPublicKey(cityPub)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pk, kdf, aead, info(hb))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ct, err := sender.Seal(nil, pt)
	clear(pt)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	bodyLen := len(enc) + len(ct)
	size := len(Version) + 1 + 2 + len(hb) + 4 + bodyLen + sigSize
	if size > MaxSize {
		return nil, fmt.Errorf("seal: %d bytes: %w", size, ErrTooLarge)
	}
	out := make([]byte, 0, size)
	out = append(out, Version+"\n"...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(hb)))
	out = append(out, hb...)
	out = binary.BigEndian.AppendUint32(out, uint32(bodyLen))
	out = append(out, enc...)
	out = append(out, ct...)
	return append(out, ed25519.Sign(stationKey, out)...), nil
}

// parsed is a packet split into its parts (slices of the input).
type parsed struct {
	header    Header
	headerRaw []byte
	body      []byte
	signed    []byte // everything the signature covers
	sig       []byte
}

func parse(b []byte) (parsed, error) {
	var p parsed
	if len(b) > MaxSize {
		return p, fmt.Errorf("%d bytes: %w", len(b), ErrTooLarge)
	}
	line, rest, found := bytes.Cut(b, []byte{'\n'})
	switch {
	case !found && len(line) > len(Version):
		return p, fmt.Errorf("no version line: %w", ErrMalformed)
	case !found && bytes.HasPrefix([]byte(Version), line):
		return p, fmt.Errorf("version line: %w", ErrTruncated)
	case !found:
		return p, fmt.Errorf("no version line: %w", ErrMalformed)
	case string(line) == Version:
	case bytes.HasPrefix(line, []byte(versionPrefix)):
		return p, fmt.Errorf("%.40q: %w", line, ErrVersion)
	default:
		return p, fmt.Errorf("no version line: %w", ErrMalformed)
	}
	if len(rest) < 2 {
		return p, fmt.Errorf("header length: %w", ErrTruncated)
	}
	n := int(binary.BigEndian.Uint16(rest))
	if n == 0 || n > MaxHeader {
		return p, fmt.Errorf("header of %d bytes: %w", n, ErrMalformed)
	}
	rest = rest[2:]
	if len(rest) < n {
		return p, fmt.Errorf("header: %w", ErrTruncated)
	}
	p.headerRaw, rest = rest[:n], rest[n:]
	dec := json.NewDecoder(bytes.NewReader(p.headerRaw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.header); err != nil {
		return p, fmt.Errorf("header: %v: %w", err, ErrMalformed)
	}
	if dec.More() {
		return p, fmt.Errorf("header: data after the JSON object: %w", ErrMalformed)
	}
	if err := p.header.validate(); err != nil {
		return p, err
	}
	if len(rest) < 4 {
		return p, fmt.Errorf("body length: %w", ErrTruncated)
	}
	m := int64(binary.BigEndian.Uint32(rest))
	rest = rest[4:]
	if m < encSize+16 {
		return p, fmt.Errorf("body of %d bytes: %w", m, ErrMalformed)
	}
	if int64(len(rest)) < m+sigSize {
		return p, fmt.Errorf("body or signature: %w", ErrTruncated)
	}
	if int64(len(rest)) > m+sigSize {
		return p, fmt.Errorf("%d bytes after the signature: %w", int64(len(rest))-m-sigSize, ErrMalformed)
	}
	p.body = rest[:m]
	p.sig = rest[m:]
	p.signed = b[:len(b)-sigSize]
	return p, nil
}

// ParseHeader reads a packet's header and checks its structure (version,
// lengths, nothing after the signature); it verifies no signature and
// decrypts nothing. The city uses it to find the station and city key that
// Open needs.
func ParseHeader(b []byte) (Header, error) {
	p, err := parse(b)
	if err != nil {
		return Header{}, fmt.Errorf("packet: %w", err)
	}
	return p.header, nil
}

// Open checks the station's signature over the whole packet, then decrypts
// it with the city's packet private key and checks that the payload belongs
// to the header. Nothing is decrypted unless the signature verifies.
func Open(b []byte, cityPriv *ecdh.PrivateKey, stationPub ed25519.PublicKey) (Payload, error) {
	p, err := parse(b)
	if err != nil {
		return Payload{}, fmt.Errorf("packet: %w", err)
	}
	if len(stationPub) != ed25519.PublicKeySize || !ed25519.Verify(stationPub, p.signed, p.sig) {
		return Payload{}, fmt.Errorf("packet %s of station %s: %w", p.header.Packet, p.header.Station, ErrSignature)
	}
	if cityPriv == nil || cityPriv.Curve() != ecdh.X25519() || KeyID(cityPriv.PublicKey()) != p.header.CityKey {
		return Payload{}, fmt.Errorf("packet %s: key %s: %w", p.header.Packet, p.header.CityKey, ErrCityKey)
	}
	sk, err := hpke.NewDHKEMPrivateKey(cityPriv)
	if err != nil {
		return Payload{}, fmt.Errorf("packet: %w", err)
	}
	kdf, aead := suite()
	r, err := hpke.NewRecipient(p.body[:encSize], sk, kdf, aead, info(p.headerRaw))
	if err != nil {
		return Payload{}, fmt.Errorf("packet %s: encapsulated key: %v: %w", p.header.Packet, err, ErrWrongStation)
	}
	pt, err := r.Open(nil, p.body[encSize:])
	if err != nil {
		// The signature verified and the key is the right one, so the body
		// was sealed under another header: moved from another packet.
		return Payload{}, fmt.Errorf("packet %s of station %s: %w", p.header.Packet, p.header.Station, ErrWrongStation)
	}
	defer clear(pt)
	var out Payload
	dec := json.NewDecoder(bytes.NewReader(pt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return Payload{}, fmt.Errorf("packet %s: %v: %w", p.header.Packet, err, ErrPayload)
	}
	if dec.More() {
		return Payload{}, fmt.Errorf("packet %s: data after the payload: %w", p.header.Packet, ErrPayload)
	}
	if out.Station != p.header.Station || out.Packet != p.header.Packet || out.Seq != p.header.Seq {
		return Payload{}, fmt.Errorf("packet %s: payload names another station, packet or sequence number: %w", p.header.Packet, ErrWrongStation)
	}
	if err := out.validate(); err != nil {
		return Payload{}, fmt.Errorf("packet %s: %w", p.header.Packet, err)
	}
	return out, nil
}

// sealedAtBounds keeps a station clock's time within what JSON and the
// database can hold; a clock a year or two off is fine (the city's clock
// orders the audit).
var sealedAtBounds = [2]time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}
