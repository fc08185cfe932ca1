// Package checkpoint signs and checks checkpoints of the audit log: every
// Every events, and at least once per MaxAge while the log grows, it signs
// the Merkle tree head of the log (audit.NewCheckpoint) with an Ed25519 note
// key and stores it. Checkpoints kept outside the database (Export) let a
// third party prove later that the log was not cut short or rewritten.
//
// Signing is never part of an audit append: a Service follows the log
// after commits (Run polls the head, Notify wakes it early), so appends
// stay one small insert.
package checkpoint

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// Options configure a Service.
type Options struct {
	// Origin names the log in every checkpoint (see Origin); used only when
	// the key is created, later the stored origin wins.
	Origin string
	// Every is how many events lie between routine checkpoints; default 1000.
	Every int64
	// MaxAge: a log that grew is checkpointed at least this often; default 24h.
	MaxAge time.Duration
	// Poll is how often Run looks at the log head; default 10s.
	Poll time.Duration
	// Gap is the least time between two looks, however often Notify is
	// called, so a busy server pays for one MAX(seq) per Gap; default 1s.
	Gap  time.Duration
	Now  func() time.Time
	Rand io.Reader
	Log  *slog.Logger
}

// Service follows the audit log and signs checkpoints. It is safe for
// concurrent use; several servers may run one on the same database.
type Service struct {
	db     *store.DB
	vault  *vault.Vault
	o      Options
	notify chan struct{}

	mu       sync.Mutex
	key      *keyPair
	loaded   bool
	tree     audit.Tree
	prevHash []byte
	lastSize int64
	lastAt   time.Time
	broken   *audit.Problem
}

// ErrBroken means the log failed verification; no checkpoint is signed
// over a log that does not match its earlier checkpoints.
var ErrBroken = errors.New("audit log failed verification: not signing checkpoints")

// New returns a Service; the key is loaded (or created) on first use.
func New(db *store.DB, v *vault.Vault, o Options) *Service {
	if o.Origin == "" {
		o.Origin = Origin("")
	}
	if o.Every <= 0 {
		o.Every = 1000
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 24 * time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Gap <= 0 {
		o.Gap = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{db: db, vault: v, o: o, notify: make(chan struct{}, 1)}
}

// Notify tells Run that events were committed; it never blocks.
func (s *Service) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Run signs due checkpoints until ctx ends: at start, whenever Notify is
// called, and every Poll. Failures are logged and retried; a log that fails
// verification is reported once at error level.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	reported := false
	for {
		_, err := s.Tick(ctx)
		switch {
		case errors.Is(err, ErrBroken):
			if !reported {
				s.o.Log.Error("audit checkpoints stopped", "err", err)
				reported = true
			}
		case err != nil && ctx.Err() == nil:
			s.o.Log.Warn("audit checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.o.Gap):
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.notify:
		}
	}
}

// VerifierKey returns the public note verifier key of the log, creating
// the key pair if needed.
func (s *Service) VerifierKey(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openKey(ctx); err != nil {
		return "", err
	}
	return s.key.verifierKey, nil
}

// Tick signs the checkpoints that are due: one at every multiple of Every
// the log has passed, and one at the head when the newest checkpoint is
// older than MaxAge and the log grew since. It returns those it signed.
func (s *Service) Tick(ctx context.Context) ([]audit.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	signed, err := s.catchUp(ctx, false)
	if err != nil {
		return signed, err
	}
	if s.tree.Size() > s.lastSize && s.o.Now().Sub(s.lastAt) >= s.o.MaxAge {
		// Another server on the same database may have signed the daily one.
		if last, err := s.db.LatestAuditCheckpoint(ctx); err == nil && s.o.Now().Sub(last.CreatedAt) < s.o.MaxAge {
			return signed, nil
		}
		cp, err := s.sign(ctx)
		if err != nil {
			return signed, err
		}
		signed = append(signed, cp)
	}
	return signed, nil
}

// Sign signs a checkpoint of the whole log now (after any due ones) and
// returns it; when the newest checkpoint already covers the whole log, it
// returns that one.
func (s *Service) Sign(ctx context.Context) (audit.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.catchUp(ctx, true); err != nil {
		return audit.Checkpoint{}, err
	}
	if s.tree.Size() == s.lastSize && s.lastSize > 0 {
		c, err := s.db.LatestAuditCheckpoint(ctx)
		if err != nil {
			return audit.Checkpoint{}, err
		}
		return audit.VerifyCheckpoint(c.Note, s.key.origin, s.key.verifier)
	}
	return s.sign(ctx)
}

func (s *Service) openKey(ctx context.Context) error {
	if s.key != nil {
		return nil
	}
	k, err := openOrCreateKey(ctx, s.db, s.vault, s.o.Origin, s.o.Rand)
	if err != nil {
		return err
	}
	s.key = k
	return nil
}

// catchUp brings the in-memory tree to the log head, verifying every new
// event's link, and signs at each multiple of Every passed on the way. It
// does so only when a checkpoint is due, or when force is set.
func (s *Service) catchUp(ctx context.Context, force bool) ([]audit.Checkpoint, error) {
	if s.broken != nil {
		return nil, fmt.Errorf("%w: %s", ErrBroken, s.broken)
	}
	if err := s.openKey(ctx); err != nil {
		return nil, err
	}
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return nil, err
		}
	}
	head, err := s.db.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	// Read new events only when a checkpoint is due, in batches: a Notify
	// after every commit then costs one indexed MAX(seq).
	nextMultiple := (s.lastSize/s.o.Every + 1) * s.o.Every
	if head < nextMultiple && !force && s.o.Now().Sub(s.lastAt) < s.o.MaxAge {
		return nil, nil
	}
	// Checkpoints other servers signed ahead of this one: the tree must
	// match them on the way, or the log changed after they were signed.
	ahead, err := s.checkpointsAfter(ctx, s.tree.Size())
	if err != nil {
		return nil, err
	}
	var signed []audit.Checkpoint
	for s.tree.Size() < head {
		events, err := s.db.AuditAfter(ctx, s.tree.Size(), int(min(head-s.tree.Size(), 5000)))
		if err != nil {
			return signed, err
		}
		if len(events) == 0 {
			s.broken = &audit.Problem{Seq: s.tree.Size() + 1, Reason: "event missing below the log head"}
			return signed, fmt.Errorf("%w: %s", ErrBroken, s.broken)
		}
		for _, e := range events {
			if p := s.add(e); p != nil {
				s.broken = p
				return signed, fmt.Errorf("%w: %s", ErrBroken, p)
			}
			if root, ok := ahead[s.tree.Size()]; ok && root != s.tree.Root() {
				s.broken = &audit.Problem{Seq: s.tree.Size(), Reason: fmt.Sprintf(
					"events 1 to %d do not match the signed checkpoint of that size: the log was rewritten", s.tree.Size())}
				return signed, fmt.Errorf("%w: %s", ErrBroken, s.broken)
			}
			if s.tree.Size()%s.o.Every == 0 && s.tree.Size() > s.lastSize {
				cp, err := s.sign(ctx)
				if err != nil {
					return signed, err
				}
				signed = append(signed, cp)
			}
		}
	}
	return signed, nil
}

// add appends e to the tree if it links to the previous event.
func (s *Service) add(e audit.Event) *audit.Problem {
	want := s.tree.Size() + 1
	if s.prevHash == nil {
		s.prevHash = make([]byte, audit.HashSize)
	}
	switch {
	case e.Seq != want:
		return &audit.Problem{Seq: want, Reason: fmt.Sprintf("expected event %d, found event %d", want, e.Seq)}
	case !bytes.Equal(e.Prev, s.prevHash):
		return &audit.Problem{Seq: want, Reason: "prev link broken: this event or the one before it was altered"}
	case !bytes.Equal(e.Hash, audit.Hash(e)):
		return &audit.Problem{Seq: want, Reason: "hash mismatch: event altered"}
	}
	s.tree.Add(e.Hash)
	s.prevHash = e.Hash
	return nil
}

// load builds the tree up to the newest stored checkpoint, checking the
// log against every stored checkpoint on the way, so a log rewritten or
// cut while no signer ran is never signed. catchUp goes on from there.
func (s *Service) load(ctx context.Context) error {
	stored, err := s.storedCheckpoints(ctx)
	if err != nil {
		return err
	}
	s.tree, s.prevHash, s.lastSize, s.lastAt = audit.Tree{}, nil, 0, time.Time{}
	if len(stored) > 0 {
		last, err := s.db.LatestAuditCheckpoint(ctx)
		if err != nil {
			return err
		}
		s.lastSize, s.lastAt = last.Size, last.CreatedAt
	}
	st := walk(ctx, s.db)
	defer st.stop()
	_, p, err := audit.VerifyWithCheckpoints(func() (audit.Event, bool, error) {
		if s.tree.Size() == s.lastSize {
			return audit.Event{}, false, nil
		}
		e, ok, err := st.next()
		if ok {
			s.tree.Add(e.Hash)
			s.prevHash = e.Hash
		}
		return e, ok, err
	}, stored)
	if err != nil {
		return err
	}
	if p != nil {
		s.broken = p
		return fmt.Errorf("%w: %s", ErrBroken, p)
	}
	s.loaded = true
	return nil
}

// storedCheckpoints returns the database's checkpoints, each verified; a
// row whose signature fails marks the log broken.
func (s *Service) storedCheckpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	cps, p, err := verifiedStored(ctx, s.db, s.key.origin, s.key.verifier)
	if err != nil {
		return nil, err
	}
	if p != nil {
		s.broken = p
		return nil, fmt.Errorf("%w: %s", ErrBroken, p)
	}
	return cps, nil
}

// checkpointsAfter returns the roots of stored checkpoints larger than
// size, each signature verified.
func (s *Service) checkpointsAfter(ctx context.Context, size int64) (map[int64]tlog.Hash, error) {
	rows, err := s.db.AuditCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]tlog.Hash{}
	for _, r := range rows {
		if r.Size <= size {
			continue
		}
		cp, err := audit.VerifyCheckpoint(r.Note, s.key.origin, s.key.verifier)
		if err != nil || cp.Size != r.Size {
			s.broken = &audit.Problem{Seq: r.Size, Reason: fmt.Sprintf("stored checkpoint of size %d does not verify: it was forged or altered", r.Size)}
			return nil, fmt.Errorf("%w: %s", ErrBroken, s.broken)
		}
		out[r.Size] = cp.Root
	}
	return out, nil
}

// sign signs the current tree head and stores it.
func (s *Service) sign(ctx context.Context) (audit.Checkpoint, error) {
	size, root := s.tree.Size(), s.tree.Root()
	msg, err := audit.NewCheckpoint(s.key.signer, s.key.origin, size, root)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	now := s.o.Now().UTC()
	stored, err := s.db.AddAuditCheckpoint(ctx, store.AuditCheckpoint{Size: size, Root: root[:], Note: msg, CreatedAt: now})
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if !bytes.Equal(stored.Root, root[:]) {
		s.broken = &audit.Problem{Seq: size, Reason: fmt.Sprintf("another checkpoint of size %d has a different root: the log was forked", size)}
		return audit.Checkpoint{}, fmt.Errorf("%w: %s", ErrBroken, s.broken)
	}
	s.lastSize, s.lastAt = size, stored.CreatedAt
	s.o.Log.Debug("audit checkpoint signed", "size", size)
	return audit.VerifyCheckpoint(stored.Note, s.key.origin, s.key.verifier)
}
