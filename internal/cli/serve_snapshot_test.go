package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects a server's log lines for a test, safely across
// goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveUntilStopped runs `cityid serve` with args until it prints its staff
// URL, then stops it as SIGTERM does and returns its log.
func serveUntilStopped(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var log logBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, IO{In: strings.NewReader(""), Out: pw, Err: &log}, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	up := false
	for !up && sc.Scan() {
		up = strings.Contains(sc.Text(), "staff URL: ")
	}
	go io.Copy(io.Discard, pr)
	if !up {
		t.Fatalf("serve did not start (exit %d): %s", <-done, log.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, log.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	return log.String()
}

// TestServeScreeningSnapshot: the job leader writes a snapshot of the
// screening index when it stops, up to date with the change feed, and the
// next start loads it instead of rebuilding, with nothing to replay.
func TestServeScreeningSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := serveUntilStopped(t, "--data", dir, "--demo", "--demo-residents", "6")
	if !strings.Contains(first, `rebuilt from the database, not from a snapshot" reason="no snapshot"`) {
		t.Errorf("first start: no rebuild logged:\n%s", first)
	}
	written := regexp.MustCompile(`duplicate screening snapshot written" records=(\d+)`).FindAllStringSubmatch(first, -1)
	if len(written) == 0 || written[len(written)-1][1] == "0" {
		t.Fatalf("the leader wrote no snapshot of the demo residents when it stopped (%v):\n%s", written, first)
	}
	// Compare the lines' times, not their order in the log: the shutdown
	// line and the leader's last snapshot line come from two goroutines
	// and can reach the log in either order within a millisecond.
	if last, down := logTime(t, first, "snapshot written", true), logTime(t, first, `msg="shutting down"`, false); last.Before(down) {
		t.Errorf("no snapshot written after the shutdown began (last at %v, shutdown at %v):\n%s", last, down, first)
	}
	records := written[len(written)-1][1]
	second := serveUntilStopped(t, "--data", dir)
	loaded := regexp.MustCompile(`duplicate screening index loaded" records=(\d+) .* snapshot=(snp_\w+) replayed=0`).FindStringSubmatch(second)
	if loaded == nil || loaded[1] != records {
		t.Errorf("second start: want the index loaded from a snapshot of %s records, got %v:\n%s", records, loaded, second)
	}
}

// logTime returns the time= of the first (or last) log line holding msg.
func logTime(t *testing.T, log, msg string, last bool) time.Time {
	t.Helper()
	var at time.Time
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		f, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		ts, err := time.Parse(time.RFC3339Nano, f)
		if err != nil {
			t.Fatalf("log line without a time: %q", line)
		}
		at = ts
		if !last {
			break
		}
	}
	if at.IsZero() {
		t.Fatalf("no log line holds %q:\n%s", msg, log)
	}
	return at
}
