// Package station is a field station's own state: the laptop at a partner
// site or on the mobile unit that takes applications offline. It holds the
// station's Ed25519 key (sealed under a local key file), its enrolment with
// the city (station id, the city's packet public key), clerk accounts, and
// the outbox of sealed packets waiting for upload. A finished application is
// checked by the same rules as at city hall, sealed at once to the city's
// key and written to the outbox; the station keeps nothing it can read back.
package station

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/packet"
)

// Enrolment statuses, as the city's server reports them.
const (
	StatusNew      = "new"     // keys made, enrolment not yet sent
	StatusPending  = "pending" // sent; a supervisor has not decided
	StatusApproved = "approved"
	StatusRefused  = "refused"
	StatusRevoked  = "revoked"
)

// Files in a station's data directory.
const (
	stateFile   = "station.json" // enrolment, counters (no personal data)
	localKey    = "local.key"    // 32 random bytes, 0600: seals the signing key
	signingFile = "signing.key"  // the Ed25519 seed, AES-256-GCM under local.key
	clerksFile  = "clerks.json"  // clerk accounts: id, name, argon2id hash
	outboxDir   = "outbox"       // sealed packets, one file each
	settingsTOM = "cityid.toml"  // optional program settings (evidence rules, fees)
	keyAAD      = "cityid-station-signing-key/1"
)

// State is what station.json holds: no personal data, only the enrolment and
// counters.
type State struct {
	Name      string `json:"name"`
	Server    string `json:"server"`
	StationID string `json:"station_id,omitempty"`
	Code      string `json:"code,omitempty"` // the short code the supervisor compares
	Status    string `json:"status"`
	SiteID    string `json:"site_id,omitempty"`
	// CityKey is the city's X25519 packet public key, given on approval.
	CityKey []byte `json:"city_key,omitempty"`
	// LastSeq is the sequence number of the last packet sealed (1, 2, 3…).
	LastSeq uint64 `json:"last_seq"`
	// Acked counts packets the city acknowledged (imported or quarantined).
	Acked    uint64    `json:"acked"`
	Refused  []Refusal `json:"refused,omitempty"`
	LastSync time.Time `json:"last_sync,omitzero"`
	// ClockOffset is the city's clock minus the laptop's, measured at the
	// last enrolment fetch: the station judges dates and stamps packets by
	// the laptop's clock corrected by it, so a laptop whose clock is a
	// year off still judges a utility bill's 90 days by the real day.
	ClockOffset time.Duration `json:"clock_offset,omitempty"`
}

// Refusal is a packet the city took into quarantine instead of importing:
// its sequence number and the reason code, never whose application it was.
type Refusal struct {
	Seq    uint64    `json:"seq"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"` // station clock
}

// Station is an open data directory. Its methods are safe for concurrent use.
type Station struct {
	dir  string
	now  func() time.Time // the laptop's clock
	free func(dir string) int64
	// offset is State.ClockOffset in nanoseconds, read by clock without the lock.
	offset atomic.Int64
	rand   io.Reader
	check  *enroll.Service // the program's intake rules, with no store

	mu    sync.Mutex
	state State
	key   ed25519.PrivateKey
}

// Options are a station's injected clock, randomness and program settings.
type Options struct {
	Now      func() time.Time // nil: time.Now
	Rand     io.Reader        // nil: crypto/rand
	Settings *config.Settings // nil: cityid.toml in the directory, or the defaults
	// FreeBytes reports the free space of the directory's file system
	// (-1 unknown); nil asks the file system.
	FreeBytes func(dir string) int64
}

// ErrNotApproved is returned when an application is finished before the
// city approved the station (it has no city key to seal to yet) or after
// it was revoked.
var ErrNotApproved = errors.New("the city has not approved this station (or revoked it)")

// ErrExists is returned by Init on a directory that already holds a station.
var ErrExists = errors.New("a station is already set up in this directory")

// Init makes a new station in dir: a local key, the station's Ed25519 key
// sealed under it, and its state. The enrolment is sent separately.
func Init(dir, name, server string, o Options) (*Station, error) {
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return nil, fmt.Errorf("init %s: %w", dir, ErrExists)
	}
	if err := os.MkdirAll(filepath.Join(dir, outboxDir), 0o700); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	s, err := newStation(dir, o)
	if err != nil {
		return nil, err
	}
	local := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, local); err != nil {
		return nil, fmt.Errorf("init: local key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(s.rand, seed); err != nil {
		return nil, fmt.Errorf("init: station key: %w", err)
	}
	sealed, err := sealKey(local, seed, s.rand)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, localKey), local); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, signingFile), sealed); err != nil {
		return nil, err
	}
	s.key = ed25519.NewKeyFromSeed(seed)
	clear(seed)
	s.state = State{Name: name, Server: server, Status: StatusNew}
	return s, s.saveLocked()
}

// Open opens the station in dir.
func Open(dir string, o Options) (*Station, error) {
	s, err := newStation(dir, o)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("open station (run 'cityid station init' first?): %w", err)
	}
	if err := json.Unmarshal(b, &s.state); err != nil {
		return nil, fmt.Errorf("open station: %s: %w", stateFile, err)
	}
	s.offset.Store(int64(s.state.ClockOffset))
	local, err := os.ReadFile(filepath.Join(dir, localKey))
	if err != nil {
		return nil, fmt.Errorf("open station: %w", err)
	}
	sealed, err := os.ReadFile(filepath.Join(dir, signingFile))
	if err != nil {
		return nil, fmt.Errorf("open station: %w", err)
	}
	seed, err := openKey(local, sealed)
	if err != nil {
		return nil, err
	}
	s.key = ed25519.NewKeyFromSeed(seed)
	clear(seed)
	// A crash after a packet was written and before the state was saved
	// leaves the packet with a higher sequence number than LastSeq.
	waiting, err := s.Outbox()
	if err != nil {
		return nil, err
	}
	for _, w := range waiting {
		s.state.LastSeq = max(s.state.LastSeq, w.Seq)
	}
	return s, nil
}

func newStation(dir string, o Options) (*Station, error) {
	s := &Station{dir: dir, now: o.Now, rand: o.Rand, free: o.FreeBytes}
	if s.free == nil {
		s.free = freeBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	st := o.Settings
	if st == nil {
		loaded, err := loadSettings(filepath.Join(dir, settingsTOM))
		if err != nil {
			return nil, err
		}
		st = &loaded
	}
	s.check = enroll.New(nil, nil, *st, s.clock, s.rand)
	return s, nil
}

func loadSettings(path string) (config.Settings, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return config.Default(), nil
	}
	st, err := config.Load(path)
	if err != nil {
		return config.Settings{}, fmt.Errorf("station settings: %w", err)
	}
	return st, nil
}

// clock is the laptop's clock corrected by the offset to the city's
// measured at the last enrolment fetch.
func (s *Station) clock() time.Time { return s.now().Add(time.Duration(s.offset.Load())) }

// LaptopClock is the laptop's own clock, uncorrected.
func (s *Station) LaptopClock() time.Time { return s.now() }

// Dir is the station's data directory.
func (s *Station) Dir() string { return s.dir }

// Settings are the program settings the station checks intakes with.
func (s *Station) Settings() config.Settings { return s.check.Settings() }

// Rules is the intake rules without storage (enroll.Service.Check and
// Finish), for the station's intake page.
func (s *Station) Rules() *enroll.Service { return s.check }

// PublicKey is the station's Ed25519 public key, sent at enrolment.
func (s *Station) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// State returns a copy of the station's state.
func (s *Station) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.Refused = append([]Refusal(nil), s.state.Refused...)
	return st
}

// Enrolment is what the city said about the station.
type Enrolment struct {
	StationID, Code, Status, SiteID string
	CityKey                         []byte // X25519 public key; set when approved
	// ServerTime is the city's clock when it answered, and Asked and
	// Answered the laptop's clock around the request (zero: not known).
	ServerTime, Asked, Answered time.Time
}

// SetEnrolment records the city's answer.
func (s *Station) SetEnrolment(e Enrolment) error {
	if len(e.CityKey) > 0 {
		if _, err := ecdh.X25519().NewPublicKey(e.CityKey); err != nil {
			return fmt.Errorf("city packet key: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.StationID, s.state.Code, s.state.Status = e.StationID, e.Code, e.Status
	if e.SiteID != "" {
		s.state.SiteID = e.SiteID
	}
	if len(e.CityKey) > 0 {
		s.state.CityKey = e.CityKey
	}
	if !e.ServerTime.IsZero() && !e.Asked.IsZero() && !e.Answered.IsZero() {
		mid := e.Asked.Add(e.Answered.Sub(e.Asked) / 2)
		s.state.ClockOffset = e.ServerTime.Sub(mid).Round(time.Second)
		s.offset.Store(int64(s.state.ClockOffset))
	}
	return s.saveLocked()
}

func (s *Station) saveLocked() error {
	b, err := json.MarshalIndent(s.state, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(s.dir, stateFile), b)
}

func sealKey(local, seed []byte, random io.Reader) ([]byte, error) {
	aead, err := gcm(local)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, seed, []byte(keyAAD)), nil
}

func openKey(local, sealed []byte) ([]byte, error) {
	aead, err := gcm(local)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("station key file is damaged")
	}
	seed, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(keyAAD))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("station key does not open under local.key (damaged, or files from two stations mixed)")
	}
	return seed, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("local.key must be 32 bytes")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// writeFile replaces path crash-safely: a temporary file, fsync, rename,
// fsync of the directory. Files are 0600: only the station's user reads them.
func writeFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// cityKey returns the city's packet public key, or ErrNotApproved.
func (s *Station) cityKeyLocked() (*ecdh.PublicKey, error) {
	if s.state.Status != StatusApproved || len(s.state.CityKey) == 0 || s.state.StationID == "" {
		return nil, ErrNotApproved
	}
	return ecdh.X25519().NewPublicKey(s.state.CityKey)
}

// KeyID is the fingerprint of the city key the station seals to ("" before approval).
func (s *Station) KeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.cityKeyLocked()
	if err != nil {
		return ""
	}
	return packet.KeyID(k)
}
