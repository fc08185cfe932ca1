package storetest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// RoundTrips puts a TCP proxy between the test and the PostgreSQL server of
// dsn and returns the URL to connect through it and a counter of round
// trips: the times a client connection sent something after the server had
// last answered it (so a pipeline of statements sent together counts once).
// On PostgreSQL every round trip costs both sides a system call and a
// wake-up, which is most of what a small statement costs; a test can pin
// how many an operation takes.
func RoundTrips(t testing.TB, dsn string) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsn, err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	closed := false
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			mu.Lock()
			if err != nil || closed {
				mu.Unlock()
				c.Close()
				if s != nil {
					s.Close()
				}
				continue
			}
			conns = append(conns, c, s)
			mu.Unlock()
			var answered atomic.Bool // the server spoke last on this connection
			answered.Store(true)
			wg.Go(func() {
				copyTurns(s, c, func() {
					if answered.Swap(false) {
						n.Add(1)
					}
				})
				s.Close()
			})
			wg.Go(func() {
				copyTurns(c, s, func() { answered.Store(true) })
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	u.Host = ln.Addr().String()
	return u.String(), &n
}

// copyTurns copies src to dst, calling sent after each read from src and
// before it is forwarded, so the other direction's answer cannot overtake
// the count.
func copyTurns(dst io.Writer, src io.Reader, sent func()) {
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			sent()
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a closed connection: the other side closes too
		}
	}
}
