package auth

import (
	"sync"
	"time"
)

// ipLimiter is a token bucket per client address: burst perMinute, refilled
// at perMinute a minute. It lives in memory, so each server of a cluster
// limits on its own; the per-account lockout in the database is shared.
type ipLimiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds memory under a spray of addresses; full buckets are
// dropped first since forgetting them changes nothing.
const maxBuckets = 10000

func newIPLimiter(perMinute int) *ipLimiter {
	return &ipLimiter{perMinute: float64(perMinute), buckets: make(map[string]*bucket)}
}

// allow takes one token for ip at now; false means the address must wait.
// A limit of 0 or less disables limiting.
func (l *ipLimiter) allow(ip string, now time.Time) bool {
	if l.perMinute <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[ip] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *ipLimiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.perMinute, b.tokens+d.Minutes()*l.perMinute)
		b.at = now
	}
}

// prune drops full buckets, and if that is not enough, every bucket: an
// attacker spraying addresses must not make the map grow without bound.
func (l *ipLimiter) prune(now time.Time) {
	for ip, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.perMinute {
			delete(l.buckets, ip)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
