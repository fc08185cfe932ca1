package intake

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/site"
)

// Store is the storage field intake needs; package store implements it
// (store.DB.Field). A row that is not there is an error wrapping
// errs.ErrNotFound; a unique key taken is errs.ErrWriteConflict.
type Store interface {
	// InTx runs fn in one write transaction: a change and its audit event
	// commit together or not at all.
	InTx(ctx context.Context, fn func(Tx) error) error
	Station(ctx context.Context, id string) (Station, error)
	StationByKey(ctx context.Context, key ed25519.PublicKey) (Station, error)
	Stations(ctx context.Context) ([]Station, error)
	// ImportedPacket is the imported row of (station, packet id).
	ImportedPacket(ctx context.Context, stationID, packetID string) (Packet, error)
	// QuarantinedByDigest is a quarantined row holding exactly these bytes.
	QuarantinedByDigest(ctx context.Context, digest []byte) (Packet, error)
	// Quarantined lists quarantined packets, newest first, without their bodies.
	Quarantined(ctx context.Context, limit int) ([]Packet, error)
	// PacketCounts are the per-station figures of the status page.
	PacketCounts(ctx context.Context) ([]Counts, error)
	Meta(ctx context.Context, key string) ([]byte, error)
	// Site is the site an approved station's applications belong to.
	Site(ctx context.Context, id string) (site.Site, error)
}

// Tx is what one write transaction of field intake does.
type Tx interface {
	InsertStation(ctx context.Context, s Station) error
	UpdateStation(ctx context.Context, s Station) error
	InsertPacket(ctx context.Context, p Packet) error
	// PurgeQuarantine deletes quarantined packets received before t.
	PurgeQuarantine(ctx context.Context, before time.Time) (int, error)
	// CreateStaff records the staff account a station's applications
	// name as their clerk (applications.clerk_id is a staff id).
	CreateStaff(ctx context.Context, s auth.StaffRecord) error
	SetMeta(ctx context.Context, key string, value []byte) error
	SetMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error)
	AppendAudit(ctx context.Context, e audit.Event) error
}

// Station is a field station as the city knows it.
type Station struct {
	ID        string
	Name      string
	PublicKey ed25519.PublicKey
	Status    string // wire.StatusPending, …
	SiteID    string // the site its applications belong to, set on approval
	CreatedAt time.Time
	DecidedAt time.Time // approved or refused
	DecidedBy string
	RevokedAt time.Time
	RevokedBy string
	// AcceptThrough is the highest sequence number still imported after
	// revocation (packets sealed before it, uploaded late); 0 accepts none.
	AcceptThrough uint64
}

// Packet is one received packet: imported, or quarantined with why.
type Packet struct {
	ID            string // fpk_…, the server's
	StationID     string // from the header; "" when it could not be read
	PacketID      string // from the header
	Seq           uint64
	ReceivedAt    time.Time // the server's clock
	StationTime   time.Time // the station's clock at sealing; zero when not opened
	Status        string    // PacketImported, PacketQuarantined
	Reason        string    // why quarantined (Reason…)
	ApplicationID string
	Digest        []byte // SHA-256 of the bytes as received
	Size          int
	Body          []byte // quarantined only: the bytes as received, still encrypted
}

// Packet statuses.
const (
	PacketImported    = "imported"
	PacketQuarantined = "quarantined"
)

// Counts are one station's packet figures (no names: counts only).
type Counts struct {
	StationID   string
	MaxSeq      uint64 // packets sealed, from the sequence numbers seen
	Uploaded    int    // distinct packets received
	Imported    int
	Quarantined int
	LastSync    time.Time
	Reasons     map[string]int // quarantined, by reason
}
