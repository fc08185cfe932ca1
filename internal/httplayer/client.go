package httplayer

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Forwarded-address headers a trusted proxy may write.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded" // RFC 7239
)

// Proxies are the reverse proxies (load balancer, TLS terminator) whose
// forwarded-address header is believed. A request from any other peer is
// judged by its connection address alone, whatever headers it sends: a
// client cannot pick its own rate-limit bucket.
type Proxies struct {
	nets   []netip.Prefix
	header string
}

// NewProxies parses trusted proxy addresses or CIDR prefixes ("10.0.0.0/8",
// "192.0.2.7", "2001:db8::/32") and the header those proxies write:
// HeaderXForwardedFor (the default for "") or HeaderForwarded. Only the
// header the proxies write is read; the other is ignored, since a proxy
// passes on whatever the client put there.
func NewProxies(cidrs []string, header string) (*Proxies, error) {
	p := &Proxies{header: HeaderXForwardedFor}
	switch {
	case header == "" || strings.EqualFold(header, HeaderXForwardedFor):
	case strings.EqualFold(header, HeaderForwarded):
		p.header = HeaderForwarded
	default:
		return nil, fmt.Errorf("proxy header %q: want %s or %s", header, HeaderXForwardedFor, HeaderForwarded)
	}
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		pfx, err := parsePrefix(c)
		if err != nil {
			return nil, err
		}
		p.nets = append(p.nets, pfx)
	}
	return p, nil
}

// ParseProxyList splits a comma-separated list (the --trusted-proxy flag).
func ParseProxyList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: want an address or CIDR prefix such as 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: want an address or CIDR prefix such as 10.0.0.0/8", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (p *Proxies) trusted(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client behind r: the connection's
// peer, unless that peer is a trusted proxy; then the right-most address
// in the proxy's header that is not itself a trusted proxy (each proxy
// appends the peer it saw, so everything left of that is what the client
// claimed). An entry that does not parse stops the walk at the last
// trusted hop, so garbage never becomes a bucket of its own.
func (p *Proxies) Client(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !p.trusted(peer) {
		return peer
	}
	var hops []string
	if p.header == HeaderForwarded {
		hops = forwardedFor(r.Header.Values(HeaderForwarded))
	} else {
		for _, v := range r.Header.Values(HeaderXForwardedFor) {
			hops = append(hops, strings.Split(v, ",")...)
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trusted(a) {
			break
		}
	}
	return client
}

func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// parseHop reads one forwarded address: "192.0.2.1", "192.0.2.1:4711",
// "2001:db8::1", "[2001:db8::1]:4711", quoted or not.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// forwardedFor lists the for= values of Forwarded headers (RFC 7239), in
// order; an element without for= yields "" (which stops the walk).
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			val := ""
			for pair := range strings.SplitSeq(elem, ";") {
				k, x, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					val = x
				}
			}
			out = append(out, val)
		}
	}
	return out
}

type clientCtxKey struct{}

// Handler records each request's client address (see Client) for
// ClientAddr and ClientKey; mount it outermost.
func (p *Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := p.Client(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientCtxKey{}, a)))
	})
}

// ClientAddr is the request's client address as Proxies.Handler recorded
// it; without that middleware, the connection's peer.
func ClientAddr(r *http.Request) netip.Addr {
	if a, ok := r.Context().Value(clientCtxKey{}).(netip.Addr); ok {
		return a
	}
	return peerAddr(r.RemoteAddr)
}

// ClientKey is the rate-limit key of the request's client: the IPv4
// address, or the IPv6 /64 (one household or phone holds a whole /64, so
// per-address limits would be no limit at all). Every limiter of every
// surface keys on it.
func ClientKey(r *http.Request) string {
	return AddrKey(ClientAddr(r))
}

// AddrKey is ClientKey for an address.
func AddrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
