// Package audit is the logic of the tamper-evident audit log: events, their
// hash chain, validation that keeps personal data out of events, chain
// verification, and signed checkpoints. The store persists events in the
// same transaction as the change they record, and the events of reads in
// batches (Group, group.go, writes through a function the store gives it);
// this package does no I/O.
//
// Each event's hash covers every field and the previous event's hash, so
// altering, removing or reordering an event breaks the chain at that point.
// A chain alone cannot show that its newest events were cut off or rewritten
// wholesale; signed checkpoints (checkpoint.go) published or kept elsewhere
// pin its size and head.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Event is one audit record. It holds ids, never personal data.
type Event struct {
	Seq        int64     // 1-based, gapless
	At         time.Time // UTC, microsecond precision (what the databases store)
	Actor      string    // staff id like "stf_…", "system", or "resident"
	Action     string    // e.g. "application.submit", "application.read", "auth.login.password"
	RecordType string    // e.g. "application", "staff", "site"
	RecordID   string    // id of the record acted on
	Purpose    string    // e.g. "replacement", "fraud_review"; empty for routine work
	Outcome    string    // OutcomeOK or OutcomeDenied
	Prev       []byte    // Hash of the previous event; 32 zero bytes for Seq 1
	Hash       []byte    // SHA-256 over the canonical encoding of the fields above
}

// Filter selects audit events for display; empty fields match anything.
type Filter struct {
	RecordType, RecordID, Actor, Action string
	BeforeSeq                           int64 // 0 = from the newest
	Limit                               int   // default 100, at most 1000
}

// Outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
)

// HashSize is the length of Event.Hash and Event.Prev.
const HashSize = sha256.Size

// hashDomain separates audit hashes from any other SHA-256 use, and
// versions the encoding.
const hashDomain = "cityid audit event v1"

// Hash computes e.Hash from the other fields: SHA-256 over the domain label,
// Seq and At (Unix microseconds, UTC) as 8-byte big-endian integers, then
// each string field and Prev as a 4-byte big-endian length and its bytes.
// Time is truncated to microseconds so an event read back from the database
// hashes the same as when it was written.
func Hash(e Event) []byte {
	h := sha256.New()
	h.Write([]byte(hashDomain))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.At.UnixMicro()))
	h.Write(n[:])
	for _, f := range [][]byte{
		[]byte(e.Actor), []byte(e.Action), []byte(e.RecordType), []byte(e.RecordID),
		[]byte(e.Purpose), []byte(e.Outcome), e.Prev,
	} {
		binary.BigEndian.PutUint32(n[:4], uint32(len(f)))
		h.Write(n[:4])
		h.Write(f)
	}
	return h.Sum(nil)
}

// Next completes e as the event after prev (nil for the first event): it
// sets Seq and Prev, normalizes At to UTC microseconds, and computes Hash.
func Next(prev *Event, e Event) Event {
	if prev == nil {
		e.Seq = 1
		e.Prev = make([]byte, HashSize)
	} else {
		e.Seq = prev.Seq + 1
		e.Prev = bytes.Clone(prev.Hash)
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = Hash(e)
	return e
}

var (
	identRE    = regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)
	actorRE    = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	recordIDRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{0,128}$`)
)

// ErrInvalid is wrapped by Validate's errors.
var ErrInvalid = errors.New("invalid audit event")

// Validate checks that an event holds identifiers only, so a careless caller
// cannot put a name or an address in the log: Action and RecordType are
// short lower-case identifiers, Purpose one or empty, Actor and RecordID ids
// without spaces, Outcome "ok" or "denied". Error messages quote no values.
func Validate(e Event) error {
	switch {
	case !identRE.MatchString(e.Action):
		return fmt.Errorf("audit: action must match [a-z0-9_.]{1,64}: %w", ErrInvalid)
	case e.RecordType != "" && !identRE.MatchString(e.RecordType):
		return fmt.Errorf("audit: record type must match [a-z0-9_.]{1,64}: %w", ErrInvalid)
	case e.Purpose != "" && !identRE.MatchString(e.Purpose):
		return fmt.Errorf("audit: purpose must match [a-z0-9_.]{1,64}: %w", ErrInvalid)
	case !actorRE.MatchString(e.Actor):
		return fmt.Errorf("audit: actor must be an id ([A-Za-z0-9_.:-]{1,64}): %w", ErrInvalid)
	case !recordIDRE.MatchString(e.RecordID):
		return fmt.Errorf("audit: record id must be an id ([A-Za-z0-9_.:-]{0,128}): %w", ErrInvalid)
	case (e.RecordID == "") != (e.RecordType == ""):
		return fmt.Errorf("audit: record type and record id go together: %w", ErrInvalid)
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeDenied:
		return fmt.Errorf("audit: outcome must be %q or %q: %w", OutcomeOK, OutcomeDenied, ErrInvalid)
	case e.At.IsZero():
		return fmt.Errorf("audit: time is missing: %w", ErrInvalid)
	}
	return nil
}

// Problem is the first broken link Verify found.
type Problem struct {
	Seq    int64  // the sequence number at which the chain breaks
	Reason string // what is wrong, for the operator
}

// String says which event breaks the chain and why.
func (p *Problem) String() string { return fmt.Sprintf("event %d: %s", p.Seq, p.Reason) }

// Verify reads events in Seq order from next (which returns ok=false at the
// end) and checks the chain. It returns how many events it checked as
// intact, and the first problem, or nil when the whole chain is intact; err
// is only a failure of next itself.
//
// The checks, in order, for the event expected at position n:
// its Seq is n (else a gap or an out-of-order event at n); its Prev is the
// previous event's Hash (else the link is broken at n: an event before it was
// rewritten with a recomputed hash, or removed); its Hash matches its
// fields (else it was altered).
func Verify(next func() (Event, bool, error)) (count int64, p *Problem, err error) {
	var c chainCheck
	for {
		e, ok, err := next()
		if err != nil {
			return c.count, nil, fmt.Errorf("audit: verify: reading event %d: %w", c.count+1, err)
		}
		if !ok {
			return c.count, nil, nil
		}
		if p := c.check(e); p != nil {
			return c.count, p, nil
		}
	}
}

// chainCheck is the state of Verify between events.
type chainCheck struct {
	count    int64
	prevHash []byte
}

// check accepts e as the next event or returns the problem with it.
func (c *chainCheck) check(e Event) *Problem {
	if c.prevHash == nil {
		c.prevHash = make([]byte, HashSize)
	}
	want := c.count + 1
	switch {
	case e.Seq == want+1:
		return &Problem{Seq: want, Reason: fmt.Sprintf("gap: event %d missing", want)}
	case e.Seq > want:
		return &Problem{Seq: want, Reason: fmt.Sprintf("gap: events %d to %d missing", want, e.Seq-1)}
	case e.Seq < want:
		return &Problem{Seq: want, Reason: fmt.Sprintf("out of order: expected event %d, found event %d", want, e.Seq)}
	case !bytes.Equal(e.Prev, c.prevHash):
		return &Problem{Seq: want, Reason: "prev link broken: this event or the one before it was altered"}
	case !bytes.Equal(e.Hash, Hash(e)):
		return &Problem{Seq: want, Reason: "hash mismatch: event altered"}
	}
	c.prevHash = e.Hash
	c.count++
	return nil
}
