package verify

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/statuslist"
)

// maxListBytes bounds a fetched status list token (the largest list cityid
// issues compresses to a few kilobytes).
const maxListBytes = 8 << 20

// uncachedFor is how long a token with neither exp nor ttl is reused.
const uncachedFor = time.Minute

// Fetch returns the bytes of the status list token for uri.
type Fetch func(ctx context.Context, uri string) ([]byte, error)

// ListSource is a StatusSource over signed status list tokens (statuslist+jwt
// or statuslist+cwt). It checks each token's signature against Keys and that
// its subject is the URI the card names, and caches it until its ttl (bounded
// by its exp) runs out.
type ListSource struct {
	fetch Fetch
	keys  claim169.KeyLookup
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedList
}

type cachedList struct {
	list  *statuslist.List
	until time.Time
}

// NewListSource returns a ListSource that gets tokens with fetch.
func NewListSource(fetch Fetch, keys claim169.KeyLookup, now func() time.Time) *ListSource {
	return &ListSource{fetch: fetch, keys: keys, now: now, cache: map[string]cachedList{}}
}

// Status returns the status of entry idx of the list at uri.
func (s *ListSource) Status(ctx context.Context, uri string, idx int) (statuslist.Status, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[uri]
	s.mu.Unlock()
	if !ok || !now.Before(c.until) {
		var err error
		if c, err = s.load(ctx, uri, now); err != nil {
			return 0, err
		}
		s.mu.Lock()
		s.cache[uri] = c
		s.mu.Unlock()
	}
	return c.list.Get(idx)
}

func (s *ListSource) load(ctx context.Context, uri string, now time.Time) (cachedList, error) {
	token, err := s.fetch(ctx, uri)
	if err != nil {
		return cachedList{}, fmt.Errorf("verify: fetch status list: %w", err)
	}
	keyFor := func(kid string) (crypto.PublicKey, error) {
		k, ok := s.keys.Lookup(kid)
		if !ok {
			return nil, claim169.ErrUnknownKey
		}
		return k.Public, nil
	}
	parse := statuslist.ParseCWT
	if t := bytes.TrimSpace(token); bytes.HasPrefix(t, []byte("ey")) {
		parse = statuslist.ParseJWT // base64url of `{"`: a JWT
	}
	list, meta, err := parse(token, keyFor, now)
	if err != nil {
		return cachedList{}, fmt.Errorf("verify: status list: %w", err)
	}
	if meta.URI != uri {
		return cachedList{}, fmt.Errorf("verify: status list is for %q, the card names %q", meta.URI, uri)
	}
	until := now.Add(uncachedFor)
	if meta.TTL > 0 {
		until = now.Add(meta.TTL)
	}
	if !meta.Expires.IsZero() && (meta.TTL == 0 || meta.Expires.Before(until)) {
		until = meta.Expires
	}
	return cachedList{list: list, until: until}, nil
}

// FileFetch reads the token from a local file, whatever URI the card names
// (the subject check still ties the file to the card's list).
func FileFetch(path string) Fetch {
	return func(context.Context, string) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f)
	}
}

// HTTPFetch gets the token over HTTP(S). When url is empty it fetches the URI
// the card names; otherwise it always fetches url (a mirror).
func HTTPFetch(client *http.Client, url string) Fetch {
	return func(ctx context.Context, uri string) ([]byte, error) {
		if url != "" {
			uri = url
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", statuslist.JWTContentType+", "+statuslist.CWTType)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status list server answered %s", resp.Status)
		}
		return readLimited(resp.Body)
	}
}

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxListBytes {
		return nil, errors.New("status list token is too large")
	}
	return b, nil
}
