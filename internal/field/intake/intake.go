// Package intake is the city's side of field stations: the laptops a
// partner organization or a mobile unit takes applications on, offline.
// A station enrols with its Ed25519 key and a supervisor approves it (or
// refuses, or later revokes it); each finished application arrives as a
// packet sealed to the city's packet key and signed by the station, and is
// imported once through the normal intake path (package enroll: evidence
// rules, duplicate screening, the review queue, the audit chain). A packet
// that cannot be imported is kept, still encrypted, in a quarantine a
// supervisor can inspect; nothing of it is imported.
package intake

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/vault"
)

// Why a packet is quarantined: the reason codes of the upload answer
// (wire.Upload.Reason) and of the staff page. The packet format's own
// refusals (packet.Reason) keep their codes.
const (
	ReasonTruncated          = "truncated"
	ReasonMalformed          = "malformed"
	ReasonUnknownVersion     = "unknown_version"
	ReasonTooLarge           = "too_large"
	ReasonBadSignature       = "bad_signature"
	ReasonUnknownKey         = "unknown_key"
	ReasonWrongStation       = "wrong_station"
	ReasonBadPayload         = "bad_payload"
	ReasonUnknownStation     = "unknown_station"
	ReasonNotApproved        = "station_not_approved"
	ReasonRevoked            = "station_revoked"
	ReasonInvalidApplication = "invalid_application"
	ReasonPacketIDReused     = "packet_id_reused"
)

// Reasons lists the reason codes in the order the staff page shows them.
func Reasons() []string {
	return []string{ReasonTruncated, ReasonMalformed, ReasonUnknownVersion, ReasonTooLarge, ReasonBadSignature, ReasonUnknownKey,
		ReasonWrongStation, ReasonBadPayload, ReasonUnknownStation, ReasonNotApproved, ReasonRevoked, ReasonInvalidApplication, ReasonPacketIDReused}
}

// Submitter is the normal intake path (enroll.Service.Submit).
type Submitter interface {
	Submit(ctx context.Context, by auth.Actor, id string, in enroll.Intake) (*enroll.Application, error)
}

// Options are the field settings.
type Options struct {
	// StaleDays: a station that has not synced for this many days is
	// flagged on the status page (default 7).
	StaleDays int
	// QuarantineDays: a quarantined packet is deleted this many days after
	// it was received (default 90).
	QuarantineDays int
	// RetiredKeyDays: a retired packet key is kept this many days to open
	// late packets (default 365).
	RetiredKeyDays int
	// SigningKeys returns the program's public signing keys (a JWK set)
	// for an approved station; nil sends none.
	SigningKeys func() (json.RawMessage, error)
	// Location is the program's time zone: the station's calendar day of
	// an intake is judged in it (nil: UTC).
	Location *time.Location
}

func days(n, def int) time.Duration {
	if n <= 0 {
		n = def
	}
	return time.Duration(n) * 24 * time.Hour
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) staleAfter() time.Duration     { return days(o.StaleDays, 7) }
func (o Options) quarantineKeep() time.Duration { return days(o.QuarantineDays, 90) }
func (o Options) retiredKeyKeep() time.Duration { return days(o.RetiredKeyDays, 365) }

// Service runs station enrolment and packet import.
type Service struct {
	db    Store
	vault *vault.Vault
	apps  Submitter
	now   func() time.Time
	rand  io.Reader
	opt   Options
}

// New returns a Service; nil now/random mean the real clock and crypto/rand.
func New(db Store, v *vault.Vault, apps Submitter, opt Options, now func() time.Time, random io.Reader) *Service {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Service{db: db, vault: v, apps: apps, now: now, rand: random, opt: opt}
}

// stationActor is who a station's imports are done as: the station's id
// (its applications' clerk), at its site. Idempotency keys are per actor,
// so one station's packet ids never collide with another's.
func stationActor(st Station) auth.Actor {
	return auth.Actor{StaffID: st.ID, Username: st.ID, Role: auth.RoleClerk, SiteID: st.SiteID}
}

// Enrol records a station's request: pending until a supervisor compares
// its code and approves it. The same key enrolled again answers the
// station already recorded (created false).
func (s *Service) Enrol(ctx context.Context, name string, key []byte) (st Station, created bool, err error) {
	name = strings.TrimSpace(name)
	var fe person.Errors
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe = append(fe, person.FieldError{Field: "name", Key: "error.required"})
	case n > 80 || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }):
		fe = append(fe, person.FieldError{Field: "name", Key: "error.too_long"})
	}
	if len(key) != ed25519.PublicKeySize {
		fe = append(fe, person.FieldError{Field: "public_key", Key: "error.invalid"})
	}
	if len(fe) > 0 {
		return Station{}, false, fe
	}
	if old, err := s.db.StationByKey(ctx, key); err == nil {
		return old, false, nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return Station{}, false, err
	}
	id, err := randid.New(s.rand, "stn")
	if err != nil {
		return Station{}, false, err
	}
	st = Station{ID: id, Name: name, PublicKey: ed25519.PublicKey(append([]byte(nil), key...)), Status: wire.StatusPending, CreatedAt: s.now().UTC()}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertStation(ctx, st); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: st.CreatedAt, Actor: st.ID, Action: "field.station.enrol", RecordType: "field_station", RecordID: st.ID})
	})
	if errors.Is(err, errs.ErrWriteConflict) { // the same key, at the same moment
		old, oerr := s.db.StationByKey(ctx, key)
		return old, false, oerr
	}
	return st, err == nil, err
}

// Enrolment is what a station fetches about itself; once approved, the
// city's packet key and the program's signing keys.
func (s *Service) Enrolment(ctx context.Context, id string) (wire.Enrolment, error) {
	st, err := s.db.Station(ctx, id)
	if err != nil {
		return wire.Enrolment{}, err
	}
	out := wire.Enrolment{StationID: st.ID, Name: st.Name, Status: st.Status, Code: wire.Code(st.PublicKey), ServerTime: s.now().UTC()}
	if st.Status != wire.StatusApproved {
		return out, nil
	}
	out.SiteID = st.SiteID
	k, err := s.CurrentKey(ctx)
	if err != nil {
		return wire.Enrolment{}, err
	}
	out.PacketKey = &k
	if s.opt.SigningKeys != nil {
		if out.SigningKeys, err = s.opt.SigningKeys(); err != nil {
			return wire.Enrolment{}, err
		}
	}
	return out, nil
}

func canDecide(by auth.Actor) bool { return by.Can(auth.RoleSupervisor, auth.RoleAdmin) }

// ErrStationState: the station is not in a state that allows this
// (approving a refused station, revoking a pending one…).
var ErrStationState = fmt.Errorf("field station is not in a state that allows this: %w", errs.ErrConflict)

// decide changes a station's status in one audited transaction.
func (s *Service) decide(ctx context.Context, by auth.Actor, id, action string, from []string, change func(Tx, *Station, time.Time) error) error {
	if !canDecide(by) {
		return fmt.Errorf("%s: %w", action, errs.ErrForbidden)
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		st, err := s.db.Station(ctx, id)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || st.Status == f
		}
		if !ok {
			return fmt.Errorf("%s: station %s is %s: %w", action, st.ID, st.Status, ErrStationState)
		}
		now := s.now().UTC()
		if err := change(tx, &st, now); err != nil {
			return err
		}
		if err := tx.UpdateStation(ctx, st); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: action, RecordType: "field_station", RecordID: st.ID})
	})
}

// Approve lets a pending station upload; its applications belong to
// siteID. The supervisor has compared the code the station shows.
func (s *Service) Approve(ctx context.Context, by auth.Actor, id, siteID string) error {
	if siteID == "" {
		return person.Errors{{Field: "site", Key: "error.required"}}
	}
	if si, err := s.db.Site(ctx, siteID); errors.Is(err, errs.ErrNotFound) || err == nil && !si.Active {
		return person.Errors{{Field: "site", Key: "error.invalid_choice"}}
	} else if err != nil {
		return err
	}
	if _, err := s.CurrentKey(ctx); err != nil { // the key the station will fetch
		return err
	}
	return s.decide(ctx, by, id, "field.station.approve", []string{wire.StatusPending}, func(tx Tx, st *Station, now time.Time) error {
		st.Status, st.SiteID, st.DecidedAt, st.DecidedBy = wire.StatusApproved, siteID, now, by.StaffID
		return tx.CreateStaff(ctx, stationAccount(*st, now))
	})
}

// stationAccount is the staff account a station's applications name as
// their clerk: its id is the station's, it is disabled and its password
// hash matches no password, so nobody signs in with it; the staff list and
// the cash reconciliation show it by the station's name.
func stationAccount(st Station, now time.Time) auth.StaffRecord {
	return auth.StaffRecord{ID: st.ID, Username: "station-" + strings.TrimPrefix(st.ID, "stn_"), DisplayName: st.Name,
		Role: auth.RoleClerk, SiteID: st.SiteID, PasswordHash: "!", Disabled: true, CreatedAt: now, UpdatedAt: now}
}

// Refuse turns a pending request down (a code that did not match, a
// station nobody expected).
func (s *Service) Refuse(ctx context.Context, by auth.Actor, id string) error {
	return s.decide(ctx, by, id, "field.station.refuse", []string{wire.StatusPending}, func(_ Tx, st *Station, now time.Time) error {
		st.Status, st.DecidedAt, st.DecidedBy = wire.StatusRefused, now, by.StaffID
		return nil
	})
}

// Revoke stops a station (lost, stolen, retired). Packets it uploads from
// now on are quarantined, except those numbered up to acceptThrough: the
// ones the coordinator says were sealed before the laptop went missing
// (the station's status shows how many it sealed). Those still import,
// but wait for a supervisor (needs_review) whatever the screening says.
func (s *Service) Revoke(ctx context.Context, by auth.Actor, id string, acceptThrough uint64) error {
	return s.decide(ctx, by, id, "field.station.revoke", []string{wire.StatusApproved}, func(_ Tx, st *Station, now time.Time) error {
		st.Status, st.RevokedAt, st.RevokedBy, st.AcceptThrough = wire.StatusRevoked, now, by.StaffID, acceptThrough
		return nil
	})
}

// ErrPacketTooLarge: the body is over wire.MaxPacketBytes; it is not kept.
var ErrPacketTooLarge = errors.New("field packet too large")

// refusal is a packet refused for a reason: quarantined.
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string { return r.reason + ": " + r.err.Error() }

// Receive takes one uploaded packet. It reads the header, checks the
// station's enrolment and the signature before decrypting, opens the
// packet and submits it through the normal intake path, once per
// (station, packet id): the same packet again is acknowledged as
// already_imported. A packet refused for a reason is quarantined as
// received and answered with that reason; an error means nothing was
// decided (the station keeps the packet and retries).
func (s *Service) Receive(ctx context.Context, body []byte) (wire.Upload, error) {
	if len(body) > wire.MaxPacketBytes {
		return wire.Upload{}, ErrPacketTooLarge
	}
	received := s.now().UTC()
	digest := sha256.Sum256(body)
	h, err := packet.ParseHeader(body)
	if err != nil {
		return s.refuse(ctx, body, digest[:], h, received, err)
	}
	up := wire.Upload{StationID: h.Station, PacketID: h.Packet, Seq: h.Seq}
	prev, err := s.db.ImportedPacket(ctx, h.Station, h.Packet)
	switch {
	case err == nil && string(prev.Digest) == string(digest[:]):
		up.Result = wire.ResultAlreadyImported
		return up, nil
	case err == nil:
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonPacketIDReused, errors.New("another packet with this id was imported")})
	case !errors.Is(err, errs.ErrNotFound):
		return wire.Upload{}, err
	}
	st, err := s.db.Station(ctx, h.Station)
	if errors.Is(err, errs.ErrNotFound) {
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonUnknownStation, err})
	}
	if err != nil {
		return wire.Upload{}, err
	}
	late := false
	switch st.Status {
	case wire.StatusApproved:
	case wire.StatusRevoked:
		if h.Seq > st.AcceptThrough {
			return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonRevoked, fmt.Errorf("station revoked at %s", st.RevokedAt.Format(time.RFC3339))})
		}
		late = true
	default:
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonNotApproved, fmt.Errorf("station is %s", st.Status)})
	}
	key, err := s.privateKey(ctx, h.CityKey)
	if errors.Is(err, errs.ErrNotFound) {
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonUnknownKey, err})
	}
	if err != nil {
		return wire.Upload{}, err
	}
	// Open checks the station's signature before it decrypts anything.
	c, err := packet.Open(body, key, st.PublicKey)
	if err != nil {
		return s.refuse(ctx, body, digest[:], h, received, err)
	}
	in, fe := c.Intake()
	if len(fe) > 0 {
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonInvalidApplication, fe})
	}
	in.Field = &enroll.FieldOrigin{Reference: c.Reference, TakenOn: person.DateOf(c.SealedAt.In(s.opt.location())),
		Since: retentionStart(c.SealedAt, st.DecidedAt, received)}
	if late {
		in.Field.Review = enroll.ReviewRevokedStation
	}
	app, err := s.apps.Submit(ctx, stationActor(st), "", in)
	var ve *enroll.ValidationError
	if errors.As(err, &ve) {
		return s.refuse(ctx, body, digest[:], h, received, &refusal{ReasonInvalidApplication, err})
	}
	if err != nil {
		return wire.Upload{}, fmt.Errorf("import packet %s of station %s: %w", h.Packet, h.Station, err)
	}
	p := Packet{StationID: h.Station, PacketID: h.Packet, Seq: h.Seq, ReceivedAt: received, StationTime: c.SealedAt.UTC(),
		Status: PacketImported, ApplicationID: app.ID, Digest: digest[:], Size: len(body)}
	if p.ID, err = randid.New(s.rand, "fpk"); err != nil {
		return wire.Upload{}, err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertPacket(ctx, p); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: received, Actor: st.ID, Action: "field.packet.import", RecordType: "application", RecordID: app.ID})
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		// The same packet arrived twice at once; the other upload recorded it.
		up.Result = wire.ResultAlreadyImported
		return up, nil
	}
	if err != nil {
		return wire.Upload{}, err
	}
	up.Result = wire.ResultImported
	if app.Repeated {
		up.Result = wire.ResultAlreadyImported
	}
	return up, nil
}

// retentionStart is when an imported application's pending retention
// starts: the station's clock, unless it is later than the receipt (a
// fast clock: the receipt) or earlier than the station's approval (a slow
// clock: a station cannot seal before it had the city's key). So the
// application is kept no longer than if it had been counted from
// either, and a wrong clock cannot make it expire at once.
func retentionStart(sealed, approved, received time.Time) time.Time {
	switch {
	case sealed.IsZero() || sealed.After(received):
		return received
	case sealed.Before(approved):
		return approved
	}
	return sealed
}

// refuse quarantines a packet: the bytes as received (still encrypted),
// the station and packet id the header claims, when and why. The same
// bytes twice are kept once.
func (s *Service) refuse(ctx context.Context, body, digest []byte, h packet.Header, received time.Time, cause error) (wire.Upload, error) {
	var reason string
	var r *refusal
	if errors.As(cause, &r) {
		reason = r.reason
	} else if reason = packet.Reason(cause); reason == "other" {
		return wire.Upload{}, cause // not about the packet: the station retries
	}
	up := wire.Upload{StationID: h.Station, PacketID: h.Packet, Seq: h.Seq, Result: wire.ResultQuarantined, Reason: reason}
	if prev, err := s.db.QuarantinedByDigest(ctx, digest); err == nil {
		up.Reason = prev.Reason
		return up, nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return wire.Upload{}, err
	}
	id, err := randid.New(s.rand, "fpk")
	if err != nil {
		return wire.Upload{}, err
	}
	p := Packet{ID: id, StationID: h.Station, PacketID: h.Packet, Seq: h.Seq, ReceivedAt: received,
		Status: PacketQuarantined, Reason: reason, Digest: digest, Size: len(body), Body: body}
	actor := h.Station
	if actor == "" {
		actor = "field.unknown"
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertPacket(ctx, p); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: received, Actor: actor, Action: "field.packet.quarantine", RecordType: "field_packet", RecordID: id, Purpose: reason})
	})
	if err != nil {
		return wire.Upload{}, err
	}
	return up, nil
}

// PurgeQuarantine deletes quarantined packets older than
// Options.QuarantineDays (counted from receipt), audited as one event.
func (s *Service) PurgeQuarantine(ctx context.Context) (int, error) {
	now := s.now().UTC()
	n := 0
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if n, err = tx.PurgeQuarantine(ctx, now.Add(-s.opt.quarantineKeep())); err != nil || n == 0 {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: auth.System().StaffID, Action: "field.quarantine.purge", RecordType: "field_packet", RecordID: fmt.Sprint(n)})
	})
	return n, err
}
