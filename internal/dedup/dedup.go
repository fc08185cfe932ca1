// Package dedup screens each submitted application for an earlier record of
// the same person — a pending application or a cardholder — with the
// linkage engine's in-memory index. It implements enroll.Screener.
package dedup

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
)

// Screener holds the index of everyone a new application is compared with.
// The linkage index is safe for concurrent use.
type Screener struct {
	ix *linkage.Index
	t  linkage.Thresholds
}

// New returns an empty Screener with thresholds from settings (zero values
// mean the engine's defaults).
func New(s config.Linkage) (*Screener, error) {
	t := linkage.Defaults()
	if s.Review > 0 {
		t = linkage.Thresholds{AutoClear: s.AutoClear, Review: s.Review, StrongMatch: s.StrongMatch}
	}
	ix, err := linkage.NewIndex(linkage.Options{Mode: linkage.ModePlain, Thresholds: t}, nil)
	if err != nil {
		return nil, fmt.Errorf("duplicate screening: %w", err)
	}
	return &Screener{ix: ix, t: t}, nil
}

// Stats describe a load.
type Stats struct {
	Records     int
	MemoryBytes int64
	Duration    time.Duration
}

// Load fills the index from the database: every pending application and
// cardholder. Call it once at start, before serving.
func (s *Screener) Load(ctx context.Context, svc *enroll.Service) (Stats, error) {
	start := time.Now()
	n := 0
	err := svc.EachPerson(ctx, enroll.ScreenedStatuses(), func(id string, p person.Person) error {
		s.ix.Add(id, linkage.FromPerson(id, p))
		n++
		return ctx.Err()
	})
	if err != nil {
		return Stats{}, fmt.Errorf("load duplicate screening index: %w", err)
	}
	if n >= 1000 {
		// Enough residents to estimate how common values are here.
		s.ix.Train(1)
	}
	return Stats{Records: n, MemoryBytes: s.ix.MemoryBytes(), Duration: time.Since(start)}, nil
}

// Screen returns the records likely to be the same person as p, most likely
// first, above the review threshold; self is excluded.
func (s *Screener) Screen(self string, p person.Person) ([]enroll.Match, error) {
	var out []enroll.Match
	for _, c := range s.ix.Screen(linkage.FromPerson(self, p)) {
		if c.ID == self || c.Probability < s.t.Review {
			continue
		}
		out = append(out, enroll.Match{ID: c.ID, Probability: c.Probability})
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
	out := enroll.Explanation{Probability: ex.Probability}
	for _, f := range ex.Fields {
		out.Fields = append(out.Fields, enroll.FieldComparison{Field: f.Field, Left: f.Left, Right: f.Right, Level: f.Level, Weight: f.Weight})
	}
	return out, nil
}

// Len reports how many records are indexed.
func (s *Screener) Len() int { return s.ix.Len() }

// MemoryBytes estimates the index's memory.
func (s *Screener) MemoryBytes() int64 { return s.ix.MemoryBytes() }
