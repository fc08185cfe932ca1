package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// meter shows how far a long command has got: a redrawn bar on a
// terminal, a line every few seconds otherwise (logs, CI).
type meter struct {
	w      io.Writer
	label  string
	total  int64
	done   int64
	tty    bool
	start  time.Time
	last   time.Time
	closed bool
	drawn  int64 // done at the last draw
	// prevAt and prevDone are the previous draw's time and count, for the
	// recent rate (a long load slows as the city grows; the overall
	// average hides that).
	prevAt   time.Time
	prevDone int64
}

func newMeter(w io.Writer, label string, total int64) *meter {
	now := time.Now()
	return &meter{w: w, label: label, total: total, tty: isTerminal(w), start: now, last: now, prevAt: now}
}

// isTerminal reports whether w is a terminal (not a file, pipe or log).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Set records n units done and redraws when due.
func (p *meter) Set(n int64) {
	p.done = n
	now := time.Now()
	interval := 5 * time.Second
	if p.tty {
		interval = 100 * time.Millisecond
	}
	if now.Sub(p.last) < interval && n != p.total {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *meter) draw(now time.Time) {
	p.drawn = p.done
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	recent := rate
	if dt := now.Sub(p.prevAt).Seconds(); dt >= 1 && p.prevDone > 0 {
		recent = float64(p.done-p.prevDone) / dt
	}
	if now.Sub(p.prevAt) >= 5*time.Second {
		p.prevAt, p.prevDone = now, p.done
	}
	left := ""
	if p.total > p.done && recent > 0 {
		left = ", " + (time.Duration(float64(p.total-p.done)/recent) * time.Second).Round(time.Second).String() + " left"
	}
	if !p.tty {
		if p.total > 0 {
			fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%, %.0f/s, now %.0f/s%s)\n", p.label, p.done, p.total, 100*float64(p.done)/float64(p.total), rate, recent, left)
		} else {
			fmt.Fprintf(p.w, "%s: %d (%.0f/s)\n", p.label, p.done, rate)
		}
		return
	}
	const width = 30
	frac := 0.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	filled := int(frac * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	fmt.Fprintf(p.w, "\r%s %s %d/%d %.0f/s%s ", p.label, bar, p.done, p.total, rate, left)
}

// Done finishes the display.
func (p *meter) Done() {
	if p.closed {
		return
	}
	p.closed = true
	if p.drawn != p.done || p.tty {
		p.draw(time.Now())
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// stagedMeter shows a long command's progress stage by stage (a backup's
// parts, a linkage run's blocking and scoring), a meter each; a new stage
// finishes the previous one's display. Its methods may be called from
// several goroutines.
type stagedMeter struct {
	w     io.Writer
	label string // before each stage's name
	// quietBelow: off a terminal, stages of fewer units show nothing (they
	// finish before anyone would read a log line).
	quietBelow int64
	mu         sync.Mutex
	stage      string
	m          *meter
}

// set records n units done in stage, whose total is not known.
func (s *stagedMeter) set(stage string, n int64) { s.setOf(stage, n, 0) }

// setOf records n of total units done in stage (total 0: not known).
func (s *stagedMeter) setOf(stage string, n, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || stage != s.stage {
		if s.m != nil {
			s.m.Done()
		}
		s.stage, s.m = stage, newMeter(s.w, s.label+stage, total)
	}
	if s.m.closed || (!s.m.tty && total > 0 && total < s.quietBelow) {
		return
	}
	s.m.Set(n)
	if total > 0 && n >= total {
		s.m.Done()
	}
}

func (s *stagedMeter) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m != nil {
		s.m.Done()
	}
}
