package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is a flush that keeps the batches it was given; while gate is
// open (non-nil) each flush first waits for a value on it.
type recorder struct {
	mu      sync.Mutex
	batches [][]Event
	gate    chan error
	entered chan int // the size of each batch, sent as its flush starts
}

func (r *recorder) flush(ctx context.Context, es []Event) error {
	if r.entered != nil {
		r.entered <- len(es)
	}
	var err error
	if r.gate != nil {
		err = <-r.gate
	}
	if err == nil {
		r.mu.Lock()
		r.batches = append(r.batches, slices.Clone(es))
		r.mu.Unlock()
	}
	return err
}

func ev(i int) Event {
	return Event{At: time.Unix(int64(i), 0).UTC(), Actor: "stf_1", Action: "application.read", RecordType: "application", RecordID: fmt.Sprintf("app_%d", i), Outcome: OutcomeOK}
}

// queued is the number of events waiting in g (not yet handed to a flush).
func queued(g *Group) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, b := range g.queue {
		n += len(b.events)
	}
	return n
}

// waitQueued waits until g holds n events not yet flushed.
func waitQueued(t *testing.T, g *Group, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); queued(g) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("queued(g) = %d, want %d", queued(g), n)
		}
	}
}

// TestGroupBatchesWhileWriting: events that arrive while a batch is being
// written are written together in the next one, in arrival order, and
// each caller returns only once its own batch is written.
func TestGroupBatchesWhileWriting(t *testing.T) {
	r := &recorder{gate: make(chan error), entered: make(chan int, 10)}
	g := NewGroup(r.flush)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 50)
	wg.Go(func() { errc <- g.Append(ctx, ev(0)) })
	if n := <-r.entered; n != 1 {
		t.Fatalf("first batch has %d events, want 1", n)
	}
	// While the first batch is being written, 49 more readers arrive, one
	// after another (so their order is known).
	for i := 1; i < 50; i++ {
		wg.Go(func() { errc <- g.Append(ctx, ev(i)) })
		waitQueued(t, g, i)
	}
	select {
	case err := <-errc:
		t.Fatalf("an Append returned (%v) before its batch was written", err)
	default:
	}
	r.gate <- nil // the first batch commits
	if n := <-r.entered; n != 49 {
		t.Fatalf("second batch has %d events, want the 49 that waited", n)
	}
	r.gate <- nil
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("Append = %v, want nil", err)
		}
	}
	if len(r.batches) != 2 {
		t.Fatalf("flushes = %d, want 2", len(r.batches))
	}
	for i, e := range r.batches[1] {
		if want := ev(i + 1).RecordID; e.RecordID != want {
			t.Fatalf("second batch event %d = %s, want %s (arrival order)", i, e.RecordID, want)
		}
	}
}

// TestGroupFailedBatch: when a batch's write fails, every caller in it gets
// the error (none is told its read was recorded), and the next batch is
// written as usual.
func TestGroupFailedBatch(t *testing.T) {
	r := &recorder{gate: make(chan error), entered: make(chan int, 10)}
	g := NewGroup(r.flush)
	ctx := context.Background()
	first, errc := make(chan error, 1), make(chan error, 10)
	go func() { first <- g.Append(ctx, ev(0)) }()
	<-r.entered
	for i := 1; i <= 3; i++ {
		go func() { errc <- g.Append(ctx, ev(i)) }()
		waitQueued(t, g, i)
	}
	r.gate <- nil // the first batch commits
	<-r.entered
	boom := errors.New("connection lost")
	r.gate <- boom // the second (three events) fails
	if err := <-first; err != nil {
		t.Fatalf("first Append = %v, want nil", err)
	}
	for range 3 {
		if err := <-errc; !errors.Is(err, boom) {
			t.Errorf("Append in the failed batch = %v, want %v", err, boom)
		}
	}
	go func() { errc <- g.Append(ctx, ev(9)) }()
	<-r.entered
	r.gate <- nil
	if err := <-errc; err != nil {
		t.Errorf("Append after a failed batch = %v, want nil", err)
	}
	if len(r.batches) != 2 || len(r.batches[1]) != 1 || r.batches[1][0].RecordID != "app_9" {
		t.Errorf("written batches = %v, want [app_0] [app_9]", r.batches)
	}
}

// TestGroupMax: a batch holds at most GroupMax events.
func TestGroupMax(t *testing.T) {
	r := &recorder{gate: make(chan error), entered: make(chan int, 10)}
	g := NewGroup(r.flush)
	g.max = 3
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Append(ctx, ev(0)) })
	<-r.entered
	for i := 1; i <= 7; i++ {
		wg.Go(func() { _ = g.Append(ctx, ev(i)) })
		waitQueued(t, g, i)
	}
	var sizes []int
	for range 3 {
		r.gate <- nil
		sizes = append(sizes, <-r.entered)
	}
	r.gate <- nil
	wg.Wait()
	if want := []int{3, 3, 1}; !slices.Equal(sizes, want) {
		t.Errorf("batch sizes after the first = %v, want %v", sizes, want)
	}
}

// TestGroupCallerGivesUp: a caller whose context ends stops waiting; the
// write goes on for the others, and the Group keeps working.
func TestGroupCallerGivesUp(t *testing.T) {
	r := &recorder{gate: make(chan error), entered: make(chan int, 10)}
	g := NewGroup(r.flush)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- g.Append(ctx, ev(0)) }()
	<-r.entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Append after cancel = %v, want context.Canceled", err)
	}
	r.gate <- nil // the write was not cancelled with its caller
	go func() { errc <- g.Append(context.Background(), ev(1)) }()
	<-r.entered
	r.gate <- nil
	if err := <-errc; err != nil {
		t.Fatalf("next Append = %v, want nil", err)
	}
	if len(r.batches) != 2 {
		t.Errorf("written batches = %d, want 2", len(r.batches))
	}
}
