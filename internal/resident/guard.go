package resident

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/throttle"
)

// pow issues and checks proof-of-work challenges: the browser must find a
// nonce such that SHA-256(challenge ":" nonce) starts with Bits zero bits
// (about 2^Bits hashes: a second on a cheap phone, a real cost for a bot
// sending thousands). Challenges are HMAC-signed, expire, and are accepted
// once. No third party, no cookie, no tracking.
type pow struct {
	key  []byte
	bits int
	ttl  time.Duration
	now  func() time.Time
	rand io.Reader

	mu   sync.Mutex
	used map[string]time.Time
	// spent, when set, records spent challenges in the database so a
	// challenge spent on one app server is refused on every other.
	spent interface {
		SpendChallenge(ctx context.Context, hash []byte, expires time.Time) (bool, error)
	}
}

func newPOW(key []byte, bitsNeeded int, now func() time.Time, random io.Reader) *pow {
	return &pow{key: key, bits: bitsNeeded, ttl: 30 * time.Minute, now: now, rand: random, used: map[string]time.Time{}}
}

// challenge returns a fresh signed challenge: base64url(expiry ‖ random ‖ mac).
func (p *pow) challenge() (string, error) {
	var b [8 + 12 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(p.now().Add(p.ttl).Unix()))
	if _, err := io.ReadFull(p.rand, b[8:20]); err != nil {
		return "", fmt.Errorf("challenge: %w", err)
	}
	m := hmac.New(sha256.New, p.key)
	m.Write(b[:20])
	copy(b[20:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// check verifies a solved challenge and spends it.
func (p *pow) check(challenge, nonce string) bool {
	if len(challenge) > 64 || len(nonce) > 20 || nonce == "" {
		return false
	}
	if _, err := strconv.ParseUint(nonce, 10, 64); err != nil {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(raw) != 36 {
		return false
	}
	m := hmac.New(sha256.New, p.key)
	m.Write(raw[:20])
	if !hmac.Equal(m.Sum(nil)[:16], raw[20:]) {
		return false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	now := p.now()
	if now.After(exp) {
		return false
	}
	if leadingZeros(sha256.Sum256([]byte(challenge+":"+nonce))) < p.bits {
		return false
	}
	if p.spent != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h := sha256.Sum256([]byte(challenge))
		fresh, err := p.spent.SpendChallenge(ctx, h[:], exp)
		cancel()
		if err == nil {
			return fresh
		}
		// The database did not answer: fall back to this server's memory.
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.used[challenge]; seen {
		return false
	}
	if len(p.used) > 100_000 {
		for k, e := range p.used {
			if now.After(e) {
				delete(p.used, k)
			}
		}
	}
	p.used[challenge] = exp
	return true
}

func leadingZeros(sum [32]byte) int {
	n := 0
	for _, b := range sum {
		if b != 0 {
			return n + bits.LeadingZeros8(b)
		}
		n += 8
	}
	return n
}

// Solve finds a nonce for challenge at the given difficulty; the load driver
// and tests use it the way site.js does in the browser.
func Solve(challenge string, bitsNeeded int) string {
	for i := uint64(0); ; i++ {
		n := strconv.FormatUint(i, 10)
		if leadingZeros(sha256.Sum256([]byte(challenge+":"+n))) >= bitsNeeded {
			return n
		}
	}
}

// allowed takes cost tokens from key's bucket in l.
func allowed(l *throttle.Limiter, key string, cost float64) bool {
	ok, _ := l.AllowN(key, cost)
	return ok
}
