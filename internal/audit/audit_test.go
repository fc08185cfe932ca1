package audit

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 28, 9, 30, 0, 123456789, time.UTC)

func chain(n int) []Event {
	var out []Event
	var prev *Event
	for i := range n {
		e := Next(prev, Event{
			At:         t0.Add(time.Duration(i) * time.Second),
			Actor:      "stf_" + fmt.Sprint(i%7),
			Action:     "application.read",
			RecordType: "application",
			RecordID:   fmt.Sprintf("app_%04d", i),
			Purpose:    []string{"", "fraud_review"}[i%2],
			Outcome:    OutcomeOK,
		})
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func stream(events []Event) func() (Event, bool, error) {
	i := 0
	return func() (Event, bool, error) {
		if i >= len(events) {
			return Event{}, false, nil
		}
		i++
		return events[i-1], true, nil
	}
}

func TestNext(t *testing.T) {
	loc := time.FixedZone("EST", -5*3600)
	first := Next(nil, Event{At: t0.In(loc), Actor: "system", Action: "program.start", Outcome: OutcomeOK})
	if first.Seq != 1 || !bytes.Equal(first.Prev, make([]byte, HashSize)) {
		t.Errorf("Next(nil) Seq, Prev = %d, %x; want 1, zeros", first.Seq, first.Prev)
	}
	if want := t0.Truncate(time.Microsecond); !first.At.Equal(want) || first.At.Location() != time.UTC {
		t.Errorf("Next(nil).At = %v, want %v in UTC", first.At, want)
	}
	second := Next(&first, Event{At: t0, Actor: "system", Action: "program.stop", Outcome: OutcomeOK})
	if second.Seq != 2 || !bytes.Equal(second.Prev, first.Hash) || len(second.Hash) != HashSize {
		t.Errorf("Next(first) = %+v; want Seq 2 linked to first", second)
	}
	// What the database returns: the same instant at microsecond precision,
	// maybe in local time, hashes the same.
	reread := first
	reread.At = time.UnixMicro(first.At.UnixMicro()).In(loc)
	if !bytes.Equal(Hash(reread), first.Hash) {
		t.Error("Hash changes when the event is read back at microsecond precision")
	}
}

func TestHashCoversFields(t *testing.T) {
	base := chain(1)[0]
	seen := map[string]string{string(base.Hash): "base"}
	for name, mut := range mutations() {
		if name == "Hash" {
			continue // the hash does not cover itself
		}
		e := base
		e.Prev = bytes.Clone(base.Prev)
		mut(&e)
		h := string(Hash(e))
		if other, dup := seen[h]; dup {
			t.Errorf("Hash after changing %s equals Hash of %s", name, other)
		}
		seen[h] = name
	}
	// Length prefixes: moving a byte between adjacent fields changes the hash.
	a, b := base, base
	a.RecordType, a.RecordID = "application", "x1"
	b.RecordType, b.RecordID = "applicationx", "1"
	if bytes.Equal(Hash(a), Hash(b)) {
		t.Error("Hash is ambiguous across field boundaries")
	}
}

func mutations() map[string]func(*Event) {
	return map[string]func(*Event){
		"Seq":        func(e *Event) { e.Seq++ },
		"At":         func(e *Event) { e.At = e.At.Add(time.Microsecond) },
		"Actor":      func(e *Event) { e.Actor = "stf_evil" },
		"Action":     func(e *Event) { e.Action = "application.approve" },
		"RecordType": func(e *Event) { e.RecordType = "card" },
		"RecordID":   func(e *Event) { e.RecordID = "app_9999" },
		"Purpose":    func(e *Event) { e.Purpose = "replacement" },
		"Outcome":    func(e *Event) { e.Outcome = OutcomeDenied },
		"Prev":       func(e *Event) { e.Prev[0] ^= 1 },
		"Hash":       func(e *Event) { e.Hash = bytes.Clone(e.Hash); e.Hash[31] ^= 1 },
	}
}

func TestVerifyIntact(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		count, p, err := Verify(stream(chain(n)))
		if count != int64(n) || p != nil || err != nil {
			t.Errorf("Verify(%d intact events) = %d, %v, %v; want %d, nil, nil", n, count, p, err, n)
		}
	}
}

func TestVerifyTamper(t *testing.T) {
	for name, mut := range mutations() {
		t.Run(name, func(t *testing.T) {
			events := chain(100)
			events[49].Prev = bytes.Clone(events[49].Prev)
			mut(&events[49])
			count, p, err := Verify(stream(events))
			if err != nil {
				t.Fatal(err)
			}
			if p == nil || p.Seq != 50 || count != 49 {
				t.Errorf("Verify(event 50 %s altered) = %d, %v; want 49, a problem at 50", name, count, p)
			}
		})
	}
}

func TestVerifyStructure(t *testing.T) {
	rehashed := func() []Event {
		// An attacker rewrites event 50 and recomputes its own hash:
		// the next event's link exposes it.
		ev := chain(100)
		ev[49].RecordID = "app_other"
		ev[49].Hash = Hash(ev[49])
		return ev
	}
	tests := []struct {
		name   string
		events []Event
		want   Problem
	}{
		{"delete 41", del(chain(100), 40), Problem{41, "gap: event 41 missing"}},
		{"delete 41-43", del(del(del(chain(100), 40), 40), 40), Problem{41, "gap: events 41 to 43 missing"}},
		{"delete first", del(chain(100), 0), Problem{1, "gap: event 1 missing"}},
		{"swap 50 and 51", swap(chain(100), 49, 50), Problem{50, "gap: event 50 missing"}},
		{"duplicate 50", dup(chain(100), 49), Problem{51, "out of order: expected event 51, found event 50"}},
		{"rehashed 50", rehashed(), Problem{51, "prev link broken: this event or the one before it was altered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, p, err := Verify(stream(tt.events))
			if err != nil {
				t.Fatal(err)
			}
			if p == nil {
				t.Fatalf("Verify(%s) found no problem, want %v", tt.name, tt.want)
			}
			if diff := cmp.Diff(tt.want, *p); diff != "" {
				t.Errorf("Verify(%s) problem (-want +got):\n%s", tt.name, diff)
			}
			if count != tt.want.Seq-1 {
				t.Errorf("Verify(%s) count = %d, want %d", tt.name, count, tt.want.Seq-1)
			}
		})
	}
}

func del(ev []Event, i int) []Event { return append(ev[:i:i], ev[i+1:]...) }
func swap(ev []Event, i, j int) []Event {
	ev[i], ev[j] = ev[j], ev[i]
	return ev
}
func dup(ev []Event, i int) []Event {
	return append(ev[:i+1:i+1], ev[i:]...)
}

func TestVerifyReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	n := 0
	next := func() (Event, bool, error) {
		n++
		if n == 3 {
			return Event{}, false, boom
		}
		return chain(3)[n-1], true, nil
	}
	count, p, err := Verify(next)
	if !errors.Is(err, boom) || p != nil || count != 2 {
		t.Errorf("Verify(failing reader) = %d, %v, %v; want 2, nil, the read error", count, p, err)
	}
}

func TestValidate(t *testing.T) {
	ok := Event{At: t0, Actor: "stf_01HZX", Action: "application.read", RecordType: "application",
		RecordID: "app_8f3k2", Purpose: "fraud_review", Outcome: OutcomeOK}
	if err := Validate(ok); err != nil {
		t.Fatalf("Validate(%+v) = %v, want nil", ok, err)
	}
	tests := []struct {
		name string
		mut  func(*Event)
	}{
		{"name as record id", func(e *Event) { e.RecordID = "María García" }},
		{"name as purpose", func(e *Event) { e.Purpose = "Maria Garcia" }},
		{"upper-case action", func(e *Event) { e.Action = "Application.Read" }},
		{"empty action", func(e *Event) { e.Action = "" }},
		{"long action", func(e *Event) { e.Action = string(bytes.Repeat([]byte("a"), 65)) }},
		{"record type with space", func(e *Event) { e.RecordType = "the application" }},
		{"empty actor", func(e *Event) { e.Actor = "" }},
		{"actor email", func(e *Event) { e.Actor = "ana@example.org" }},
		{"record id newline", func(e *Event) { e.RecordID = "app_1\napp_2" }},
		{"record id without type", func(e *Event) { e.RecordType = "" }},
		{"bad outcome", func(e *Event) { e.Outcome = "maybe" }},
		{"no time", func(e *Event) { e.At = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.mut(&e)
			err := Validate(e)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate(%s) = %v, want ErrInvalid", tt.name, err)
			}
			for _, leak := range []string{"María", "Maria", "ana@", "app_2"} {
				if bytes.Contains([]byte(err.Error()), []byte(leak)) {
					t.Errorf("Validate(%s) error %q quotes the value", tt.name, err)
				}
			}
		})
	}
	noRecord := Event{At: t0, Actor: "system", Action: "auth.login_failed", Outcome: OutcomeDenied}
	if err := Validate(noRecord); err != nil {
		t.Errorf("Validate(event without record) = %v, want nil", err)
	}
}

func BenchmarkHash(b *testing.B) {
	e := chain(1)[0]
	for b.Loop() {
		Hash(e)
	}
}

func BenchmarkVerify(b *testing.B) {
	events := chain(10000)
	for b.Loop() {
		if _, p, err := Verify(stream(events)); p != nil || err != nil {
			b.Fatal(p, err)
		}
	}
	b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
