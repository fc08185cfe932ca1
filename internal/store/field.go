package store

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/field/intake"
)

// Field returns db as the storage of field stations and their packets.
func (db *DB) Field() intake.Store { return domain[intake.Tx]{db} }

var _ intake.Tx = (*Tx)(nil)

const stationColumns = "id, name, public_key, status, site_id, created_at, decided_at, decided_by, revoked_at, revoked_by, accept_through"

func scanStation(sc interface{ Scan(...any) error }) (intake.Station, error) {
	var s intake.Station
	var key []byte
	var created, decided, revoked, through int64
	if err := sc.Scan(&s.ID, &s.Name, &key, &s.Status, &s.SiteID, &created, &decided, &s.DecidedBy, &revoked, &s.RevokedBy, &through); err != nil {
		return s, err
	}
	s.PublicKey = ed25519.PublicKey(key)
	s.CreatedAt, s.DecidedAt, s.RevokedAt, s.AcceptThrough = fromMicros(created), fromMicros(decided), fromMicros(revoked), uint64(through)
	return s, nil
}

// InsertStation records a station's enrolment request; a key already
// enrolled is ErrConflict.
func (tx *Tx) InsertStation(ctx context.Context, s intake.Station) error {
	_, err := tx.exec(ctx, "INSERT INTO field_stations ("+stationColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.Name, []byte(s.PublicKey), s.Status, s.SiteID, micros(s.CreatedAt), micros(s.DecidedAt), s.DecidedBy,
		micros(s.RevokedAt), s.RevokedBy, int64(s.AcceptThrough))
	if isUnique(err) {
		return fmt.Errorf("field station: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert field station: %w", err)
	}
	return nil
}

// UpdateStation stores a station's status and who decided it.
func (tx *Tx) UpdateStation(ctx context.Context, s intake.Station) error {
	res, err := tx.exec(ctx, `UPDATE field_stations SET status = ?, site_id = ?, decided_at = ?, decided_by = ?,
		revoked_at = ?, revoked_by = ?, accept_through = ? WHERE id = ?`,
		s.Status, s.SiteID, micros(s.DecidedAt), s.DecidedBy, micros(s.RevokedAt), s.RevokedBy, int64(s.AcceptThrough), s.ID)
	if err != nil {
		return fmt.Errorf("update field station: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("field station %s: %w", s.ID, ErrNotFound)
	}
	return nil
}

// Station returns one field station.
func (db *DB) Station(ctx context.Context, id string) (intake.Station, error) {
	s, err := scanStation(db.queryRow(ctx, "SELECT "+stationColumns+" FROM field_stations WHERE id = ?", id))
	if err != nil {
		return s, notFound(err, "field station")
	}
	return s, nil
}

// StationByKey returns the station enrolled with key.
func (db *DB) StationByKey(ctx context.Context, key ed25519.PublicKey) (intake.Station, error) {
	s, err := scanStation(db.queryRow(ctx, "SELECT "+stationColumns+" FROM field_stations WHERE public_key = ?", []byte(key)))
	if err != nil {
		return s, notFound(err, "field station")
	}
	return s, nil
}

// Stations lists every field station, newest request first.
func (db *DB) Stations(ctx context.Context) ([]intake.Station, error) {
	rows, err := db.query(ctx, "SELECT "+stationColumns+" FROM field_stations ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("field stations: %w", err)
	}
	defer rows.Close()
	var out []intake.Station
	for rows.Next() {
		s, err := scanStation(rows)
		if err != nil {
			return nil, fmt.Errorf("field stations: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const packetColumns = "id, station_id, packet_id, seq, received_at, station_time, status, reason, application_id, digest, size"

func scanPacket(sc interface{ Scan(...any) error }, extra ...any) (intake.Packet, error) {
	var p intake.Packet
	var seq, received, stationTime, size int64
	dest := append([]any{&p.ID, &p.StationID, &p.PacketID, &seq, &received, &stationTime, &p.Status, &p.Reason, &p.ApplicationID, &p.Digest, &size}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return p, err
	}
	p.Seq, p.ReceivedAt, p.StationTime, p.Size = uint64(seq), fromMicros(received), fromMicros(stationTime), int(size)
	return p, nil
}

// InsertPacket records a received packet; a second imported row for the
// same (station, packet id) is ErrConflict.
func (tx *Tx) InsertPacket(ctx context.Context, p intake.Packet) error {
	_, err := tx.exec(ctx, "INSERT INTO field_packets ("+packetColumns+", body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, p.StationID, p.PacketID, int64(p.Seq), micros(p.ReceivedAt), micros(p.StationTime), p.Status, p.Reason,
		p.ApplicationID, p.Digest, int64(p.Size), p.Body)
	if isUnique(err) {
		return fmt.Errorf("field packet %s: %w", p.PacketID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert field packet: %w", err)
	}
	return nil
}

// PurgeQuarantine deletes quarantined packets received before t.
func (tx *Tx) PurgeQuarantine(ctx context.Context, before time.Time) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM field_packets WHERE status = 'quarantined' AND received_at < ?", micros(before))
	if err != nil {
		return 0, fmt.Errorf("purge field quarantine: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ImportedPacket returns the imported row of (station, packet id).
func (db *DB) ImportedPacket(ctx context.Context, stationID, packetID string) (intake.Packet, error) {
	p, err := scanPacket(db.queryRow(ctx, "SELECT "+packetColumns+" FROM field_packets WHERE station_id = ? AND packet_id = ? AND status = 'imported'",
		stationID, packetID))
	if err != nil {
		return p, notFound(err, "field packet")
	}
	return p, nil
}

// QuarantinedByDigest returns a quarantined packet holding exactly the
// bytes whose SHA-256 is digest.
func (db *DB) QuarantinedByDigest(ctx context.Context, digest []byte) (intake.Packet, error) {
	p, err := scanPacket(db.queryRow(ctx, "SELECT "+packetColumns+" FROM field_packets WHERE digest = ? AND status = 'quarantined' ORDER BY received_at LIMIT 1", digest))
	if err != nil {
		return p, notFound(err, "field packet")
	}
	return p, nil
}

// Quarantined lists quarantined packets, newest first, without bodies.
func (db *DB) Quarantined(ctx context.Context, limit int) ([]intake.Packet, error) {
	rows, err := db.query(ctx, "SELECT "+packetColumns+" FROM field_packets WHERE status = 'quarantined' ORDER BY received_at DESC, id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("field quarantine: %w", err)
	}
	defer rows.Close()
	var out []intake.Packet
	for rows.Next() {
		p, err := scanPacket(rows)
		if err != nil {
			return nil, fmt.Errorf("field quarantine: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PacketCounts are the per-station packet figures of the status page.
func (db *DB) PacketCounts(ctx context.Context) ([]intake.Counts, error) {
	rows, err := db.query(ctx, `SELECT station_id, status, reason, COUNT(*), MAX(seq), MAX(received_at)
		FROM field_packets WHERE station_id <> '' GROUP BY station_id, status, reason ORDER BY station_id`)
	if err != nil {
		return nil, fmt.Errorf("field packet counts: %w", err)
	}
	defer rows.Close()
	var out []intake.Counts
	for rows.Next() {
		var station, status, reason string
		var n, maxSeq, last int64
		if err := rows.Scan(&station, &status, &reason, &n, &maxSeq, &last); err != nil {
			return nil, fmt.Errorf("field packet counts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].StationID != station {
			out = append(out, intake.Counts{StationID: station, Reasons: map[string]int{}})
		}
		c := &out[len(out)-1]
		c.Uploaded += int(n)
		c.MaxSeq = max(c.MaxSeq, uint64(maxSeq))
		c.LastSync = later(c.LastSync, fromMicros(last))
		switch status {
		case intake.PacketImported:
			c.Imported += int(n)
		case intake.PacketQuarantined:
			c.Quarantined += int(n)
			c.Reasons[reason] += int(n)
		}
	}
	return out, rows.Err()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
