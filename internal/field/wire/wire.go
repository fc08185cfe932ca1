// Package wire is the HTTP protocol between a field station and the city's
// server: the JSON of enrolment and upload, and the short code a station
// shows and a supervisor compares before approving it. The station (the
// client) and the server both use these types, so the shapes exist once.
// The packet itself is package field/packet's.
package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"time"

	"github.com/cityid/cityid/internal/field/packet"
)

// The endpoints, under the server's base URL. None takes a bearer token: a
// station is authenticated by the signature in each packet and by its
// enrolment status.
const (
	// EnrolPath takes an EnrolRequest (POST) and answers an Enrolment.
	EnrolPath = "/api/v1/field/stations"
	// StationPath + id answers the station's Enrolment (GET).
	StationPath = "/api/v1/field/stations/"
	// PacketsPath takes one sealed packet as the body (POST,
	// application/octet-stream) and answers an Upload.
	PacketsPath = "/api/v1/field/packets"
	// MaxPacketBytes is the largest packet the server reads; a larger one
	// is refused with 413 and not kept (the packet format's own limit).
	MaxPacketBytes = packet.MaxSize
)

// EnrolRequest is what a station sends to enrol: its name as the
// coordinator typed it and its Ed25519 public key.
type EnrolRequest struct {
	Name      string `json:"name"`
	PublicKey []byte `json:"public_key"` // 32 bytes, base64 in JSON
}

// Station statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRefused  = "refused"
	StatusRevoked  = "revoked"
)

// Enrolment is the server's view of a station. PacketKey, SigningKeys and
// SiteID are there once a supervisor approved it.
type Enrolment struct {
	StationID   string          `json:"station_id"`
	Name        string          `json:"name,omitempty"`
	Status      string          `json:"status"`
	Code        string          `json:"code"`
	SiteID      string          `json:"site_id,omitempty"`
	PacketKey   *PacketKey      `json:"packet_key,omitempty"`
	SigningKeys json.RawMessage `json:"signing_keys,omitempty"` // the program's JWK set
	ServerTime  time.Time       `json:"server_time"`
}

// PacketKey is the city's public key packets are sealed to (HPKE with
// DHKEM(X25519, HKDF-SHA256)); ID goes into the packet's header so the
// server opens it with the right private key after a rotation.
type PacketKey struct {
	ID        string `json:"id"`
	PublicKey []byte `json:"public_key"` // 32 bytes, base64 in JSON
}

// Upload results.
const (
	ResultImported        = "imported"
	ResultAlreadyImported = "already_imported"
	ResultQuarantined     = "quarantined"
)

// Upload is the answer to one packet. Result imported or already_imported
// comes with 200; quarantined with 422 and a Reason (and the API's error
// object). Either way the city holds the packet and the station may delete
// it; any other answer means keep it and try again later.
type Upload struct {
	StationID string `json:"station_id"`
	PacketID  string `json:"packet_id"`
	Seq       uint64 `json:"seq"`
	Result    string `json:"result"`
	Reason    string `json:"reason,omitempty"`
}

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Code is the short code of a station's public key, "K7QM-4XPA": the first
// 40 bits of SHA-256("cityid-station-code/1\n" || key) in base32. The
// station shows it; the supervisor approves only if the code on the staff
// page is the same, so a request sent by someone else is not approved.
func Code(key ed25519.PublicKey) string {
	h := sha256.New()
	h.Write([]byte("cityid-station-code/1\n"))
	h.Write(key)
	s := codeEncoding.EncodeToString(h.Sum(nil)[:5])
	return s[:4] + "-" + s[4:]
}
