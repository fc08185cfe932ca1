package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// Several app servers may share one database. Each keeps its own index, so
// each must learn of the others' writes: every write that changes what
// screening sees of an application adds a row to the database's change feed
// (store.ScreeningChange) in its own transaction, and every server polls
// the feed (Follow) and re-reads the applications named there. Polling
// works the same on SQLite and PostgreSQL and survives lost connections,
// which LISTEN/NOTIFY does not.

// Follow defaults.
const (
	// FollowInterval is how often a server polls the feed: an application
	// taken on one server is screened by the others within about this long.
	FollowInterval = 250 * time.Millisecond
	// keepChanges is how many changes the feed keeps; a server further
	// behind than that (stopped for a long time) is told to restart.
	keepChanges = 200_000
	// gapPatience is how many polls a missing change number is waited for:
	// on PostgreSQL a number is taken at insert and becomes visible at
	// commit, so a later change can be seen before an earlier one; a
	// number still missing after this long belonged to a rolled-back write.
	gapPatience = 2400 // ten minutes at FollowInterval
	pruneEvery  = 1200 // polls between prunes of the feed
	modelEvery  = 20   // polls between checks of the active model
	// pendingEvery is how many polls apart a server with a ready index
	// screens the applications taken while an index was loading (its own
	// or another server's, one that died mid-build included).
	pendingEvery = 240 // a minute at FollowInterval
	pendingBatch = 500 // applications screened per sweep step
)

// ErrBehind means the feed no longer holds changes this server has not
// applied: its index may be stale and the server must reload it.
var ErrBehind = errors.New("duplicate screening: the change feed was pruned past this server's position; restart it to reload the index")

// feed is a server's position in the change feed: every change numbered
// up to cursor is applied, except the numbers in gaps (not seen yet).
type feed struct {
	mu     sync.Mutex
	cursor int64
	gaps   map[int64]int // missing number → polls waited
	polls  int
	// rowsRead counts the feed rows read, for FeedRowsRead.
	rowsRead int64
}

// FeedRowsRead returns how many change-feed rows this server has read:
// what following the other servers costs the database.
func (s *Screener) FeedRowsRead() int64 {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return s.feed.rowsRead
}

// ownChanges are the numbers of change rows this server wrote and applied
// to its index as it wrote them (Add): its own intakes, which Sync need
// not read back and decrypt. Its lock is not the feed's, so that an intake
// never waits for a poll. Only a number is kept, never an application id:
// a later change to the same application (another server's decision) is
// another number and is applied.
type ownChanges struct {
	mu   sync.Mutex
	seqs map[int64]bool
}

func (o *ownChanges) add(seq int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seqs == nil {
		o.seqs = map[int64]bool{}
	}
	o.seqs[seq] = true
}

// take reports whether seq is one of this server's and forgets it.
func (o *ownChanges) take(seq int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.seqs[seq] {
		return false
	}
	delete(o.seqs, seq)
	return true
}

// forget drops the numbers a poll has passed without meeting them (read
// before Add marked them: they were applied like another server's), except
// those the feed still waits for.
func (o *ownChanges) forget(upTo int64, gaps map[int64]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for seq := range o.seqs {
		if _, waiting := gaps[seq]; seq <= upTo && !waiting {
			delete(o.seqs, seq)
		}
	}
}

func (f *feed) reset(cursor int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursor, f.gaps, f.polls = cursor, map[int64]int{}, 0
}

// Follow polls the change feed every interval until ctx ends, applying
// other servers' writes to the index, and screens the applications taken
// while an index was loading (at once when this one becomes ready, then
// every pendingEvery polls). While the index loads it waits. Errors are
// logged (ids only) and the next poll tries again.
func (s *Screener) Follow(ctx context.Context, svc *enroll.Service, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = FollowInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	behind := false
	polls := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.Ready() {
			continue // Load applies the feed when the index is built
		}
		if polls%pendingEvery == 0 {
			s.screenPending(ctx, svc, log)
		}
		polls++
		_, err := s.Sync(ctx, svc)
		switch {
		case err == nil || ctx.Err() != nil:
		case errors.Is(err, ErrBehind):
			if !behind { // once, not four times a second
				log.Error("duplicate screening: follow the change feed", "err", err)
			}
			behind = true
		default:
			log.Error("duplicate screening: follow the change feed", "err", err)
		}
	}
}

// Sync applies the changes written since the last Sync (by any server) to
// the index and returns how many applications it re-read.
func (s *Screener) Sync(ctx context.Context, svc *enroll.Service) (int, error) {
	if s.db == nil {
		return 0, nil
	}
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gaps == nil {
		f.gaps = map[int64]int{}
	}
	f.polls++
	if f.polls%pruneEvery == 0 {
		if _, err := s.db.PruneScreeningChanges(ctx, keepChanges); err != nil {
			return 0, err
		}
	}
	if f.polls%modelEvery == 1 {
		// Another server may have activated or rolled back a model.
		v, err := s.db.ActiveLinkageModelVersion(ctx)
		if err != nil {
			return 0, err
		}
		if v != s.modelVersion.Load() {
			if err := s.applyActive(ctx); err != nil {
				return 0, err
			}
		}
	}
	var todo []string
	persons := map[string]bool{}
	seen := map[string]bool{}
	take := func(c store.ScreeningChange) {
		if s.own.take(c.Seq) {
			return // this server's own write, in its index since it was made
		}
		if !seen[c.ApplicationID] {
			seen[c.ApplicationID] = true
			todo = append(todo, c.ApplicationID)
		}
		persons[c.PersonID] = true
	}
	// Numbers missing below the cursor are asked for by name: reading the
	// feed again from the oldest of them would re-read every change since
	// it on every poll for as long as it is waited for (ten minutes of a
	// launch rush, four times a second) when its write rolled back.
	if len(f.gaps) > 0 {
		want := make([]int64, 0, len(f.gaps))
		for g := range f.gaps {
			want = append(want, g)
		}
		slices.Sort(want)
		late, err := s.db.ScreeningChangesAt(ctx, want)
		if err != nil {
			return 0, err
		}
		f.rowsRead += int64(len(late))
		for _, c := range late {
			delete(f.gaps, c.Seq)
			take(c)
		}
	}
	from := f.cursor
	top := f.cursor
	first := true
	for {
		page, err := s.db.ScreeningChanges(ctx, from, 5000)
		if err != nil {
			return 0, err
		}
		if first && len(page) == 5000 {
			// A long backlog: has the feed been pruned past this server?
			// Pruning deletes every number up to the newest minus keepChanges.
			last, err := s.db.LastScreeningChange(ctx)
			if err != nil {
				return 0, err
			}
			if last-keepChanges >= from {
				return 0, ErrBehind
			}
		}
		first = false
		f.rowsRead += int64(len(page))
		for _, c := range page {
			for g := top + 1; g < c.Seq; g++ {
				f.gaps[g] = 0
			}
			top = max(top, c.Seq)
			take(c)
		}
		if len(page) < 5000 {
			break
		}
		from = page[len(page)-1].Seq
	}
	// Gaps found above the old cursor are only missing if the rows after
	// them were seen; count the wait of each and give up on old ones.
	for g, n := range f.gaps {
		if n+1 > gapPatience {
			delete(f.gaps, g)
		} else {
			f.gaps[g] = n + 1
		}
	}
	if err := s.apply(ctx, svc, todo, persons); err != nil {
		return 0, err
	}
	f.cursor = top
	s.own.forget(top, f.gaps)
	return len(todo), nil
}

// apply re-reads applications and puts each where it belongs now: in the
// plain index if screened with its data kept, out of it otherwise; and a
// person's "no list" encoding into the Bloom index, or out once erased.
func (s *Screener) apply(ctx context.Context, svc *enroll.Service, ids []string, persons map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	found := map[string]bool{}
	err := svc.ScreeningState(ctx, ids, func(id, _ string, p *person.Person) error {
		found[id] = true
		if p == nil {
			s.ix.Remove(id)
			return nil
		}
		s.ix.Add(id, linkage.FromPerson(id, *p))
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply screening changes: %w", err)
	}
	for _, id := range ids {
		if !found[id] {
			s.ix.Remove(id) // deleted: its person was erased
		}
	}
	if s.bloom == nil {
		return nil
	}
	ps := make([]string, 0, len(persons))
	for p := range persons {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	encs, err := s.db.MatchEncodingsOf(ctx, ps)
	if err != nil {
		return fmt.Errorf("apply screening changes: %w", err)
	}
	for _, pid := range ps {
		b, ok := encs[pid]
		if !ok {
			s.bloom.Remove(pid)
			continue
		}
		var enc linkage.Encoding
		if err := json.Unmarshal(b, &enc); err != nil {
			return fmt.Errorf("match encoding of %s: %w", pid, err)
		}
		if err := s.bloom.AddEncoding(pid, enc); err != nil {
			return err
		}
	}
	return nil
}

// screenPending screens every application pending screening, a batch at a
// time, and logs how many (no personal data).
func (s *Screener) screenPending(ctx context.Context, svc *enroll.Service, log *slog.Logger) {
	total := 0
	for {
		n, err := svc.ScreenPending(ctx, pendingBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				log.Error("duplicate screening: screen the applications taken while the index loaded", "err", err, "screened", total)
			}
			return
		}
		if n < pendingBatch {
			break
		}
	}
	if total > 0 {
		log.Info("duplicate screening: applications taken while the index loaded are screened", "count", total)
	}
}
