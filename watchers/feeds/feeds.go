// Package feeds polls RSS, Atom and JSON feeds on cron schedules and hands
// every item not seen before to a Handler as an engine.Article.
//
// Each poll is a conditional GET (If-None-Match, If-Modified-Since) with a
// timeout, a body size cap and gzip; the feed is parsed by gofeed in the
// charset it declares (XML prolog, else the HTTP Content-Type). Items are
// deduplicated by GUID and by canonical link (tracking parameters removed)
// across feeds and restarts, through the State. The validators (ETag,
// Last-Modified) are saved only once every item of a response was handled,
// so a failing handler never hides items behind a 304. A failing feed
// backs off exponentially (honouring Retry-After on 429 and 503) and never
// affects the others; its health shows in logs and metrics; a change of
// its URL starts it afresh.
//
// At most Options.Concurrency polls run at once, and first polls are
// spread over Options.StartJitter. Item links and redirects never reach
// private addresses unless Options.AllowPrivate allows them (see
// BlockedError). No error, log line or stored state carries a feed URL's
// secrets (user info, path, query): they are redacted where they are made.
package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
	"golang.org/x/net/html/charset"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/store"
	"github.com/watchfloor/watchfloor/watchers/feeds/schedule"
)

// Config is one feed.
type Config struct {
	Name, URL, Schedule string
	FullText            bool
	MaxItemAge          time.Duration
}

// State is the durable state the watcher needs; *store.Store implements it.
type State interface {
	FeedState(ctx context.Context, name string) (store.FeedState, error)
	SaveFeedState(ctx context.Context, st store.FeedState) error
	Seen(ctx context.Context, keys ...string) (bool, error)
}

// Handler scores and commits one new item; keys are dedupe keys to record
// with it. An error stops the poll, and the item is offered again next
// time.
type Handler func(ctx context.Context, a engine.Article, keys []string) error

// Options configure a Watcher.
type Options struct {
	UserAgent    string
	Timeout      time.Duration // per fetch (feed or item page), default 30s
	MaxBodyBytes int64         // default 10 MiB
	MinBackoff   time.Duration // default 1m
	MaxBackoff   time.Duration // default 6h
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
	Now          func() time.Time
	// Concurrency bounds the polls in flight across all feeds (default
	// 8): each holds a slot from its request to its last item, full-text
	// fetches included, so at most Concurrency bodies are in memory.
	Concurrency int
	// StartJitter delays each feed's first poll by a random time up to
	// this (default 0: at once); "@every" schedules count from that first
	// poll, so feeds that share a schedule stay spread.
	StartJitter time.Duration
	// AllowPrivate lists the host names, IP addresses and CIDR ranges on
	// loopback, private, link-local and other special networks that may be
	// fetched (feed_fetch.allow_private); see BlockedError.
	AllowPrivate []string
}

// Watcher polls a set of feeds.
type Watcher struct {
	feeds   []Config
	slots   chan struct{} // one per poll in flight, Options.Concurrency
	feedC   *http.Client  // for the feeds: their configured hosts are trusted
	itemC   *http.Client  // for item pages (full_text): nothing but allow_private is
	sched   map[string]cron.Schedule
	st      State
	h       Handler
	o       Options
	m       *metrics
	running sync.Map // feed name → *sync.Mutex, one poll per feed at a time
}

// New validates every feed (unique name, absolute http(s) URL, a schedule
// that parses) and builds the watcher's HTTP clients, which refuse
// connections to private networks except those o.AllowPrivate lists and
// the configured feeds' own hosts.
func New(feeds []Config, st State, h Handler, o Options) (*Watcher, error) {
	if o.UserAgent == "" {
		o.UserAgent = "watchfloor/dev (+feed reader)"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 10 << 20
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Minute
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 6 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	g, err := newGuard(o.AllowPrivate)
	if err != nil {
		return nil, err
	}
	urls := make([]string, 0, len(feeds))
	for _, f := range feeds {
		urls = append(urls, f.URL)
	}
	w := &Watcher{feeds: feeds, slots: make(chan struct{}, o.Concurrency), feedC: g.withTrusted(urls).client(), itemC: g.client(),
		sched: map[string]cron.Schedule{}, st: st, h: h, o: o, m: newMetrics(o.Registerer)}
	var errs []error
	for _, f := range feeds {
		if f.Name == "" || w.sched[f.Name] != nil {
			errs = append(errs, fmt.Errorf("feeds: feed name %q empty or used twice", f.Name))
			continue
		}
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("feeds: %s: url must be an absolute http(s) URL", f.Name))
		}
		spec := f.Schedule
		if spec == "" {
			spec = schedule.Default
		}
		s, err := schedule.Parse(spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("feeds: %s: invalid schedule %q: %w", f.Name, spec, err))
			continue
		}
		w.sched[f.Name] = s
	}
	return w, errors.Join(errs...)
}

// Run polls every feed once at start, after a random delay up to
// Options.StartJitter, and then on its schedule, until ctx is done; it
// returns after the polls in flight end. At most Options.Concurrency polls
// run at once; the others wait for a slot.
func (w *Watcher) Run(ctx context.Context) error {
	if len(w.feeds) == 0 {
		<-ctx.Done()
		return nil
	}
	c := cron.New(cron.WithChain(cron.Recover(cronLogger{w.o.Logger}), cron.SkipIfStillRunning(cronLogger{w.o.Logger})))
	start := time.Now()
	for _, f := range w.feeds {
		name := f.Name
		first := start
		if w.o.StartJitter > 0 {
			first = start.Add(rand.N(w.o.StartJitter))
		}
		c.Schedule(&firstAt{first: first, then: w.sched[name]}, cron.FuncJob(func() { w.poll(ctx, name) }))
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// firstAt is a schedule that fires once at first, then as then says: the
// first poll of a feed, and the phase of an "@every" schedule (which
// counts from the previous run, to the second), follow the start jitter.
// Cron calls Next from its one goroutine.
type firstAt struct {
	first time.Time
	fired bool
	then  cron.Schedule
}

// Next returns first the first time it is called, then then's next time.
func (s *firstAt) Next(t time.Time) time.Time {
	if !s.fired {
		s.fired = true
		return s.first
	}
	return s.then.Next(t)
}

// Poll polls one feed now and returns what went wrong, without logging
// it: the caller does, once. A failed fetch is a *PollError.
func (w *Watcher) Poll(ctx context.Context, name string) error {
	for _, f := range w.feeds {
		if f.Name == name {
			return w.pollFeed(ctx, f)
		}
	}
	return fmt.Errorf("feeds: no feed named %q", name)
}

func (w *Watcher) poll(ctx context.Context, name string) {
	if ctx.Err() != nil {
		return
	}
	err := w.Poll(ctx, name)
	if err == nil || ctx.Err() != nil {
		return
	}
	if pe := (*PollError)(nil); errors.As(err, &pe) {
		w.o.Logger.Warn("poll failed", "feed", name, "failures", pe.Failures, "retry_in", pe.RetryIn.Round(time.Second), "err", pe.Err)
		return
	}
	w.o.Logger.Warn("poll failed", "feed", name, "err", err)
}

// PollError is a failed fetch of a feed and the backoff it started.
type PollError struct {
	Err      error
	Failures int           // failed polls in a row, this one included
	RetryIn  time.Duration // until the next attempt
}

func (e *PollError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PollError) Unwrap() error { return e.Err }

func (w *Watcher) pollFeed(ctx context.Context, f Config) error {
	mu, _ := w.running.LoadOrStore(f.Name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	st, err := w.st.FeedState(ctx, f.Name)
	if err != nil {
		return err
	}
	if key := urlKey(f.URL); st.URL != key {
		// The feed moved (or is new): the validators and the backoff
		// (failures, a server's Retry-After) belonged to the old URL.
		st.URL, st.ETag, st.LastModified = key, "", ""
		st.Failures, st.NextAttempt, st.LastStatus, st.LastError = 0, time.Time{}, 0, ""
		w.m.failures.WithLabelValues(f.Name).Set(0)
	}
	now := w.o.Now()
	if now.Before(st.NextAttempt) {
		w.m.fetch.WithLabelValues(f.Name, "skipped_backoff").Inc()
		return nil
	}
	select {
	case w.slots <- struct{}{}:
		defer func() { <-w.slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	st.LastChecked = w.o.Now() // after waiting for a slot
	status, hdr, body, err := w.fetch(ctx, w.feedC, f.URL, st.ETag, st.LastModified)
	st.LastStatus = status
	if err != nil {
		return w.failed(ctx, f, st, hdr, err)
	}
	if status == http.StatusNotModified {
		w.m.fetch.WithLabelValues(f.Name, "not_modified").Inc()
		return w.succeeded(ctx, f, st)
	}
	feed, err := parse(body, hdr.Get("Content-Type"))
	if err != nil {
		return w.failed(ctx, f, st, hdr, fmt.Errorf("feeds: parse: %w", err))
	}
	if err := w.handleItems(ctx, f, feed); err != nil {
		// Validators stay as they were: the next poll sees these items again.
		w.m.fetch.WithLabelValues(f.Name, "error").Inc()
		st.LastError = errorText(err)
		if serr := w.st.SaveFeedState(ctx, st); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	st.ETag, st.LastModified = hdr.Get("ETag"), hdr.Get("Last-Modified")
	w.m.fetch.WithLabelValues(f.Name, "ok").Inc()
	return w.succeeded(ctx, f, st)
}

func (w *Watcher) succeeded(ctx context.Context, f Config, st store.FeedState) error {
	if st.Failures > 0 {
		w.o.Logger.Info("recovered", "feed", f.Name, "after_failures", st.Failures)
	}
	st.Failures, st.LastError, st.LastSuccess, st.NextAttempt = 0, "", w.o.Now(), time.Time{}
	w.m.failures.WithLabelValues(f.Name).Set(0)
	w.m.lastSuccess.WithLabelValues(f.Name).Set(float64(st.LastSuccess.Unix()))
	return w.st.SaveFeedState(ctx, st)
}

func (w *Watcher) failed(ctx context.Context, f Config, st store.FeedState, hdr http.Header, err error) error {
	st.Failures++
	st.LastError = errorText(err)
	d := httpx.Backoff(w.o.MinBackoff, w.o.MaxBackoff, st.Failures-1)
	if (st.LastStatus == http.StatusTooManyRequests || st.LastStatus == http.StatusServiceUnavailable) && hdr != nil {
		// The server's wish is honoured up to the policy's longest delay.
		if ra, ok := httpx.RetryAfter(hdr.Get("Retry-After"), w.o.Now(), w.o.MaxBackoff); ok && ra > d {
			d = ra
		}
	}
	st.NextAttempt = w.o.Now().Add(d)
	w.m.fetch.WithLabelValues(f.Name, "error").Inc()
	w.m.failures.WithLabelValues(f.Name).Set(float64(st.Failures))
	if serr := w.st.SaveFeedState(ctx, st); serr != nil {
		err = errors.Join(err, serr)
	}
	return &PollError{Err: err, Failures: st.Failures, RetryIn: d}
}

// urlKey is what the state keeps of a feed's URL, to notice that it
// changed: the redacted URL and a digest of the whole, never the URL
// itself, which may carry a key.
func urlKey(u string) string {
	sum := sha256.Sum256([]byte(u))
	return httpx.RedactURL(u) + " sha256:" + hex.EncodeToString(sum[:8])
}

// errorText is an error as stored in the state: its *url.Error URLs
// redacted once more, whatever produced it.
func errorText(err error) string { return httpx.RedactError(err).Error() }

// fetch makes one conditional GET; the body is nil on 304. A configured
// feed URL may carry a secret (user info, an API key in the query), so no
// error of fetch holds a URL unredacted: the client's errors go through
// httpx.RedactError, and the others name the URL by httpx.RedactURL.
func (w *Watcher) fetch(ctx context.Context, c *http.Client, u, etag, lastMod string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("feeds: %w", httpx.RedactError(err))
	}
	req.Header.Set("User-Agent", w.o.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("feeds: %w", httpx.RedactError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return resp.StatusCode, resp.Header, nil, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("feeds: GET %s: %s", httpx.RedactURL(u), resp.Status)
	}
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			return resp.StatusCode, resp.Header, nil, fmt.Errorf("feeds: GET %s: gzip: %w", httpx.RedactURL(u), httpx.RedactError(err))
		}
		defer gz.Close()
		r = gz
	}
	body, err := io.ReadAll(io.LimitReader(r, w.o.MaxBodyBytes+1))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("feeds: GET %s: read body: %w", httpx.RedactURL(u), httpx.RedactError(err))
	}
	if int64(len(body)) > w.o.MaxBodyBytes {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("feeds: GET %s: body over the %d byte limit", httpx.RedactURL(u), w.o.MaxBodyBytes)
	}
	return resp.StatusCode, resp.Header, body, nil
}

var xmlEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding=`)

// parse reads a feed, converting to UTF-8 first when only the HTTP
// Content-Type names the charset (gofeed honours the XML prolog itself).
func parse(body []byte, contentType string) (*gofeed.Feed, error) {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !xmlEncoding.Match(body[:min(len(body), 200)]) {
			if r, err := charset.NewReaderLabel(cs, bytes.NewReader(body)); err == nil {
				if b, err := io.ReadAll(r); err == nil {
					body = b
				}
			}
		}
	}
	return gofeed.NewParser().Parse(bytes.NewReader(body))
}

// handleItems offers the new items of a feed, oldest first.
func (w *Watcher) handleItems(ctx context.Context, f Config, feed *gofeed.Feed) error {
	items := append([]*gofeed.Item(nil), feed.Items...)
	sort.SliceStable(items, func(i, j int) bool {
		ti, tj := itemTime(items[i]), itemTime(items[j])
		return !ti.IsZero() && !tj.IsZero() && ti.Before(tj)
	})
	now := w.o.Now()
	for _, it := range items {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pub := itemTime(it)
		if f.MaxItemAge > 0 && !pub.IsZero() && now.Sub(pub) > f.MaxItemAge {
			continue
		}
		var keys []string
		if it.GUID != "" {
			keys = append(keys, "guid:"+it.GUID)
		}
		link := strings.TrimSpace(it.Link)
		if c := engine.CanonicalURL(link); c != "" {
			keys = append(keys, c)
		}
		if len(keys) > 0 {
			seen, err := w.st.Seen(ctx, keys...)
			if err != nil {
				return err
			}
			if seen {
				continue
			}
		}
		a := engine.Article{Title: ItemTitle(it.Title), URL: link, Published: pub, Lang: feed.Language, Source: "feed:" + f.Name}
		a.Body = ingest.HTMLText(it.Content)
		if desc := ingest.HTMLText(it.Description); len(desc) > len(a.Body) {
			a.Body = desc
		}
		if f.FullText && link != "" {
			if full, err := w.fullText(ctx, link); err != nil {
				w.o.Logger.Warn("full text fetch failed; using the feed's text", "feed", f.Name, "url", link, "err", err)
			} else if len(full) > len(a.Body) {
				a.Body = full
			}
		}
		a.EnsureID()
		if err := w.h(ctx, a, keys); err != nil {
			return err
		}
		w.m.items.WithLabelValues(f.Name).Inc()
	}
	return nil
}

func itemTime(it *gofeed.Item) time.Time {
	if it.PublishedParsed != nil {
		return *it.PublishedParsed
	}
	if it.UpdatedParsed != nil {
		return *it.UpdatedParsed
	}
	return time.Time{}
}

// fullText fetches an item's page and extracts its main text. The link
// comes from the feed, so only http and https are followed, and the item
// client refuses private addresses (see BlockedError).
func (w *Watcher) fullText(ctx context.Context, link string) (string, error) {
	if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("feeds: item link is not an absolute http(s) URL")
	}
	status, hdr, body, err := w.fetch(ctx, w.itemC, link, "", "")
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("feeds: item page: status %d", status)
	}
	a, err := ingest.ParseHTML(link, body, hdr.Get("Content-Type"), link)
	if err != nil {
		return "", err
	}
	return a.Body, nil
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

type metrics struct {
	fetch       *prometheus.CounterVec
	items       *prometheus.CounterVec
	failures    *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		fetch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_feed_fetch_total", Help: "Feed polls by result: ok, not_modified, error, skipped_backoff.",
		}, []string{"feed", "result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_feed_items_total", Help: "New feed items handed to scoring.",
		}, []string{"feed"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "watchfloor_feed_consecutive_failures", Help: "Failed polls in a row.",
		}, []string{"feed"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "watchfloor_feed_last_success_timestamp_seconds", Help: "Time of the last successful poll.",
		}, []string{"feed"}),
	}
	if reg != nil {
		reg.MustRegister(m.fetch, m.items, m.failures, m.lastSuccess)
	}
	return m
}
