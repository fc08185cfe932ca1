package station

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/field/wire"
)

// Receipt is what the clerk prints for the resident after finishing: the
// reference code and the fee, nothing the station could be asked for later.
type Receipt struct {
	Reference string
	Seq       uint64
	Packet    string
	Quote     fee.Quote
	Payment   fee.Payment
	Language  string
	SealedAt  time.Time // station clock
}

// Finish checks a finished intake by the program's rules (as Submit does at
// city hall), seals it to the city's packet key, signs it, and writes the
// packet to the outbox. A *enroll.ValidationError lists what is wrong and
// nothing is written. The plain intake is not kept anywhere.
func (s *Station) Finish(clerkID string, in enroll.Intake) (Receipt, error) {
	if free := s.free(s.dir); free >= 0 && free < MinFreeBytes {
		return Receipt{}, fmt.Errorf("%d bytes free: %w", free, ErrStorageFull)
	}
	norm, q, err := s.check.Finish(in)
	if err != nil {
		return Receipt{}, err
	}
	ref, err := enroll.NewReference(s.rand)
	if err != nil {
		return Receipt{}, err
	}
	id, err := packet.NewID(s.rand)
	if err != nil {
		return Receipt{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	city, err := s.cityKeyLocked()
	if err != nil {
		return Receipt{}, err
	}
	p := packet.FromIntake(norm)
	p.Station, p.Packet, p.Seq = s.state.StationID, id, s.state.LastSeq+1
	p.SealedAt, p.Clerk, p.Reference = s.clock().UTC(), clerkID, ref
	b, err := packet.Seal(p, city, s.key)
	clear(p.Photo)
	if err != nil {
		return Receipt{}, err
	}
	// The packet first, then the counter: a crash in between leaves a
	// packet that Open counts (no sequence number is used twice).
	if err := writeFile(filepath.Join(s.dir, outboxDir, packetName(p.Seq, id)), b); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			err = fmt.Errorf("%w: %w", ErrStorageFull, err)
		}
		return Receipt{}, fmt.Errorf("write packet: %w", err)
	}
	s.state.LastSeq = p.Seq
	if err := s.saveLocked(); err != nil {
		return Receipt{}, err
	}
	return Receipt{Reference: ref, Seq: p.Seq, Packet: id, Quote: q, Payment: norm.Payment,
		Language: norm.Person.Language, SealedAt: p.SealedAt}, nil
}

// packetName is a packet's file name: the sequence number, zero-padded so
// names sort in order, and the packet id.
func packetName(seq uint64, id string) string {
	return fmt.Sprintf("%012d-%s.pkt", seq, id)
}

// Waiting is a sealed packet in the outbox.
type Waiting struct {
	Seq    uint64
	Packet string
	Path   string
	Size   int64
}

// Outbox lists the packets waiting for upload, oldest first.
func (s *Station) Outbox() ([]Waiting, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, outboxDir))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var out []Waiting
	for _, e := range ents {
		name := e.Name()
		base, ok := strings.CutSuffix(name, ".pkt")
		if !ok || e.IsDir() {
			continue
		}
		seqText, id, ok := strings.Cut(base, "-")
		seq, err := strconv.ParseUint(seqText, 10, 64)
		if !ok || err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, Waiting{Seq: seq, Packet: id, Path: filepath.Join(s.dir, outboxDir, name), Size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// Ack records that the city holds packet w (imported, or kept in its
// quarantine when reason is not "") and deletes it from the outbox.
func (s *Station) Ack(w Waiting, reason string) error {
	if err := os.Remove(w.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete acknowledged packet %d: %w", w.Seq, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Acked++
	if reason != "" {
		s.state.Refused = append(s.state.Refused, Refusal{Seq: w.Seq, Reason: reason, At: s.clock().UTC()})
	}
	return s.saveLocked()
}

// Synced records the time of a sync that reached the city.
func (s *Station) Synced() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.LastSync = s.clock().UTC()
	return s.saveLocked()
}

// MinFreeBytes is the free space below which Finish refuses to seal (the
// application is not lost: it stays on the clerk's screen): room for the
// packet and for the station's own files to be rewritten safely.
const MinFreeBytes = 32 << 20

// ErrStorageFull is Finish refusing for lack of disk space; nothing was written.
var ErrStorageFull = errors.New("the station's storage is full")

// WarnFreeBytes is the free space below which the station warns: about
// ten thousand packets' worth, days of intake at a busy site.
const WarnFreeBytes = 1 << 30

// WarnClockOffset is how far the laptop's clock may be from the city's
// before the station asks the coordinator to set it.
const WarnClockOffset = 10 * time.Minute

// Status is the station's counts for the coordinator.
type Status struct {
	Name, StationID, Enrolment string
	Code                       string // the short code of the station's key (wire.Code) the supervisor compares
	Sealed                     uint64 // packets sealed since the station was set up
	Waiting                    int    // in the outbox
	WaitingBytes               int64
	Acked                      uint64 // acknowledged by the city
	Refused                    []Refusal
	FreeBytes                  int64 // -1: unknown on this system
	LowStorage                 bool
	LastSync                   time.Time
	// ClockOffset is the city's clock minus the laptop's at the last
	// sync; ClockOff says it is large enough for the coordinator to fix
	// the laptop's clock (the station corrects for it meanwhile).
	ClockOffset time.Duration
	ClockOff    bool
}

// Status returns the station's counts and free storage.
func (s *Station) Status() (Status, error) {
	waiting, err := s.Outbox()
	if err != nil {
		return Status{}, err
	}
	st := s.State()
	out := Status{Name: st.Name, StationID: st.StationID, Code: wire.Code(s.PublicKey()), Enrolment: st.Status,
		Sealed: st.LastSeq, Waiting: len(waiting), Acked: st.Acked, Refused: st.Refused, LastSync: st.LastSync}
	for _, w := range waiting {
		out.WaitingBytes += w.Size
	}
	out.FreeBytes = s.free(s.dir)
	out.LowStorage = out.FreeBytes >= 0 && out.FreeBytes < WarnFreeBytes
	out.ClockOffset = st.ClockOffset
	out.ClockOff = st.ClockOffset > WarnClockOffset || st.ClockOffset < -WarnClockOffset
	return out, nil
}
