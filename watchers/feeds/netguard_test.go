package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	for _, tc := range []struct{ name, ip, want string }{
		{"loopback", "127.0.0.1", "loopback"},
		{"loopback elsewhere in 127/8", "127.10.0.5", "loopback"},
		{"IPv6 loopback", "::1", "loopback"},
		{"RFC 1918", "10.1.2.3", "private"},
		{"RFC 1918 172.16/12", "172.31.255.1", "private"},
		{"RFC 1918 192.168/16", "192.168.1.1", "private"},
		{"ULA", "fd12:3456::1", "private"},
		{"cloud metadata", "169.254.169.254", "link-local"},
		{"IPv6 link-local", "fe80::1", "link-local"},
		{"unspecified", "0.0.0.0", "unspecified"},
		{"IPv6 unspecified", "::", "unspecified"},
		{"this network", "0.1.2.3", "this-network"},
		{"multicast", "224.0.0.1", "multicast"},
		{"IPv6 multicast", "ff02::1", "multicast"},
		{"CGNAT", "100.64.0.1", "shared (CGNAT)"},
		{"broadcast", "255.255.255.255", "reserved"},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", "loopback"},
		{"NAT64 of a private address", "64:ff9b::a00:1", "private"},
		{"6to4 of loopback", "2002:7f00:1::1", "loopback"},
		{"public IPv4", "93.184.216.34", ""},
		{"public IPv6", "2606:4700:4700::1111", ""},
		{"NAT64 of a public address", "64:ff9b::5db8:d822", ""},
		{"just outside CGNAT", "100.128.0.1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := blockedReason(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Errorf("blockedReason(%s) = %q, want %q", tc.ip, got, tc.want)
			}
		})
	}
}

// TestPrivateAddressesRefused runs feeds on httptest servers, all on
// 127.0.0.1: a feed's configured host is allowed, its item links and any
// redirect to another private address are not, unless allow_private
// lists them.
func TestPrivateAddressesRefused(t *testing.T) {
	page := `<html><head><title>Full</title></head><body><article><p>` + strings.Repeat("The full article text from the private page. ", 20) + `</p></article></body></html>`
	// other is a second private host (another port on loopback).
	var other *httptest.Server
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/story":
			fmt.Fprint(w, page)
			return
		case "/r":
			// Reached as localhost, it sends the client to 127.0.0.1.
			http.Redirect(w, r, other.URL+"/story", http.StatusFound)
			return
		}
		fmt.Fprint(w, `<rss version="2.0"><channel><title>T</title><item><title>Other</title><guid>o1</guid><description>Other.</description></item></channel></rss>`)
	}))
	defer other.Close()
	port := other.URL[strings.LastIndex(other.URL, ":")+1:]
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/story":
			fmt.Fprint(w, page)
		case "/moved":
			http.Redirect(w, r, other.URL+"/feed", http.StatusFound)
		default:
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Story</title><guid>%[2]s</guid><link>%[1]s</link><description>Short feed text.</description></item></channel></rss>`,
				r.URL.Query().Get("link"), r.URL.RawQuery)
		}
	}))
	defer srv.Close()
	local := "http://localhost:" + port

	for _, tc := range []struct {
		name      string
		feedPath  string   // on srv
		link      string   // the item's link
		allow     []string // allow_private
		wantFull  bool     // the page's text replaced the feed's
		wantPoll  string   // the poll fails with this
		wantBlock string   // fullText refuses with this in its error
	}{
		{name: "item link to loopback", link: other.URL + "/story", wantBlock: "refused to connect to 127.0.0.1, a loopback address"},
		{name: "item link to the feed's own host", link: srv.URL + "/story", wantBlock: "refused to connect to 127.0.0.1, a loopback address"},
		{name: "allowed by IP", link: other.URL + "/story", allow: []string{"127.0.0.1"}, wantFull: true},
		{name: "allowed by range", link: other.URL + "/story", allow: []string{"127.0.0.0/8"}, wantFull: true},
		{name: "allowed by name", link: local + "/story", allow: []string{"localhost"}, wantFull: true},
		{name: "allowed name redirecting to a private address", link: local + "/r", allow: []string{"localhost"}, wantBlock: "refused to connect to 127.0.0.1"},
		{name: "link that is not http", link: "file:///etc/passwd", wantBlock: "not an absolute http(s) URL"},
		{name: "feed redirecting to a private address", feedPath: "/moved", wantPoll: "refused to connect to 127.0.0.1, a loopback address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := newState()
			s := &sink{st: st}
			path := tc.feedPath
			if path == "" {
				path = "/feed?link=" + tc.link
			}
			w, err := New([]Config{{Name: "f", URL: srv.URL + path, FullText: true}}, st, s.handle,
				Options{AllowPrivate: tc.allow, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			err = w.Poll(ctx, "f")
			if tc.wantPoll != "" {
				var be *BlockedError
				if err == nil || !strings.Contains(err.Error(), tc.wantPoll) || !errors.As(err, &be) {
					t.Fatalf("poll error %v, want %q", err, tc.wantPoll)
				}
				if n := strings.Count(err.Error(), "feeds: "); n != 1 {
					t.Errorf("poll error %q has the package prefix %d times, want once", err, n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.got) != 1 {
				t.Fatalf("%d articles, want 1 scored whatever the page fetch did", len(s.got))
			}
			if got := strings.Contains(s.got[0].Body, "private page"); got != tc.wantFull {
				t.Errorf("page text used = %v, want %v; body %q", got, tc.wantFull, s.got[0].Body)
			}
			if !tc.wantFull && s.got[0].Body != "Short feed text." {
				t.Errorf("body %q, want the feed's text", s.got[0].Body)
			}
			if tc.wantBlock != "" {
				if !strings.Contains(logs.String(), tc.wantBlock) {
					t.Errorf("log does not say %q:\n%s", tc.wantBlock, logs.String())
				}
				_, err := w.fullText(ctx, tc.link)
				var be *BlockedError
				if err == nil || !strings.Contains(err.Error(), tc.wantBlock) || (strings.Contains(tc.wantBlock, "refused") && !errors.As(err, &be)) {
					t.Errorf("fullText error %v, want a refusal %q", err, tc.wantBlock)
				}
				if n := strings.Count(err.Error(), "feeds: "); n != 1 {
					t.Errorf("fullText error %q has the package prefix %d times, want once", err, n)
				}
			}
		})
	}
}

func TestAllowPrivateInvalid(t *testing.T) {
	if _, err := New(nil, newState(), nil, Options{AllowPrivate: []string{"10.0.0.0/33"}}); err == nil {
		t.Error("invalid CIDR accepted")
	}
}
