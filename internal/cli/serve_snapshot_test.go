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
// next start loads it instead of rebuilding, with nothing to replay; when
// nothing changed since, its stop writes none.
func TestServeScreeningSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := serveUntilStopped(t, "--data", dir, "--demo", "--demo-residents", "6")
	if !strings.Contains(first, `rebuilt from the database, not from a snapshot" reason="no snapshot"`) {
		t.Errorf("first start: no rebuild logged:\n%s", first)
	}
	// The snapshot of a clean stop says so: the "shutting down" line comes
	// from another goroutine and, on a busy machine, can reach the log
	// after the leader has already written it, so the order of the lines
	// (or their times) proves nothing.
	written := regexp.MustCompile(`duplicate screening snapshot written" records=(\d+) .* reason=shutdown`).FindAllStringSubmatch(first, -1)
	if len(written) != 1 || written[0][1] == "0" {
		t.Fatalf("want one snapshot of the demo residents written as the leader stopped, got %v:\n%s", written, first)
	}
	records := written[0][1]
	second := serveUntilStopped(t, "--data", dir)
	loaded := regexp.MustCompile(`duplicate screening index loaded" records=(\d+) .* snapshot=(snp_\w+) replayed=0`).FindStringSubmatch(second)
	if loaded == nil || loaded[1] != records {
		t.Errorf("second start: want the index loaded from a snapshot of %s records, got %v:\n%s", records, loaded, second)
	}
	// Nothing changed while the second server ran: its stop does not seal
	// the same residents again.
	if strings.Contains(second, "reason=shutdown") || !strings.Contains(second, "snapshot already current; not written again at shutdown") {
		t.Errorf("second stop, nothing changed: want no snapshot written, and that said:\n%s", second)
	}
}
