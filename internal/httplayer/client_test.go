package httplayer_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/throttle"
)

// limited serves a page that allows each client key burst requests, the
// way every limiter of the three surfaces does, and says whose bucket it
// took from.
func limited(t *testing.T, proxies *httplayer.Proxies, burst int) *httptest.Server {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }
	lim := throttle.New(1, burst, 1000, now)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := httplayer.ClientKey(r)
		if ok, _ := lim.Allow(key); !ok {
			http.Error(w, key, http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, key)
	})
	ts := httptest.NewServer(proxies.Handler(h))
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, ts *httptest.Server, header, value string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	if header != "" {
		req.Header.Set(header, value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func mustProxies(t *testing.T, header string, cidrs ...string) *httplayer.Proxies {
	t.Helper()
	p, err := httplayer.NewProxies(cidrs, header)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSpoofedForwardedForIgnored: a client that is not a trusted proxy
// cannot pick its bucket by sending X-Forwarded-For or Forwarded: a new
// forged address on every request still runs out of the one budget of its
// connection address.
func TestSpoofedForwardedForIgnored(t *testing.T) {
	for name, proxies := range map[string]*httplayer.Proxies{
		"no proxies":         nil,
		"another proxy only": mustProxies(t, "", "10.0.0.0/8"),
	} {
		t.Run(name, func(t *testing.T) {
			ts := limited(t, proxies, 3)
			forged := []string{"203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.3", "2001:db8::1"}
			for i, ip := range forged[:3] {
				if code, key := get(t, ts, "X-Forwarded-For", ip); code != http.StatusOK || key != "127.0.0.1" {
					t.Fatalf("request %d with X-Forwarded-For %q = %d %q, want 200 from 127.0.0.1's bucket", i+1, ip, code, key)
				}
			}
			if code, _ := get(t, ts, "X-Forwarded-For", forged[3]); code != http.StatusTooManyRequests {
				t.Errorf("4th request with a 4th forged X-Forwarded-For = %d, want 429: the forged header picked a new bucket", code)
			}
			if code, _ := get(t, ts, "Forwarded", "for=192.0.2.99"); code != http.StatusTooManyRequests {
				t.Errorf("request with a forged Forwarded = %d, want 429", code)
			}
		})
	}
}

// TestTrustedProxyForwardedFor: behind a trusted proxy every resident gets
// her own bucket (the address the proxy appended), so one busy neighbour
// does not lock out everyone; what the client itself put in front of the
// proxy's entry is ignored.
func TestTrustedProxyForwardedFor(t *testing.T) {
	ts := limited(t, mustProxies(t, "", "127.0.0.1/32", "10.0.0.0/8"), 2)
	for _, tt := range []struct{ xff, want string }{
		{"203.0.113.10", "203.0.113.10"},
		{"203.0.113.11", "203.0.113.11"},
		// The client claimed 6.6.6.6; the proxy appended who it really is.
		{"6.6.6.6, 203.0.113.12", "203.0.113.12"},
		// Two proxies: the nearest (trusted 10.1.2.3) forwarded for the client.
		{"6.6.6.6, 203.0.113.13, 10.1.2.3", "203.0.113.13"},
		// IPv6 clients are grouped per /64, the same for every limiter.
		{"2001:db8:1:2::5", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::6]:4711", "2001:db8:1:2::/64"},
		// Garbage where the client should be: the proxy's own bucket.
		{"not-an-address", "127.0.0.1"},
		{"", "127.0.0.1"},
	} {
		code, key := get(t, ts, "X-Forwarded-For", tt.xff)
		if code != http.StatusOK || key != tt.want {
			t.Errorf("X-Forwarded-For %q via a trusted proxy = %d %q, want 200 %q", tt.xff, code, key, tt.want)
		}
	}
	// Same client, same bucket: the budget of 2 holds per client.
	get(t, ts, "X-Forwarded-For", "203.0.113.10")
	if code, _ := get(t, ts, "X-Forwarded-For", "203.0.113.10"); code != http.StatusTooManyRequests {
		t.Errorf("3rd request from 203.0.113.10 = %d, want 429", code)
	}
	// The /64 shares one budget: a third address in it is refused.
	if code, _ := get(t, ts, "X-Forwarded-For", "2001:db8:1:2::7"); code != http.StatusTooManyRequests {
		t.Errorf("3rd request from 2001:db8:1:2::/64 = %d, want 429", code)
	}
}

// TestTrustedProxyForwarded: a proxy configured to write RFC 7239
// Forwarded is read from that header only; X-Forwarded-For, which such a
// proxy passes on untouched, is ignored.
func TestTrustedProxyForwarded(t *testing.T) {
	ts := limited(t, mustProxies(t, "Forwarded", "127.0.0.1"), 5)
	for _, tt := range []struct{ header, value, want string }{
		{"Forwarded", "for=192.0.2.60;proto=https", "192.0.2.60"},
		{"Forwarded", `for=6.6.6.6, for="[2001:db8:cafe::17]:4711"`, "2001:db8:cafe::/64"},
		{"Forwarded", "for=_hidden", "127.0.0.1"},
		{"X-Forwarded-For", "192.0.2.61", "127.0.0.1"},
	} {
		if code, key := get(t, ts, tt.header, tt.value); code != http.StatusOK || key != tt.want {
			t.Errorf("%s: %q via a trusted proxy = %d %q, want 200 %q", tt.header, tt.value, code, key, tt.want)
		}
	}
}

func TestNewProxiesRefusesGarbage(t *testing.T) {
	for _, tt := range []struct {
		cidrs  []string
		header string
	}{
		{[]string{"10.0.0.0/33"}, ""},
		{[]string{"example.org"}, ""},
		{[]string{"10.0.0.1"}, "X-Real-IP"},
	} {
		if _, err := httplayer.NewProxies(tt.cidrs, tt.header); err == nil {
			t.Errorf("NewProxies(%q, %q) = nil error, want a refusal", tt.cidrs, tt.header)
		}
	}
	if got := httplayer.ParseProxyList(" 10.0.0.0/8, ,192.0.2.1 "); len(got) != 2 || got[0] != "10.0.0.0/8" || got[1] != "192.0.2.1" {
		t.Errorf("ParseProxyList = %q, want [10.0.0.0/8 192.0.2.1]", got)
	}
}
