// Package throttle limits how often a key (a client address, an API token)
// may do something: a token bucket per key, held in memory and bounded —
// or, once shared (Share), kept in the database so that several app
// servers enforce one limit.
package throttle

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// Backend keeps token buckets where every app server sees them
// (*store.DB implements it).
type Backend interface {
	TakeTokens(ctx context.Context, name string, keyHash []byte, rate, burst, cost float64, now time.Time) (took bool, left float64, err error)
}

// shared is a limiter's database backing.
type shared struct {
	b    Backend
	name string
	hash func(key string) []byte
}

// Share makes AllowN keep its buckets in b under name, so the limit holds
// across every server on the database. hash turns a key (a client address)
// into what is stored: a keyed hash, never the address. When the database
// cannot answer, the limiter falls back to its own buckets: an outage
// makes a limit per server, never none. Has stays per server.
func (l *Limiter) Share(b Backend, name string, hash func(key string) []byte) {
	if l == nil || b == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shared = &shared{b: b, name: name, hash: hash}
}

// Limiter is a set of token buckets, one per key. The zero value is not
// usable; a nil *Limiter allows everything.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets map[string]*bucket
	now     func() time.Time
	shared  *shared
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter refilling perMinute tokens a minute up to burst,
// keeping at most maxKeys buckets. When full it forgets first the buckets
// that have refilled (they hold nothing), then the fullest ones: a flood of
// new keys cannot push out a drained bucket and so reset its limit. now nil
// means time.Now.
func New(perMinute, burst, maxKeys int, now func() time.Time) *Limiter {
	return NewPer(perMinute, time.Minute, burst, maxKeys, now)
}

// NewPer is New with the refill given as n tokens per period (e.g. 5 an hour).
func NewPer(n int, period time.Duration, burst, maxKeys int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	if maxKeys < 2 {
		maxKeys = 2
	}
	return &Limiter{rate: float64(n) / period.Seconds(), burst: float64(burst), max: maxKeys, buckets: map[string]*bucket{}, now: now}
}

// Allow takes one token from key's bucket. When the bucket is empty it
// reports false and how long until a token is back (for Retry-After).
func (l *Limiter) Allow(key string) (bool, time.Duration) { return l.AllowN(key, 1) }

// Has reports whether key's bucket holds cost tokens, without taking them
// (of a shared limiter: the bucket in the database, refilled to now).
func (l *Limiter) Has(key string, cost float64) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	sh := l.shared
	l.mu.Unlock()
	if sh != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, left, err := sh.b.TakeTokens(ctx, sh.name, sh.hash(key), l.rate, l.burst, 0, l.now())
		cancel()
		if err == nil {
			return left >= cost
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return l.burst >= cost
	}
	return min(l.burst, b.tokens+l.now().Sub(b.last).Seconds()*l.rate) >= cost
}

// AllowN is Allow for an action that costs cost tokens (a cheap action may
// cost a fraction of one).
func (l *Limiter) AllowN(key string, cost float64) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	sh := l.shared
	l.mu.Unlock()
	if sh != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		took, left, err := sh.b.TakeTokens(ctx, sh.name, sh.hash(key), l.rate, l.burst, cost, l.now())
		cancel()
		if err == nil {
			if took {
				return true, 0
			}
			if l.rate <= 0 {
				return false, time.Hour
			}
			return false, time.Duration(math.Ceil((cost - left) / l.rate * float64(time.Second)))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
	}
	b.last = now
	if b.tokens < cost {
		if l.rate <= 0 {
			return false, time.Hour
		}
		wait := time.Duration(math.Ceil((cost - b.tokens) / l.rate * float64(time.Second)))
		return false, wait
	}
	b.tokens -= cost
	return true, 0
}

// RetryAfter is wait as whole seconds for a Retry-After header, at least 1.
func RetryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// evict makes room: it drops the buckets that have refilled (they hold no
// information), then, if that freed less than a tenth of the room, the
// fullest buckets until a tenth is free. Never an arbitrary one: a client
// flooding the limiter with new keys makes buckets that are nearly full, so
// those go first and a drained bucket (a limit being enforced) stays.
func (l *Limiter) evict(now time.Time) {
	level := func(b *bucket) float64 { return b.tokens + now.Sub(b.last).Seconds()*l.rate }
	for k, b := range l.buckets {
		if level(b) >= l.burst {
			delete(l.buckets, k)
		}
	}
	target := l.max - max(1, l.max/10)
	if len(l.buckets) <= target {
		return
	}
	type entry struct {
		key   string
		level float64
	}
	all := make([]entry, 0, len(l.buckets))
	for k, b := range l.buckets {
		all = append(all, entry{k, level(b)})
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(b.level, a.level) })
	for _, e := range all[:len(all)-target] {
		delete(l.buckets, e.key)
	}
}
