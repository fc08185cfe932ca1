package dedup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// A server starts faster from a sealed snapshot of the plain index than by
// decrypting every pending application and cardholder: the job leader
// writes one on a schedule and at a clean shutdown (WriteSnapshot), and Load
// reads the newest one, then replays the change feed after its mark. A
// snapshot it cannot use — none, sealed under another master key, damaged,
// older than what the feed still holds, from a build that normalizes names
// differently — is skipped and the index rebuilt, with the reason in
// Stats.Snapshot (ids and counts only). Every erasure deletes the
// snapshots in its transaction (store), so no erased person comes back
// from one, and a new snapshot replaces the older ones.

// Sealer is the part of the vault snapshots need: a fresh data key per
// snapshot, wrapped by the master key.
type Sealer interface {
	NewDataKey() (vault.DataKey, []byte, error)
	OpenDataKey(wrapped []byte) (vault.DataKey, error)
	KEKID() string
}

// The job leader checks every SnapshotCheck whether the newest snapshot is
// missing (a purge deleted it, a first start) or SnapshotInterval old, and
// then writes one.
const (
	SnapshotInterval = time.Hour
	SnapshotCheck    = 5 * time.Minute
)

// chunkSize is the plaintext sealed per chunk: reading or writing a
// snapshot holds about two chunks, not the whole snapshot.
const chunkSize = 4 << 20

type snapshots struct {
	v    Sealer
	now  func() time.Time
	rand io.Reader
}

// UseSnapshots enables loading from and writing sealed index snapshots.
func (s *Screener) UseSnapshots(v Sealer, now func() time.Time, rand io.Reader) {
	s.snap = &snapshots{v: v, now: now, rand: rand}
}

// ErrNoSnapshots means snapshots are not enabled on this Screener.
var ErrNoSnapshots = errors.New("duplicate screening: index snapshots are not enabled")

// SnapshotStats describe a written snapshot.
type SnapshotStats struct {
	Records  int
	Chunks   int
	Bytes    int64 // sealed
	Mark     int64
	Duration time.Duration
}

// applied is the change number up to which every change is applied here.
func (f *feed) applied() int64 {
	m := f.cursor
	for g := range f.gaps {
		m = min(m, g-1)
	}
	return m
}

// WriteSnapshot seals the plain index as it is now into the database and
// deletes the older snapshots. If an erasure happens while it is written,
// the snapshot is dropped (it may hold the erased) and the error wraps
// store.ErrNotFound; the next run writes a new one.
func (s *Screener) WriteSnapshot(ctx context.Context) (SnapshotStats, error) {
	start := time.Now()
	if s.snap == nil || s.db == nil {
		return SnapshotStats{}, ErrNoSnapshots
	}
	if s.base == nil || s.loading.Load() {
		return SnapshotStats{}, fmt.Errorf("write screening snapshot: %w", errLoading)
	}
	// The mark and the copy under the feed's lock: no change is applied in
	// between, so everything up to the mark is in the copy.
	s.feed.mu.Lock()
	mark := s.feed.applied()
	capt, err := s.ix.Capture()
	s.feed.mu.Unlock()
	if err != nil {
		return SnapshotStats{}, fmt.Errorf("write screening snapshot: %w", err)
	}
	key, wrapped, err := s.snap.v.NewDataKey()
	if err != nil {
		return SnapshotStats{}, fmt.Errorf("write screening snapshot: %w", err)
	}
	defer key.Destroy()
	id, err := randid.New(s.snap.rand, "snp")
	if err != nil {
		return SnapshotStats{}, fmt.Errorf("write screening snapshot: %w", err)
	}
	err = s.db.BeginScreeningSnapshot(ctx, store.ScreeningSnapshot{ID: id, CreatedAt: s.snap.now(), Mark: mark,
		Records: capt.Len(), KEKID: s.snap.v.KEKID(), WrappedKey: wrapped})
	if err != nil {
		return SnapshotStats{}, err
	}
	w := &chunkWriter{ctx: ctx, db: s.db, key: key, id: id, mark: mark}
	err = capt.Write(w, s.base)
	if err == nil {
		err = w.flush()
	}
	if err == nil {
		err = s.db.FinishScreeningSnapshot(ctx, id, w.n)
	}
	if err != nil {
		if derr := s.db.DeleteScreeningSnapshot(context.WithoutCancel(ctx), id); derr != nil {
			err = errors.Join(err, derr)
		}
		return SnapshotStats{}, fmt.Errorf("write screening snapshot: %w", err)
	}
	return SnapshotStats{Records: capt.Len(), Chunks: w.n, Bytes: w.bytes, Mark: mark, Duration: time.Since(start)}, nil
}

// chunkBinding ties a sealed chunk to its snapshot, its mark and its place,
// so chunks cannot be swapped, reordered or given another mark.
func chunkBinding(id string, mark int64, n int) vault.Binding {
	return vault.Binding{Table: "screening_snapshot_chunks", Column: "data", Row: fmt.Sprintf("%s/%d/%d", id, mark, n)}
}

// chunkWriter seals what is written to it in chunkSize pieces and stores
// each as the next chunk.
type chunkWriter struct {
	ctx   context.Context
	db    *store.DB
	key   vault.DataKey
	id    string
	mark  int64
	buf   []byte
	n     int
	bytes int64
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for len(w.buf) >= chunkSize {
		if err := w.put(w.buf[:chunkSize]); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[chunkSize:]...)
	}
	return len(p), nil
}

// flush stores what is left as the last chunk.
func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 && w.n > 0 {
		return nil
	}
	err := w.put(w.buf)
	w.buf = nil
	return err
}

func (w *chunkWriter) put(plain []byte) error {
	sealed, err := w.key.Seal(chunkBinding(w.id, w.mark, w.n), plain)
	if err != nil {
		return err
	}
	if err := w.db.PutScreeningSnapshotChunk(w.ctx, w.id, w.n, sealed); err != nil {
		return err
	}
	w.n++
	w.bytes += int64(len(sealed))
	return nil
}

// chunkReader opens a snapshot's chunks one at a time, in order.
type chunkReader struct {
	ctx  context.Context
	db   *store.DB
	key  vault.DataKey
	snap store.ScreeningSnapshot
	next int
	cur  []byte
	gone bool // a chunk was missing: the snapshot was deleted meanwhile
}

// beforeChunk, if set (tests), runs before a chunk is read.
var beforeChunk func(id string, n int)

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.next >= r.snap.Chunks {
			return 0, io.EOF
		}
		if beforeChunk != nil {
			beforeChunk(r.snap.ID, r.next)
		}
		sealed, err := r.db.ScreeningSnapshotChunk(r.ctx, r.snap.ID, r.next)
		if err != nil {
			r.gone = errors.Is(err, store.ErrNotFound)
			return 0, err
		}
		if r.cur, err = r.key.Open(chunkBinding(r.snap.ID, r.snap.Mark, r.next), sealed); err != nil {
			return 0, fmt.Errorf("chunk %d: %w", r.next, err)
		}
		r.next++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// fromSnapshot fills the (empty) plain index from the newest usable
// snapshot and returns it, or why none was used. The caller replays the
// change feed after its mark.
//
// A snapshot can vanish while it is read: the server that stopped just
// before this one started writes one at shutdown, and completing it
// deletes the older one this server had begun to read (a restart 8 s after
// SIGTERM rebuilt for 77 s at 1.5 M residents). The newer one is then
// read instead, into an empty index; an erasure, which deletes them all,
// leaves none, and the index is rebuilt.
func (s *Screener) fromSnapshot(ctx context.Context) (store.ScreeningSnapshot, int, string) {
	for attempt := 1; ; attempt++ {
		hdr, n, why, gone := s.readSnapshot(ctx)
		if !gone || attempt == 3 || ctx.Err() != nil {
			return hdr, n, why
		}
		ix, err := newPlain(s.t)
		if err != nil {
			return hdr, 0, err.Error()
		}
		s.ix = ix
	}
}

// readSnapshot is one attempt of fromSnapshot; gone reports that the
// snapshot was deleted while it was read.
func (s *Screener) readSnapshot(ctx context.Context) (_ store.ScreeningSnapshot, _ int, why string, gone bool) {
	hdr, err := s.db.LatestScreeningSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return hdr, 0, "no snapshot", false
	}
	if err != nil {
		return hdr, 0, err.Error(), false
	}
	// The feed must still hold every change after the mark: pruning keeps
	// the newest keepChanges.
	last, err := s.db.LastScreeningChange(ctx)
	if err != nil {
		return hdr, 0, err.Error(), false
	}
	if hdr.Mark < last-keepChanges {
		return hdr, 0, fmt.Sprintf("snapshot %s is %d changes behind, more than the change feed keeps", hdr.ID, last-hdr.Mark), false
	}
	if hdr.KEKID != s.snap.v.KEKID() {
		return hdr, 0, fmt.Sprintf("snapshot %s is sealed under another master key (id %s)", hdr.ID, hdr.KEKID), false
	}
	key, err := s.snap.v.OpenDataKey(hdr.WrappedKey)
	if err != nil {
		return hdr, 0, fmt.Sprintf("snapshot %s: %v", hdr.ID, err), false
	}
	defer key.Destroy()
	s.ix.Reserve(hdr.Records)
	r := &chunkReader{ctx: ctx, db: s.db, key: key, snap: hdr}
	info, err := s.ix.LoadSnapshot(r)
	if err != nil {
		return hdr, 0, fmt.Sprintf("snapshot %s: %v", hdr.ID, err), r.gone
	}
	s.base = info.Base
	return hdr, info.Records, "", false
}

// SnapshotCurrent reports whether the newest snapshot already holds
// everything this index has applied, under this master key: writing
// another would seal the same residents again (an idle hour, a clean
// shutdown after one).
func (s *Screener) SnapshotCurrent(ctx context.Context) (bool, error) {
	hdr, found, err := s.newestSnapshot(ctx)
	if !found || err != nil {
		return false, err
	}
	return s.current(hdr), nil
}

// SnapshotDue reports whether a snapshot should be written: the newest
// complete one is missing, sealed under another master key (a rotation:
// no server can open it) or at least maxAge old — unless it is current,
// when another would be the same. A leader that just started from a fresh
// one need not write another at once.
func (s *Screener) SnapshotDue(ctx context.Context, maxAge time.Duration) (bool, error) {
	hdr, found, err := s.newestSnapshot(ctx)
	switch {
	case err != nil:
		return false, err
	case s.snap == nil || s.db == nil:
		return false, nil
	case !found:
		return true, nil
	}
	return !s.current(hdr) && (hdr.KEKID != s.snap.v.KEKID() || s.snap.now().Sub(hdr.CreatedAt) >= maxAge), nil
}

// newestSnapshot reads the newest complete snapshot's header; found is
// false when there is none, or snapshots are not enabled.
func (s *Screener) newestSnapshot(ctx context.Context) (_ store.ScreeningSnapshot, found bool, _ error) {
	if s.snap == nil || s.db == nil {
		return store.ScreeningSnapshot{}, false, nil
	}
	hdr, err := s.db.LatestScreeningSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return hdr, false, nil
	}
	return hdr, err == nil, err
}

// current reports whether snapshot hdr holds everything this index has
// applied, under this master key.
func (s *Screener) current(hdr store.ScreeningSnapshot) bool {
	s.feed.mu.Lock()
	mark := s.feed.applied()
	s.feed.mu.Unlock()
	return hdr.KEKID == s.snap.v.KEKID() && hdr.Mark == mark
}
