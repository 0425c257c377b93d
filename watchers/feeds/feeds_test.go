package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// memState is an in-memory State.
type memState struct {
	mu    sync.Mutex
	feeds map[string]store.FeedState
	seen  map[string]bool
}

func newState() *memState {
	return &memState{feeds: map[string]store.FeedState{}, seen: map[string]bool{}}
}

func (m *memState) FeedState(_ context.Context, name string) (store.FeedState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.feeds[name]
	if !ok {
		st.Name = name
	}
	return st, nil
}

func (m *memState) SaveFeedState(_ context.Context, st store.FeedState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.feeds[st.Name] = st
	return nil
}

func (m *memState) Seen(_ context.Context, keys ...string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if m.seen[k] {
			return true, nil
		}
	}
	return false, nil
}

// sink is a Handler that marks items seen, as the daemon's commit does.
type sink struct {
	st   *memState
	mu   sync.Mutex
	got  []engine.Article
	fail error
}

func (s *sink) handle(_ context.Context, a engine.Article, keys []string) error {
	if s.fail != nil {
		return s.fail
	}
	s.mu.Lock()
	s.got = append(s.got, a)
	s.mu.Unlock()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.seen[a.ID] = true
	for _, k := range keys {
		s.st.seen[k] = true
	}
	return nil
}

const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title><language>en</language>
<item><title>Second</title><link>https://example.org/2?utm_source=rss</link><guid>g2</guid>
<pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate><description>&lt;p&gt;ISIS cell &amp;amp; network dismantled.&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description></item>
<item><title>First</title><link>https://example.org/1</link><guid>g1</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><description>Plain text body.</description></item>
</channel></rss>`

func newWatcher(t *testing.T, feeds []Config, st State, h Handler) *Watcher {
	t.Helper()
	w, err := New(feeds, st, h, Options{MinBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRSSWithETag(t *testing.T) {
	var mu sync.Mutex
	var inm []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inm = append(inm, r.Header.Get("If-None-Match"))
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss)
	}))
	defer srv.Close()
	st := newState()
	s := &sink{st: st}
	w := newWatcher(t, []Config{{Name: "news", URL: srv.URL}}, st, s.handle)
	for i := 0; i < 2; i++ {
		if err := w.Poll(context.Background(), "news"); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.got) != 2 || s.got[0].Title != "First" || s.got[1].Title != "Second" {
		t.Fatalf("got %+v", s.got)
	}
	a := s.got[1]
	if a.Source != "feed:news" || a.ID != "https://example.org/2" || a.Body != "ISIS cell & network dismantled." || a.Lang != "en" || a.Published.Day() != 2 {
		t.Errorf("article %+v", a)
	}
	if inm[0] != "" || inm[1] != `"v1"` {
		t.Errorf("If-None-Match sent: %q", inm)
	}
	if fs, _ := st.FeedState(context.Background(), "news"); fs.LastStatus != http.StatusNotModified || fs.ETag != `"v1"` {
		t.Errorf("state %+v", fs)
	}
}

func TestAtomJSONAndDedupAcrossFeeds(t *testing.T) {
	atomFeed := `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Shared</title><id>shared-guid</id><link href="https://example.org/s"/><updated>2024-01-01T00:00:00Z</updated><content type="html">&lt;b&gt;Bold&lt;/b&gt; text</content></entry></feed>`
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
{"id":"shared-guid","url":"https://example.org/s?utm_campaign=x","title":"Shared again","content_text":"Same story"},
{"id":"j2","url":"https://example.org/j2","title":"Only here","content_text":"Text"}]}`
	mux := http.NewServeMux()
	mux.HandleFunc("/atom", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, atomFeed) })
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/feed+json")
		fmt.Fprint(w, jsonFeed)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	st := newState()
	s := &sink{st: st}
	w := newWatcher(t, []Config{{Name: "a", URL: srv.URL + "/atom"}, {Name: "j", URL: srv.URL + "/json"}}, st, s.handle)
	_ = w.Poll(context.Background(), "a")
	_ = w.Poll(context.Background(), "j")
	if len(s.got) != 2 || s.got[0].Body != "Bold text" || s.got[1].Title != "Only here" {
		t.Errorf("got %+v", s.got)
	}
}

func TestHandlerErrorKeepsItems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, rss)
	}))
	defer srv.Close()
	st := newState()
	s := &sink{st: st, fail: errors.New("store: disk full")}
	w := newWatcher(t, []Config{{Name: "news", URL: srv.URL}}, st, s.handle)
	if err := w.Poll(context.Background(), "news"); err == nil {
		t.Fatal("handler error not reported")
	}
	if fs, _ := st.FeedState(context.Background(), "news"); fs.ETag != "" {
		t.Errorf("ETag saved although items failed: %+v", fs)
	}
	s.fail = nil
	if err := w.Poll(context.Background(), "news"); err != nil {
		t.Fatal(err)
	}
	if len(s.got) != 2 {
		t.Errorf("items not offered again: %d", len(s.got))
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch calls {
		case 2:
			w.Header().Set("Retry-After", "1800")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case 3:
			w.Header().Set("Retry-After", "31536000") // a year
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case 4:
			w.Header().Set("Retry-After", "99999999999999999999")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	st := newState()
	now := time.Now()
	w, _ := New([]Config{{Name: "n", URL: srv.URL}}, st, (&sink{st: st}).handle, Options{MinBackoff: time.Minute, MaxBackoff: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	if err := w.Poll(ctx, "n"); err == nil {
		t.Fatal("500 not an error")
	}
	fs, _ := st.FeedState(ctx, "n")
	if fs.Failures != 1 || fs.NextAttempt.Sub(now) < 30*time.Second || fs.NextAttempt.Sub(now) > time.Minute {
		t.Errorf("after 1 failure: %+v", fs)
	}
	_ = w.Poll(ctx, "n") // backing off: no request
	if calls != 1 {
		t.Errorf("polled during backoff: %d calls", calls)
	}
	now = fs.NextAttempt
	_ = w.Poll(ctx, "n")
	fs, _ = st.FeedState(ctx, "n")
	if fs.Failures != 2 || fs.NextAttempt.Sub(now) < 30*time.Minute {
		t.Errorf("Retry-After not honoured: %+v", fs)
	}
	// A server-given delay longer than the policy's max_backoff is capped,
	// and one too large for a time.Duration neither wraps nor goes negative.
	for _, want := range []int{3, 4} {
		now = fs.NextAttempt
		_ = w.Poll(ctx, "n")
		fs, _ = st.FeedState(ctx, "n")
		if calls != want || fs.NextAttempt.Sub(now) > time.Hour || fs.NextAttempt.Sub(now) < 30*time.Minute {
			t.Errorf("call %d: next attempt in %v, want within the 1h max_backoff: %+v", calls, fs.NextAttempt.Sub(now), fs)
		}
	}
}

func TestCapGzipCharsetAge(t *testing.T) {
	latin := `<?xml version="1.0"?><rss version="2.0"><channel><title>L</title><item><title>Caf` + "\xe9" + `</title><guid>l1</guid><description>R` + "\xe9" + `sum` + "\xe9" + `</description></item></channel></rss>`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(rss))
	zw.Close()
	old := strings.ReplaceAll(rss, "2024", "2001")
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 2048)) })
	mux.HandleFunc("/gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})
	mux.HandleFunc("/latin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=iso-8859-1")
		w.Write([]byte(latin))
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, old) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	st := newState()
	s := &sink{st: st}
	w, err := New([]Config{{Name: "big", URL: srv.URL + "/big"}, {Name: "gz", URL: srv.URL + "/gz"}, {Name: "latin", URL: srv.URL + "/latin"},
		{Name: "old", URL: srv.URL + "/old", MaxItemAge: 24 * time.Hour}}, st, s.handle, Options{MaxBodyBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.Poll(ctx, "big"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("over the cap: %v", err)
	}
	if err := w.Poll(ctx, "gz"); err != nil || len(s.got) != 2 {
		t.Errorf("gzip: %v, %d items", err, len(s.got))
	}
	if err := w.Poll(ctx, "latin"); err != nil || s.got[len(s.got)-1].Title != "Café" || s.got[len(s.got)-1].Body != "Résumé" {
		t.Errorf("latin-1: %v %+v", err, s.got[len(s.got)-1])
	}
	n := len(s.got)
	if err := w.Poll(ctx, "old"); err != nil || len(s.got) != n {
		t.Errorf("old items not skipped: %v, %d new", err, len(s.got)-n)
	}
}

func TestFullText(t *testing.T) {
	page := `<html><head><title>Full</title></head><body><article><p>` + strings.Repeat("The full article text is much longer than the summary in the feed. ", 20) + `</p></article></body></html>`
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/story" {
			fmt.Fprint(w, page)
			return
		}
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Story</title><link>%s/story</link><description>Short.</description></item></channel></rss>`, srv.URL)
	}))
	defer srv.Close()
	st := newState()
	s := &sink{st: st}
	// The story is on loopback, like the feed: only allow_private lets
	// an item link reach it (TestPrivateAddressesRefused).
	w, err := New([]Config{{Name: "f", URL: srv.URL + "/feed", FullText: true}}, st, s.handle, Options{AllowPrivate: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Poll(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	if len(s.got) != 1 || !strings.Contains(s.got[0].Body, "The full article text") {
		t.Errorf("full text not used: %+v", s.got)
	}
}

func TestRunPollsAtStartAndStops(t *testing.T) {
	hits := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- struct{}{}
		fmt.Fprint(w, rss)
	}))
	defer srv.Close()
	st := newState()
	w := newWatcher(t, []Config{{Name: "n", URL: srv.URL, Schedule: "@every 1h"}}, st, (&sink{st: st}).handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-hits:
	case <-time.After(5 * time.Second):
		t.Fatal("no poll at start")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if _, err := New([]Config{{Name: "x", URL: "http://h/", Schedule: "TZ="}}, st, nil, Options{}); err == nil {
		t.Error("bad schedule accepted")
	}
}
