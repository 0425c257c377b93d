// Package httpx holds the HTTP helpers shared by the feed watcher, the
// notifiers and the config: one Retry-After parser, one backoff policy and
// one URL redaction, so every part of the daemon waits, retries and hides
// secrets the same way.
package httpx

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxDelay bounds any delay computed here before a caller's own limit is
// applied, so that no arithmetic on it can overflow time.Duration.
const maxDelay = 100 * 365 * 24 * time.Hour

// RetryAfter reads a Retry-After header value (delay-seconds or an
// HTTP-date) as a delay from now, capped at limit when limit > 0. A value
// too large for a time.Duration is read as the cap, never as a negative or
// wrapped delay. ok is false when the value is absent or unreadable.
func RetryAfter(v string, now time.Time, limit time.Duration) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	switch {
	case isDigits(v):
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil || s > uint64(maxDelay/time.Second) {
			d = maxDelay // out of range: as long as anyone may ask
		} else {
			d = time.Duration(s) * time.Second
		}
	default:
		t, err := http.ParseTime(v)
		if err != nil {
			return 0, false
		}
		d = min(max(t.Sub(now), 0), maxDelay)
	}
	if limit > 0 {
		d = min(d, limit)
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Backoff is the delay before retry number attempt+1 after attempt
// failures (attempt 0 is the first retry): lo·2^attempt capped at hi, with
// "equal jitter" (half fixed, half random) so retries spread out but never
// come sooner than half the nominal delay.
func Backoff(lo, hi time.Duration, attempt int) time.Duration {
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = lo
	}
	b := lo
	for i := 0; i < attempt && b < hi; i++ {
		b *= 2
	}
	b = min(b, hi)
	half := b / 2
	return half + rand.N(half+1)
}

// RedactURL hides what may be secret in a URL: user info, path, query and
// fragment. What stays is the scheme and host, which name the destination
// without giving access to it: "https://hooks.example.org/…". An empty
// string stays empty; an unparsable URL is "<redacted url>".
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "<redacted url>"
	}
	host := u.Host
	if u.User != nil {
		host = "…@" + host
	}
	if (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.Opaque == "" {
		return u.Scheme + "://" + host
	}
	return u.Scheme + "://" + host + "/…"
}

// RedactError returns err with the URL of every *url.Error in its chain
// redacted, so an error from an http.Client never carries the request's
// secrets whatever the transport put in it. The URL is replaced where it is
// stored, not searched for in the text; the error's text is rebuilt from
// the redacted parts. Other errors are returned as they are.
func RedactError(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	return &redacted{op: ue.Op, url: RedactURL(ue.URL), err: RedactError(ue.Err), orig: err}
}

// redacted is a *url.Error with its URL redacted; it unwraps to the
// transport's error (so timeouts and cancellation are still recognised),
// never to the original *url.Error.
type redacted struct {
	op, url string
	err     error
	orig    error
}

func (e *redacted) Error() string {
	if e.err == nil {
		return e.op + " " + strconv.Quote(e.url)
	}
	return e.op + " " + strconv.Quote(e.url) + ": " + e.err.Error()
}

func (e *redacted) Unwrap() error { return e.err }

// Timeout reports whether the request timed out, as *url.Error does.
func (e *redacted) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.orig, &t) && t.Timeout()
}
