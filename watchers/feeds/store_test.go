package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// TestLastModifiedWithRealStore polls through a real SQLite store: the
// second poll sends If-Modified-Since, gets 304, and a restarted watcher on
// the same store hands over nothing already committed.
func TestLastModifiedWithRealStore(t *testing.T) {
	const lastMod = "Tue, 02 Jan 2024 10:00:00 GMT"
	var conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Modified-Since") == lastMod {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(rss))
	}))
	defer srv.Close()

	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var got []engine.Article
	h := func(ctx context.Context, a engine.Article, keys []string) error {
		got = append(got, a)
		_, err := st.CommitArticle(ctx, store.ArticleRecord{ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Body: a.Body, Published: a.Published, SeenAt: time.Now()}, keys, nil)
		return err
	}
	feeds := []Config{{Name: "lm", URL: srv.URL}}
	w := newWatcher(t, feeds, st, h)
	for range 2 {
		if err := w.Poll(ctx, "lm"); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("handled %d items, want 2", len(got))
	}
	if conditional.Load() != 1 {
		t.Fatalf("conditional requests = %d, want 1", conditional.Load())
	}
	fs, err := st.FeedState(ctx, "lm")
	if err != nil {
		t.Fatal(err)
	}
	if fs.LastModified != lastMod || fs.LastStatus != http.StatusNotModified || fs.Failures != 0 {
		t.Fatalf("feed state = %+v", fs)
	}

	// A lost validator (new server instance) refetches; items stay deduped.
	fs.LastModified = ""
	if err := st.SaveFeedState(ctx, fs); err != nil {
		t.Fatal(err)
	}
	w2 := newWatcher(t, feeds, st, h)
	if err := w2.Poll(ctx, "lm"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("after restart handled %d items, want still 2", len(got))
	}
}

// TestURLChangeResetsBackoff: a feed told by its old URL to come back in
// an hour, with an ETag from it, is polled at once, unconditionally, when
// the config gives it a new URL, across a restart on a real store.
func TestURLChangeResetsBackoff(t *testing.T) {
	var mu sync.Mutex
	var newHits []string // If-None-Match of each request to /new
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/new" {
			newHits = append(newHits, r.Header.Get("If-None-Match"))
			w.Header().Set("ETag", `"new"`)
			_, _ = w.Write([]byte(rss))
			return
		}
		calls++
		if calls == 1 {
			w.Header().Set("ETag", `"old"`)
			_, _ = w.Write([]byte(rss))
			return
		}
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()

	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := func(ctx context.Context, a engine.Article, keys []string) error { return nil }
	opts := Options{MinBackoff: time.Minute, MaxBackoff: 6 * time.Hour}
	w, err := New([]Config{{Name: "n", URL: srv.URL + "/old"}}, st, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Poll(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Poll(ctx, "n"); err == nil {
		t.Fatal("429 not an error")
	}
	fs, err := st.FeedState(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if fs.Failures != 1 || time.Until(fs.NextAttempt) < 50*time.Minute || fs.ETag != `"old"` {
		t.Fatalf("after the 429: %+v", fs)
	}

	// Restarted with the feed's URL changed.
	w2, err := New([]Config{{Name: "n", URL: srv.URL + "/new"}}, st, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Poll(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	hits := append([]string(nil), newHits...)
	mu.Unlock()
	if len(hits) != 1 || hits[0] != "" {
		t.Fatalf("requests to the new URL with If-None-Match %q, want one unconditional request", hits)
	}
	fs, err = st.FeedState(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if fs.Failures != 0 || !fs.NextAttempt.IsZero() || fs.LastError != "" || fs.ETag != `"new"` || fs.LastStatus != http.StatusOK {
		t.Errorf("state after the move: %+v", fs)
	}
}
