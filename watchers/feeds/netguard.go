package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Which addresses the watcher may connect to.
//
// A feed is hostile input: its item links (fetched with full_text) and the
// redirects of any response may point at the daemon's own machine or
// network (http://127.0.0.1:9464/-/reload, the cloud metadata service at
// 169.254.169.254, a router's admin page). So every connection is checked
// when it is made, on the IP address actually dialled, after DNS
// resolution: a name that resolves (or rebinds) to a private address is
// refused like the address itself, and so is every redirect hop.
//
// Refused by default: loopback, private (RFC 1918, ULA fc00::/7),
// link-local (169.254/16 with the metadata services, fe80::/10),
// unspecified, multicast, shared CGNAT space (100.64/10), and the reserved
// IPv4 blocks; an IPv4 address embedded in an IPv6 one (mapped, NAT64,
// 6to4) is judged as that IPv4 address.
//
// Allowed anyway:
//   - what feed_fetch.allow_private lists: an IP address or CIDR range
//     matches the dialled address, a host name matches the name in the URL
//     (whatever it resolves to);
//   - for the feed's own request only, the host and port of every
//     configured feed URL: the operator chose them. A redirect away from
//     them is checked like an item link, and item links never get this
//     exemption, even to a feed's host.
//
// Feed requests and item-page requests use separate connection pools, so
// an item link never reuses a connection opened for a feed.

// BlockedError is the error of a connection refused because its address
// is on a network the watcher does not fetch from. It comes wrapped in the
// fetch's error, which carries the package prefix, so it has none itself.
type BlockedError struct {
	Addr   netip.Addr
	Reason string // "loopback", "private", "link-local", …
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("refused to connect to %s, a %s address (feed_fetch.allow_private may allow it)", e.Addr, e.Reason)
}

// special are the IPv4 blocks refused besides those netip classifies.
var special = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// blockedReason says why ip is not fetched from by default, or "" when it
// is a public address.
func blockedReason(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return blockedReason(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return blockedReason(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	}
	for _, s := range special {
		if s.p.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

// guard decides which connections a client may make.
type guard struct {
	nets    []netip.Prefix  // allow_private addresses and ranges
	names   map[string]bool // allow_private host names
	trusted map[string]bool // host:port of the configured feed URLs (feed client only)
	proxies sync.Map        // host:port of proxies from the environment
}

// newGuard reads allow_private: IP addresses, CIDR ranges and host names.
func newGuard(allow []string) (*guard, error) {
	g := &guard{names: map[string]bool{}, trusted: map[string]bool{}}
	var errs []error
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if p, err := netip.ParsePrefix(a); err == nil {
			g.nets = append(g.nets, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			g.nets = append(g.nets, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		} else if a != "" && !strings.ContainsAny(a, "/: ") {
			g.names[hostKey(a)] = true
		} else {
			errs = append(errs, fmt.Errorf("feeds: allow_private: %q is not a host name, IP address or CIDR range", a))
		}
	}
	return g, errors.Join(errs...)
}

// withTrusted returns a copy of g that also trusts the host and port of
// each URL (the configured feeds).
func (g *guard) withTrusted(urls []string) *guard {
	c := &guard{nets: g.nets, names: g.names, trusted: map[string]bool{}}
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			c.trusted[canonicalAddr(u)] = true
		}
	}
	return c
}

// hostKey normalises a host name for comparison.
func hostKey(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// canonicalAddr is the host:port an http.Transport dials for u.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(hostKey(u.Hostname()), port)
}

// exempt reports whether a connection to addr (host:port as in the URL) is
// allowed whatever the host resolves to.
func (g *guard) exempt(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	key := net.JoinHostPort(hostKey(host), port)
	if g.names[hostKey(host)] || g.trusted[key] {
		return true
	}
	_, ok := g.proxies.Load(key)
	return ok
}

// check refuses ip unless allow_private allows it.
func (g *guard) check(ip netip.Addr) error {
	ip = ip.Unmap()
	reason := blockedReason(ip)
	if reason == "" {
		return nil
	}
	for _, p := range g.nets {
		if p.Contains(ip) {
			return nil
		}
	}
	return &BlockedError{Addr: ip, Reason: reason}
}

type exemptKey struct{}

// control runs on every connection after the address is resolved and
// before it is connected.
func (g *guard) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	if ctx.Value(exemptKey{}) != nil {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused to connect to %q: not an IP address", address) // wrapped by fetch
	}
	return g.check(ap.Addr())
}

// dialContext is the transport's dialler: every connection goes through
// control, exempt ones marked in their context.
func (g *guard) dialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if g.exempt(addr) {
			ctx = context.WithValue(ctx, exemptKey{}, true)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// proxy is http.ProxyFromEnvironment for a guarded client. Through a
// proxy the transport dials the proxy (configured by the operator, so
// allowed), and the proxy resolves the target: the target is checked
// here, on the addresses its name resolves to now.
func (g *guard) proxy(req *http.Request) (*url.URL, error) {
	p, err := http.ProxyFromEnvironment(req)
	if p == nil || err != nil {
		return p, err
	}
	if addr := canonicalAddr(req.URL); !g.exempt(addr) {
		ips, err := net.DefaultResolver.LookupNetIP(req.Context(), "ip", req.URL.Hostname())
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", req.URL.Hostname(), err) // wrapped by fetch
		}
		for _, ip := range ips {
			if err := g.check(ip); err != nil {
				return nil, err
			}
		}
	}
	g.proxies.Store(canonicalAddr(p), true)
	return p, nil
}

// client is an HTTP client whose every connection g checks. Timeouts are
// per fetch, through the request's context.
func (g *guard) client() *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = g.proxy
	tr.DialContext = g.dialContext(d)
	tr.DialTLSContext = nil
	return &http.Client{Transport: tr}
}
