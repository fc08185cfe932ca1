// Package dedup screens each submitted application for an earlier record of
// the same person — a pending application or a cardholder — with the
// linkage engine's in-memory index. It implements enroll.Screener.
package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// Screener holds the index of everyone a new application is compared with.
// The linkage index is safe for concurrent use.
//
// Two indexes: the plain one over everyone whose personal data the city
// keeps, and a keyed Bloom-filter one over the match encodings kept for
// cardholders erased in "no list" mode, so a second application by one of
// them is still caught without any name being stored.
type Screener struct {
	ix    *linkage.Index
	bloom *linkage.Index // nil without a match key
	db    *store.DB
	t     linkage.Thresholds

	feed feed       // where this server is in the change feed (Sync, Follow)
	own  ownChanges // this server's own writes, applied by Add; Sync skips them
	// base is the population-trained built-in model (Load), used when no
	// stored version is active; modelVersion the version in use.
	base         *linkage.Model
	modelVersion atomic.Int64

	snap *snapshots // nil: always rebuild at start (UseSnapshots)

	// loading is set while the index is being built (SetLoading, Load):
	// Screen answers enroll.ErrScreeningPending, Add and Remove leave the
	// index alone (the change feed brings those writes in once it is
	// built), and loaded/expected count the build's progress.
	loading          atomic.Bool
	loaded, expected atomic.Int64
	readyCh          chan struct{} // closed once ready
}

// State is how far the index is: Ready once it answers screening;
// Loaded of Expected records while it is built.
type State struct {
	Ready            bool
	Loaded, Expected int64
}

// State reports the index's state (metrics, the dashboard).
func (s *Screener) State() State {
	return State{Ready: !s.loading.Load(), Loaded: s.loaded.Load(), Expected: s.expected.Load()}
}

// Ready reports whether the index answers screening.
func (s *Screener) Ready() bool { return !s.loading.Load() }

// SetLoading marks the index as not ready until a Load finishes: a server
// that builds it in the background (serve) calls it before taking requests.
func (s *Screener) SetLoading() { s.loading.Store(true) }

// WaitReady returns once the index is ready, or with ctx's error.
func (s *Screener) WaitReady(ctx context.Context) error {
	if s.Ready() {
		return nil
	}
	select {
	case <-s.readyCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errLoading is returned by what needs the whole index while it loads.
var errLoading = fmt.Errorf("%w; try again once it is ready", enroll.ErrScreeningPending)

// New returns an empty Screener with thresholds from settings (zero values
// mean the engine's defaults). matchKey (the vault's match-encoding key)
// enables screening against "no list" encodings; db resolves their people
// to applications.
func New(s config.Linkage, db *store.DB, matchKey []byte) (*Screener, error) {
	t := linkage.Defaults()
	if s.Review > 0 {
		t = linkage.Thresholds{AutoClear: s.AutoClear, Review: s.Review, StrongMatch: s.StrongMatch}
	}
	ix, err := newPlain(t)
	if err != nil {
		return nil, err
	}
	sc := &Screener{ix: ix, db: db, t: t, readyCh: make(chan struct{})}
	if matchKey != nil {
		if sc.bloom, err = linkage.NewIndex(linkage.Options{Mode: linkage.ModeBloom, Key: matchKey, Thresholds: t}, nil); err != nil {
			return nil, fmt.Errorf("duplicate screening (no list): %w", err)
		}
	}
	return sc, nil
}

func newPlain(t linkage.Thresholds) (*linkage.Index, error) {
	ix, err := linkage.NewIndex(linkage.Options{Mode: linkage.ModePlain, Thresholds: t}, nil)
	if err != nil {
		return nil, fmt.Errorf("duplicate screening: %w", err)
	}
	return ix, nil
}

// LoadEncodings adds every stored "no list" match encoding to the Bloom
// index (again after each purge: adding is idempotent).
func (s *Screener) LoadEncodings(ctx context.Context) (int, error) {
	if s.bloom == nil || s.db == nil {
		return 0, nil
	}
	n, after := 0, ""
	for {
		page, err := s.db.MatchEncodings(ctx, after, 5000)
		if err != nil {
			return n, err
		}
		for _, m := range page {
			var enc linkage.Encoding
			if err := json.Unmarshal(m.Encoding, &enc); err != nil {
				return n, fmt.Errorf("match encoding of %s: %w", m.PersonID, err)
			}
			if err := s.bloom.AddEncoding(m.PersonID, enc); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < 5000 {
			return n, nil
		}
		after = page[len(page)-1].PersonID
	}
}

// Stats describe a load.
type Stats struct {
	Records     int
	MemoryBytes int64
	Duration    time.Duration
	// ModelVersion is the stored model in use (0: built-in); ModelWarning
	// says why the active stored model was refused, if it was.
	ModelVersion int64
	ModelWarning string
	// Snapshot is the snapshot the index was loaded from ("": rebuilt from
	// the database) and Replayed the applications re-read after its mark;
	// Rebuilt says why no snapshot was used (no personal data).
	Snapshot string
	Replayed int
	Rebuilt  string
}

// loadBatch is how many records a rebuild normalizes at once.
const loadBatch = 1024

// rebuildGCPercent is the collector's GOGC while a rebuild runs.
const rebuildGCPercent = 25

// Load fills the index from the database: every pending application and
// cardholder, and then applies the changes written meanwhile (by this
// server too: what it takes during the build). Call it once at start; the
// index answers screening once it returns without an error.
func (s *Screener) Load(ctx context.Context, svc *enroll.Service) (Stats, error) {
	s.loading.Store(true)
	s.loaded.Store(0)
	st, err := s.load(ctx, svc)
	if err != nil {
		return st, err
	}
	s.loaded.Store(int64(s.ix.Len()))
	// The first poll after a load checks the active model again: another
	// server may have activated one while this index was built.
	s.feed.mu.Lock()
	s.feed.polls = 0
	s.feed.mu.Unlock()
	s.loading.Store(false)
	select {
	case <-s.readyCh:
	default:
		close(s.readyCh)
	}
	return st, nil
}

func (s *Screener) load(ctx context.Context, svc *enroll.Service) (st Stats, err error) {
	start := time.Now()
	if s.snap != nil && s.db != nil {
		hdr, n, why := s.fromSnapshot(ctx)
		if why == "" {
			s.expected.Store(int64(n))
			s.loaded.Store(int64(n))
			s.feed.reset(hdr.Mark)
			st, err := s.finishLoad(ctx, start, n)
			if err != nil {
				return st, err
			}
			// Catch up before serving: what other servers wrote since.
			if st.Replayed, err = s.Sync(ctx, svc); err != nil {
				return st, fmt.Errorf("load duplicate screening index: replay the changes after snapshot %s: %w", hdr.ID, err)
			}
			st.Snapshot, st.Duration = hdr.ID, time.Since(start)
			return st, nil
		}
		if err := ctx.Err(); err != nil {
			return Stats{}, err
		}
		// A half-loaded index is thrown away.
		ix, err := newPlain(s.t)
		if err != nil {
			return Stats{}, err
		}
		s.ix = ix
		defer func() { st.Rebuilt = why }()
	}
	// Follow the change feed from before the walk: a change made during it
	// is applied again afterwards, which is harmless (applying is idempotent).
	if s.db != nil {
		last, err := s.db.LastScreeningChange(ctx)
		if err != nil {
			return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
		}
		s.feed.reset(last)
	}
	// The rebuild makes about a kilobyte of garbage a record (the
	// decrypted person, its normalized form before packing) while the
	// index grows: with the collector's default the heap reached twice the
	// index before each collection (4.3 GiB at 1.5 M before packing). A
	// collection at every quarter of growth keeps the peak near the index
	// (BenchmarkBuild at 300,000: peak RSS 475 → 346 MiB for ~14 % more
	// CPU). A lower setting, or none (GOGC=off), is left as it is.
	if old := debug.SetGCPercent(rebuildGCPercent); old < rebuildGCPercent { // GOGC=off is -1
		debug.SetGCPercent(old)
	} else {
		defer debug.SetGCPercent(old)
	}
	// Room for everyone at once: growing the index's arrays as it fills
	// holds the old and the new array together, which set the peak.
	if s.db != nil {
		counts, err := s.db.CountBy(ctx, "applications")
		if err != nil {
			return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
		}
		want := 0
		for _, st := range enroll.ScreenedStatuses() {
			want += counts[string(st)]
		}
		s.ix.Reserve(want)
		s.expected.Store(int64(want))
	}
	// Records are added a batch at a time, normalized on every core
	// (AddBatch) and in the order read, as one Add after another would.
	n := 0
	ids, recs := make([]string, 0, loadBatch), make([]linkage.Record, 0, loadBatch)
	add := func() {
		s.ix.AddBatch(ids, recs)
		n += len(ids)
		s.loaded.Store(int64(n))
		if beforeBatch != nil {
			beforeBatch(n)
		}
		ids, recs = ids[:0], recs[:0]
	}
	err = svc.EachPersonParallel(ctx, enroll.ScreenedStatuses(), runtime.GOMAXPROCS(0), func(id string, p person.Person) error {
		ids, recs = append(ids, id), append(recs, linkage.FromPerson(id, p))
		if len(ids) == loadBatch {
			add()
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
	}
	add()
	if n >= 1000 {
		// Enough residents to estimate how common values are here.
		s.ix.Train(1)
	}
	s.base = s.ix.Model()
	st, err = s.finishLoad(ctx, start, n)
	if err != nil {
		return st, err
	}
	// What was written during the walk, here and on other servers.
	if st.Replayed, err = s.Sync(ctx, svc); err != nil {
		return st, fmt.Errorf("load duplicate screening index: replay the changes made during the build: %w", err)
	}
	st.Duration = time.Since(start)
	return st, nil
}

// beforeBatch, when set (tests), runs after each batch a rebuild adds.
var beforeBatch func(n int)

// finishLoad applies the active stored model and loads the "no list"
// encodings, once the plain index holds its n records and s.base is set.
func (s *Screener) finishLoad(ctx context.Context, start time.Time, n int) (Stats, error) {
	var warning string
	if err := s.applyActive(ctx); errors.Is(err, ErrRefused) {
		warning = err.Error() // the server still screens, with the built-in model
	} else if err != nil {
		return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
	}
	enc, err := s.LoadEncodings(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("load no-list encodings: %w", err)
	}
	mem := s.ix.MemoryBytes()
	if s.bloom != nil {
		mem += s.bloom.MemoryBytes()
	}
	return Stats{Records: n + enc, MemoryBytes: mem, Duration: time.Since(start), ModelVersion: s.ModelVersion(), ModelWarning: warning}, nil
}

// Screen returns the records likely to be the same person as p, most likely
// first, above the review threshold; self is excluded.
func (s *Screener) Screen(ctx context.Context, self string, p person.Person) ([]enroll.Match, error) {
	if s.loading.Load() {
		return nil, enroll.ErrScreeningPending
	}
	var out []enroll.Match
	rec := linkage.FromPerson(self, p)
	for _, c := range s.ix.Screen(rec) {
		if c.ID == self || c.Probability < s.t.Review {
			continue
		}
		out = append(out, enroll.Match{ID: c.ID, Probability: c.Calibrated})
	}
	if s.bloom == nil || s.bloom.Len() == 0 {
		return out, nil
	}
	enc, err := s.bloom.Encode(rec)
	if err != nil {
		return out, err
	}
	cands, err := s.bloom.ScreenEncoding(enc)
	if err != nil {
		return out, err
	}
	for _, c := range cands {
		if c.Probability < s.t.Review {
			continue
		}
		// The encoding belongs to a person; review works on applications.
		appID, err := s.db.LatestApplicationOf(ctx, c.ID)
		if errors.Is(err, errs.ErrNotFound) {
			continue // erased on another server since; its change is on the way
		}
		if err != nil {
			return out, err
		}
		out = append(out, enroll.Match{ID: appID, Probability: c.Calibrated})
	}
	return out, nil
}

// Add indexes (or re-indexes) one record. While the index loads it does
// nothing: the write's change row brings the record in once it is built.
// change, when not 0, is that row's number: the record is in this index
// now, so Sync skips the row instead of reading and decrypting it again.
func (s *Screener) Add(id string, p person.Person, change int64) {
	if !s.loading.Load() {
		s.ix.Add(id, linkage.FromPerson(id, p))
		if change > 0 {
			s.own.add(change)
		}
	}
}

// Remove drops a record (rejected, erased); while the index loads, as Add.
func (s *Screener) Remove(id string) {
	if !s.loading.Load() {
		s.ix.Remove(id)
	}
}

// Explain compares p with one indexed record, field by field.
func (s *Screener) Explain(candidateID string, p person.Person) (enroll.Explanation, error) {
	if s.loading.Load() {
		return enroll.Explanation{}, errLoading
	}
	ex, err := s.ix.Explain(candidateID, linkage.FromPerson("", p))
	if err != nil {
		return enroll.Explanation{}, err
	}
	out := enroll.Explanation{Probability: ex.Probability, Summary: summarize(ex)}
	for _, f := range ex.Fields {
		out.Fields = append(out.Fields, enroll.FieldComparison{Field: f.Field, Left: f.Left, Right: f.Right, Level: f.Level, Weight: f.Weight})
	}
	return out, nil
}

// Len reports how many records are indexed.
func (s *Screener) Len() int { return s.ix.Len() }

// MemoryBytes estimates the index's memory.
func (s *Screener) MemoryBytes() int64 { return s.ix.MemoryBytes() }

// summarize names the factors that decided a score and why a disagreement
// weighs as it does; sex is named only when it differs and counts, so the
// sentence stays short.
func summarize(ex linkage.Explanation) enroll.MatchSummary {
	var s enroll.MatchSummary
	weight := map[string]float64{}
	level := map[string]string{}
	for _, f := range ex.Factors {
		if f.Factor == "address" && f.Level == "phonetic" {
			f.Level = "different" // the same ZIP code or town only: another home
		}
		weight[f.Factor], level[f.Factor] = f.Weight, f.Level
		switch f.Level {
		case "exact":
			if f.Factor != "sex" { // most pairs share it; it explains nothing
				s.Same = append(s.Same, f.Factor)
			}
		case "strong", "weak", "phonetic":
			s.Nearly = append(s.Nearly, f.Factor)
		case "different":
			if f.Factor != "sex" || f.Weight <= -1 {
				s.Different = append(s.Different, f.Factor)
			}
		}
	}
	add := func(ok bool, r string) {
		if ok && len(s.Reasons) < 2 {
			s.Reasons = append(s.Reasons, r)
		}
	}
	near := func(f string) bool { l := level[f]; return l == "strong" || l == "weak" || l == "phonetic" }
	add(level["given_name"] == "different" && weight["given_name"] <= -4, enroll.ReasonGivenDiffers)
	add(ex.Against == linkage.AgainstHousehold && (level["address"] == "exact" || level["address"] == "strong"), enroll.ReasonHousehold)
	add(level["address"] == "different" && weight["address"] > -4, enroll.ReasonMoved)
	add(near("surname"), enroll.ReasonSurnameForm)
	add(near("given_name"), enroll.ReasonGivenForm)
	add(near("date_of_birth"), enroll.ReasonBirthTypo)
	return s
}
