package audit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Group is group commit for the audit chain: many goroutines hand it one
// event each, and one appender at a time chains a whole batch of them in a
// single write (one transaction under the chain's lock, see store). Each
// caller waits until the batch that holds its event is committed, so an
// audited read still returns its data only after its event is durable.
//
// A chain takes its appenders one at a time (across every server sharing
// the database). Appending each read's event in the read's own transaction
// made every reader queue for that turn, and one slow holder — descheduled
// on a starved CPU between its statements — delayed all of them. With a
// Group a server's readers take one turn per batch instead of one each:
// events that arrive while a batch is being written form the next batch.
//
// A Group holds no goroutine while idle: the caller that finds no appender
// running starts one, and it exits when the queue is empty.
type Group struct {
	flush   func(ctx context.Context, es []Event) error
	max     int
	timeout time.Duration

	mu      sync.Mutex
	queue   []*batch // waiting to be written, oldest first
	running bool     // an appender goroutine is writing or about to
}

// batch is the events of one flush and its outcome, readable once done is closed.
type batch struct {
	events []Event
	done   chan struct{}
	err    error
}

// GroupMax is the most events a Group writes in one flush.
const GroupMax = 500

// groupTimeout bounds one flush, whatever its callers' contexts.
const groupTimeout = 30 * time.Second

// NewGroup returns a Group that writes each batch with flush, in order:
// flush must chain all of es or none (one transaction). A batch holds at
// most GroupMax events.
func NewGroup(flush func(ctx context.Context, es []Event) error) *Group {
	return &Group{flush: flush, max: GroupMax, timeout: groupTimeout}
}

// Append queues e (already validated by the caller: a batch fails as a
// whole) and waits until the batch holding it is committed, returning nil,
// or has failed, returning that batch's error. When ctx ends first, Append
// returns ctx's error; e may still be written with its batch — a read then
// is audited without having been returned, which errs on the side the log
// is for.
func (g *Group) Append(ctx context.Context, e Event) error {
	g.mu.Lock()
	var b *batch
	if n := len(g.queue); n > 0 && len(g.queue[n-1].events) < g.max {
		b = g.queue[n-1]
	} else {
		b = &batch{done: make(chan struct{})}
		g.queue = append(g.queue, b)
	}
	b.events = append(b.events, e)
	if !g.running {
		g.running = true
		// The appender outlives this caller's request: it writes others' events too.
		go g.run(context.WithoutCancel(ctx))
	}
	g.mu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("audit: waiting for the event to be written: %w", ctx.Err())
	}
}

// run writes batches until the queue is empty.
func (g *Group) run(ctx context.Context) {
	for {
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		b := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.mu.Unlock()
		b.err = g.write(ctx, b.events)
		close(b.done)
	}
}

func (g *Group) write(ctx context.Context, es []Event) error {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := g.flush(ctx, es); err != nil {
		return fmt.Errorf("audit: writing a batch of %d events: %w", len(es), err)
	}
	return nil
}
