package audit

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const origin = "cityid.example.gov/audit"

func keys(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// TestTreeMatchesTlog checks the streaming tree against tlog's own stored
// hashes and tree hash, and that tlog inclusion proofs verify against it.
func TestTreeMatchesTlog(t *testing.T) {
	events := chain(70)
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var tree Tree
	for n := int64(0); n <= int64(len(events)); n++ {
		want, err := tlog.TreeHash(n, reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := tree.Root(); got != want || tree.Size() != n {
			t.Fatalf("Tree(%d events).Root() = %v, want tlog.TreeHash %v", n, got, want)
		}
		if n > 0 {
			p, err := tlog.ProveRecord(n, n/2, reader)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, n, tree.Root(), n/2, tlog.RecordHash(events[n/2].Hash)); err != nil {
				t.Errorf("tlog.CheckRecord(event %d in tree of %d) = %v", n/2+1, n, err)
			}
		}
		if n == int64(len(events)) {
			break
		}
		hs, err := tlog.StoredHashes(n, events[n].Hash, reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		tree.Add(events[n].Hash)
	}
}

func rootOf(events []Event) tlog.Hash {
	var tr Tree
	for _, e := range events {
		tr.Add(e.Hash)
	}
	return tr.Root()
}

func TestCheckpointRoundTrip(t *testing.T) {
	signer, verifier := keys(t, "cityid-audit")
	_, other := keys(t, "cityid-audit")
	events := chain(42)
	root := rootOf(events)
	msg, err := NewCheckpoint(signer, origin, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(msg), origin+"\n42\n") {
		t.Errorf("checkpoint text = %q, want origin, size, root lines", msg)
	}
	cp, err := VerifyCheckpoint(msg, origin, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Checkpoint{Origin: origin, Size: 42, Root: root, Note: msg}, cp); diff != "" {
		t.Errorf("VerifyCheckpoint (-want +got):\n%s", diff)
	}
	bad := []struct {
		name     string
		msg      []byte
		origin   string
		verifier note.Verifier
	}{
		{"other key", msg, origin, other},
		{"other origin", msg, "evil.example/audit", verifier},
		{"size changed", []byte(strings.Replace(string(msg), "\n42\n", "\n41\n", 1)), origin, verifier},
		{"garbage", []byte("hello"), origin, verifier},
	}
	for _, tt := range bad {
		if _, err := VerifyCheckpoint(tt.msg, tt.origin, tt.verifier); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("VerifyCheckpoint(%s) = %v, want ErrCheckpoint", tt.name, err)
		}
	}
	// A validly signed note that is not a checkpoint.
	junk, err := note.Sign(&note.Note{Text: origin + "\nforty-two\nxx\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCheckpoint(junk, origin, verifier); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("VerifyCheckpoint(signed junk) = %v, want ErrCheckpoint", err)
	}
	for _, o := range []string{"", "two\nlines"} {
		if _, err := NewCheckpoint(signer, o, 1, root); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("NewCheckpoint(origin %q) = %v, want ErrCheckpoint", o, err)
		}
	}
}

func TestVerifyWithCheckpoints(t *testing.T) {
	signer, verifier := keys(t, "cityid-audit")
	events := chain(100)
	var cps []Checkpoint
	for _, n := range []int{50, 10, 100} {
		msg, err := NewCheckpoint(signer, origin, int64(n), rootOf(events[:n]))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := VerifyCheckpoint(msg, origin, verifier)
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	// Rewritten from event 30 on, every hash recomputed: the chain alone
	// looks intact.
	rewritten := append([]Event(nil), events[:29]...)
	for _, e := range events[29:] {
		e.RecordID = "app_hidden"
		rewritten = append(rewritten, Next(&rewritten[len(rewritten)-1], e))
	}
	if _, p, _ := Verify(stream(rewritten)); p != nil {
		t.Fatalf("Verify(rewritten) = %v, want the chain to look intact", p)
	}
	forked := append(append([]Checkpoint(nil), cps...), Checkpoint{Size: 10, Root: rootOf(rewritten[:10])})
	forked[len(forked)-1].Root[0] ^= 1
	tests := []struct {
		name   string
		events []Event
		cps    []Checkpoint
		want   *Problem
		count  int64
	}{
		{"intact", events, cps, nil, 100},
		{"intact, no checkpoints", events, nil, nil, 100},
		{"longer than checkpoints", append(events, Next(&events[99], events[0])), cps, nil, 101},
		{"truncated to 80", events[:80], cps, &Problem{81, "log truncated: a signed checkpoint covers 100 events, the log has 80"}, 80},
		{"rewritten from 30", rewritten, cps, &Problem{50, "events 1 to 50 do not match the signed checkpoint of that size: the log was rewritten"}, 50},
		{"altered event 5", tamper(events, 4), cps, &Problem{5, "hash mismatch: event altered"}, 4},
		{"forked checkpoints", events, forked, &Problem{10, "two checkpoints of size 10 disagree: the log was forked"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, p, err := VerifyWithCheckpoints(stream(tt.events), tt.cps)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p); diff != "" || count != tt.count {
				t.Errorf("VerifyWithCheckpoints(%s) = %d, %v; want %d, %v", tt.name, count, p, tt.count, tt.want)
			}
		})
	}
}

func tamper(events []Event, i int) []Event {
	out := append([]Event(nil), events...)
	out[i].Action = "application.delete"
	return out
}

func BenchmarkTreeAdd(b *testing.B) {
	e := chain(1)[0]
	var tr Tree
	for b.Loop() {
		tr.Add(e.Hash)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func FuzzVerifyCheckpoint(f *testing.F) {
	signer, verifier := keys(f, "cityid-audit")
	for _, n := range []int64{0, 1, 1 << 40} {
		msg, err := NewCheckpoint(signer, origin, n, rootOf(chain(3)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		cp, err := VerifyCheckpoint(msg, origin, verifier)
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("VerifyCheckpoint error %v does not wrap ErrCheckpoint", err)
			}
			return
		}
		if cp.Size < 0 || cp.Origin != origin {
			t.Fatalf("VerifyCheckpoint accepted %+v", cp)
		}
	})
}
