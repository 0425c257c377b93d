package daemon

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/registry"
)

// TestComponentFailureStopsRun removes the inbox directory under a
// running daemon: the inbox watcher fails, and Run must stop every other
// component and return that error promptly instead of hanging.
func TestComponentFailureStopsRun(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Inbox.Rescan = config.Duration(200 * time.Millisecond) // the rescan sees the directory gone even without an event
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, Version: "test", ShutdownGrace: time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	time.Sleep(300 * time.Millisecond) // let the watchers start
	if err := os.RemoveAll(cfg.Inbox.Dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "inbox") {
			t.Errorf("Run returned %v, want the inbox's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the inbox directory was removed")
	}
	// The store is closed: a second daemon can open the data dir.
	if err := os.MkdirAll(cfg.Inbox.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d2, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, Version: "test"})
	if err != nil {
		t.Fatalf("data dir not released: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d2.Run(ctx); err != nil {
		t.Errorf("second daemon: %v", err)
	}
}

// TestDuplicateAndNoMatchLogDistinctly: at debug level an article that
// matched nothing and one already seen leave different log lines.
func TestDuplicateAndNoMatchLogDistinctly(t *testing.T) {
	cfg := baseConfig(t)
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	article := []byte("Sunny weekend ahead\nForecasters expect sunshine across the country this weekend.\n")
	dropFile(t, cfg.Inbox.Dir, "a.txt", article)
	count := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		return strings.Count(logs.String(), s)
	}
	eventually(t, "the no-match line", 10*time.Second, func() bool { return count(`msg="no match"`) == 1 })
	dropFile(t, cfg.Inbox.Dir, "b.txt", article)
	eventually(t, "the duplicate line", 10*time.Second, func() bool { return count(`msg="duplicate: article seen before`) == 1 })
	if n := count(`msg="no match"`); n != 1 {
		t.Errorf("the duplicate was logged as %d no-match lines", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSlackAPIURLFromConfig: a bot-token Slack notifier with api_url posts
// to that base URL (written with or without its trailing slash).
func TestSlackAPIURLFromConfig(t *testing.T) {
	for _, trim := range []bool{false, true} {
		var mu sync.Mutex
		posts := 0
		sl := slacktest.NewTestServer(func(c slacktest.Customize) {
			c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				posts++
				mu.Unlock()
				_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.1"}`))
			})
		})
		sl.Start()
		api := sl.GetAPIURL()
		if trim {
			api = strings.TrimSuffix(api, "/")
		}
		cfg := config.Default()
		cfg.Notifiers = []config.Notifier{{Name: "ops", Type: config.TypeSlack, Token: "xoxb-test", Channel: "#alerts", APIURL: api}}
		ns, err := registry.Build(cfg.Notifiers, registry.Options{Stdout: io.Discard, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		retry, err := ns["ops"].Notify(context.Background(), notifiers.Alert{ID: "wf_1", Article: engine.Article{ID: "a", Title: "T"}})
		sl.Stop()
		if err != nil {
			t.Fatalf("api_url %q: %v (retry %v)", api, err, retry)
		}
		mu.Lock()
		if posts != 1 {
			t.Errorf("api_url %q: %d posts reached the server, want 1", api, posts)
		}
		mu.Unlock()
	}
}
