package present

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/errs"
)

// memStore is a Store in memory for the unit tests; the SQL one is tested
// on SQLite and PostgreSQL in store_test.go.
type memStore struct {
	mu   sync.Mutex
	reqs map[string]Stored
	seen map[string]time.Time
}

func newMemStore() *memStore {
	return &memStore{reqs: map[string]Stored{}, seen: map[string]time.Time{}}
}

func (m *memStore) PutPresentation(_ context.Context, r Stored) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reqs[r.ID] = r
	return nil
}

func (m *memStore) PresentationByID(_ context.Context, id string) (Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return Stored{}, fmt.Errorf("request %s: %w", id, errs.ErrNotFound)
	}
	return r, nil
}

func (m *memStore) PresentationByHandle(_ context.Context, hh []byte) (Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reqs {
		if string(r.HandleHash) == string(hh) {
			return r, nil
		}
	}
	return Stored{}, fmt.Errorf("handle: %w", errs.ErrNotFound)
}

func (m *memStore) ClaimPresentation(_ context.Context, id string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok || r.Busy || now.After(r.Expires) {
		return false, nil
	}
	r.Busy = true
	m.reqs[id] = r
	return true, nil
}

func (m *memStore) AnswerPresentation(_ context.Context, id string, sealed []byte, forgetAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.reqs[id]
	r.Answer, r.ForgetAt = sealed, forgetAt
	m.reqs[id] = r
	return nil
}

func (m *memStore) SeenPresentation(_ context.Context, digest []byte, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[string(digest)]; ok {
		return false, nil
	}
	m.seen[string(digest)] = expires
	return true, nil
}

func (m *memStore) ForgetPresentations(_ context.Context, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.reqs {
		if now.After(r.ForgetAt) {
			delete(m.reqs, id)
		}
	}
	return nil
}
