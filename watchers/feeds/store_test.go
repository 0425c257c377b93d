package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
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
