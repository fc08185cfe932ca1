package throttle

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	l := New(60, 3, 100, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("Allow(a) #%d = false, want true within the burst of 3", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != time.Second {
		t.Errorf("Allow(a) after the burst = %v, %v; want false, 1s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("Allow(b) = false; want true: keys have their own buckets")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("Allow(a) a second later = false, want true (one token refilled)")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("Allow(a) again = true, want false")
	}
}

func TestBounded(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	l := New(1, 1, 10, func() time.Time { return now })
	for i := range 1000 {
		l.Allow(string(rune('a'+i%26)) + string(rune(i)))
	}
	if n := len(l.buckets); n > 10 {
		t.Errorf("buckets = %d after 1000 keys, want at most 10", n)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int
	}{{0, 1}, {100 * time.Millisecond, 1}, {1500 * time.Millisecond, 2}, {time.Minute, 60}} {
		if got := RetryAfter(tc.in); got != tc.want {
			t.Errorf("RetryAfter(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNilAllows(t *testing.T) {
	var l *Limiter
	if ok, _ := l.Allow("x"); !ok {
		t.Error("nil Limiter Allow = false, want true")
	}
}

// TestAllowNAndHas: fractional costs, a look that takes nothing, and a
// refill given per hour.
func TestAllowNAndHas(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	l := NewPer(5, time.Hour, 5, 100, func() time.Time { return now })
	for i := range 5 {
		if !l.Has("code", 1) {
			t.Fatalf("Has before failure %d = false, want true", i+1)
		}
		if ok, _ := l.AllowN("code", 1); !ok {
			t.Fatalf("AllowN %d of 5 = false, want true", i+1)
		}
	}
	if l.Has("code", 1) {
		t.Error("Has after 5 failures = true, want false")
	}
	ok, wait := l.AllowN("code", 1)
	if ok || wait < 11*time.Minute || wait > 13*time.Minute {
		t.Errorf("sixth AllowN = %v, wait %v; want false and about 12 minutes (5 an hour)", ok, wait)
	}
	now = now.Add(12 * time.Minute)
	if !l.Has("code", 1) {
		t.Error("Has 12 minutes later = false, want a token back")
	}
	k := New(60, 1, 100, func() time.Time { return now })
	for i := range 5 {
		if ok, _ := k.AllowN("kiosk", 0.2); !ok {
			t.Fatalf("AllowN(0.2) %d of 5 = false, want five fifths of one token", i+1)
		}
	}
	if ok, _ := k.AllowN("kiosk", 0.2); ok {
		t.Error("sixth AllowN(0.2) = true, want the token spent")
	}
}

// TestFloodDoesNotResetALimit is issue 10's limiter finding: when the
// limiter was full it dropped arbitrary buckets, so an attacker could send
// requests under thousands of new keys (addresses) until its own drained
// bucket was forgotten, and start again with a full one.
func TestFloodDoesNotResetALimit(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	l := New(1, 5, 100, func() time.Time { return now })
	for range 5 {
		l.Allow("attacker")
	}
	if ok, _ := l.Allow("attacker"); ok {
		t.Fatal("Allow(attacker) after the burst = true, want false")
	}
	for i := range 5000 {
		l.Allow("flood-" + string(rune(0x4e00+i)))
	}
	if ok, _ := l.Allow("attacker"); ok {
		t.Errorf("Allow(attacker) after 5000 new keys = true; want false: the flood reset its limit")
	}
	if n := len(l.buckets); n > 100 {
		t.Errorf("buckets = %d, want at most 100", n)
	}
}
