//go:build linux

package claim169

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// This benchmark reads the thread's CPU clock, which only Linux offers
// through golang.org/x/sys/unix; the other benchmarks build everywhere.

// BenchmarkVerifyOverBare alternates a full verification and a bare P-256
// verification on one locked OS thread and reports the ratio of the thread
// CPU time each took. CPU time rather than wall time, so that other processes
// on a busy machine do not distort the ratio.
func BenchmarkVerifyOverBare(b *testing.B) {
	f := newVerifyFixture(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := func() time.Duration {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ts.Nano())
	}
	var full, bare time.Duration
	for b.Loop() {
		t0 := cpu()
		f.full(b)
		t1 := cpu()
		f.bare(b)
		t2 := cpu()
		full += t1 - t0
		bare += t2 - t1
	}
	b.ReportMetric(float64(full)/float64(bare), "ratio")
	b.ReportMetric(float64(full)/float64(b.N), "verify-cpu-ns")
	b.ReportMetric(float64(bare)/float64(b.N), "bare-cpu-ns")
}
