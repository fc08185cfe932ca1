package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/httplayer"
)

// proxyServer serves e's app again with the given trusted proxies.
func proxyServer(t *testing.T, e *env, proxies *httplayer.Proxies) *httptest.Server {
	t.Helper()
	srv, err := New(e.app.Services, Options{Proxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func postVerify(t *testing.T, ts *httptest.Server, xff string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/verify", strings.NewReader(url.Values{"payload": {"NOT-A-CARD"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestVerifierLimitIgnoresSpoofedForwardedFor is the attack: a script on
// the open internet hammers the public verifier page with a new forged
// X-Forwarded-For on every request. Without a trusted proxy the header is
// ignored and the script runs out of its one budget.
func TestVerifierLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	e := newEnv(t)
	ts := proxyServer(t, e, nil)
	for i := range verifyPageBurst {
		if code := postVerify(t, ts, "203.0.113."+itoa(i+1)); code != http.StatusOK {
			t.Fatalf("verify %d within the burst = %d, want 200", i+1, code)
		}
	}
	if code := postVerify(t, ts, "198.51.100.200"); code != http.StatusTooManyRequests {
		t.Errorf("verify past the burst with a fresh forged X-Forwarded-For = %d, want 429", code)
	}
}

// TestVerifierLimitBehindTrustedProxy: behind the city's reverse proxy
// every bank clerk has her own budget (the address the proxy forwarded),
// not one bucket for the whole city; the budget still holds per clerk.
func TestVerifierLimitBehindTrustedProxy(t *testing.T) {
	e := newEnv(t)
	proxies, err := httplayer.NewProxies([]string{"127.0.0.1/32"}, "")
	if err != nil {
		t.Fatal(err)
	}
	ts := proxyServer(t, e, proxies)
	for i := range verifyPageBurst + 5 {
		if code := postVerify(t, ts, "203.0.113."+itoa(i+1)); code != http.StatusOK {
			t.Fatalf("verify from client %d behind the proxy = %d, want 200 (each client has its own budget)", i+1, code)
		}
	}
	for i := range verifyPageBurst {
		if code := postVerify(t, ts, "6.6.6.6, 192.0.2.50"); code != http.StatusOK {
			t.Fatalf("verify %d from 192.0.2.50 = %d, want 200", i+1, code)
		}
	}
	if code := postVerify(t, ts, "7.7.7.7, 192.0.2.50"); code != http.StatusTooManyRequests {
		t.Errorf("verify past 192.0.2.50's burst (with a different forged left part) = %d, want 429", code)
	}
}
