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

	feed feed // where this server is in the change feed (Sync, Follow)
	// base is the population-trained built-in model (Load), used when no
	// stored version is active; modelVersion the version in use.
	base         *linkage.Model
	modelVersion atomic.Int64

	snap *snapshots // nil: always rebuild at start (UseSnapshots)
}

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
	sc := &Screener{ix: ix, db: db, t: t}
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

// Load fills the index from the database: every pending application and
// cardholder. Call it once at start, before serving.
func (s *Screener) Load(ctx context.Context, svc *enroll.Service) (st Stats, err error) {
	start := time.Now()
	if s.snap != nil && s.db != nil {
		hdr, n, why := s.fromSnapshot(ctx)
		if why == "" {
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
	n := 0
	err = svc.EachPersonParallel(ctx, enroll.ScreenedStatuses(), runtime.GOMAXPROCS(0), func(id string, p person.Person) error {
		s.ix.Add(id, linkage.FromPerson(id, p))
		n++
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
	}
	if n >= 1000 {
		// Enough residents to estimate how common values are here.
		s.ix.Train(1)
	}
	s.base = s.ix.Model()
	return s.finishLoad(ctx, start, n)
}

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
	var out []enroll.Match
	rec := linkage.FromPerson(self, p)
	for _, c := range s.ix.Screen(rec) {
		if c.ID == self || c.Probability < s.t.Review {
			continue
		}
		out = append(out, enroll.Match{ID: c.ID, Probability: c.Probability})
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
		out = append(out, enroll.Match{ID: appID, Probability: c.Probability})
	}
	return out, nil
}

// Add indexes (or re-indexes) one record.
func (s *Screener) Add(id string, p person.Person) { s.ix.Add(id, linkage.FromPerson(id, p)) }

// Remove drops a record (rejected, erased).
func (s *Screener) Remove(id string) { s.ix.Remove(id) }

// Explain compares p with one indexed record, field by field.
func (s *Screener) Explain(candidateID string, p person.Person) (enroll.Explanation, error) {
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
