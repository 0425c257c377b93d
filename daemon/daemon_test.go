package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
)

const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="

// receiver is a webhook endpoint that verifies every signature.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	alerts map[string]map[string]any // by webhook-id
	bad    int
	fail   func(n int) bool // answer 503 to request n
	n      int
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, alerts: map[string]map[string]any{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.n++
		if r.fail != nil && r.fail(r.n) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, req.Header, body, 5*time.Minute, time.Now()); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			r.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.alerts[req.Header.Get("webhook-id")] = m
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.alerts)
}

func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// copyDir copies the files of src into dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type env struct {
	cfg   config.Config
	d     *Daemon
	stop  func()
	inbox string
}

func startDaemon(t *testing.T, cfg config.Config, slackURL string) *env {
	t.Helper()
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, Version: "test", SlackAPIURL: slackURL, ShutdownGrace: 2 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	e := &env{cfg: cfg, d: d, inbox: cfg.Inbox.Dir}
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	return e
}

func baseConfig(t *testing.T) config.Config {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.RulesDir = filepath.Join(dir, "rules.d")
	cfg.Inbox.Dir = filepath.Join(dir, "inbox")
	cfg.Inbox.Settle = config.Duration(20 * time.Millisecond)
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Delivery.MinBackoff = config.Duration(50 * time.Millisecond)
	cfg.Delivery.MaxBackoff = config.Duration(200 * time.Millisecond)
	copyDir(t, "../rules.d", cfg.RulesDir)
	return cfg
}

func dropFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestSeedsReachWebhookAndSlack(t *testing.T) {
	rcv := newReceiver(t)
	var mu sync.Mutex
	var slackBlocks []string
	sl := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			v, _ := url.ParseQuery(string(b))
			mu.Lock()
			slackBlocks = append(slackBlocks, v.Get("blocks"))
			mu.Unlock()
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.1"}`))
		})
	})
	sl.Start()
	defer sl.Stop()
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{
		{Name: "siem", Type: "webhook", URL: rcv.srv.URL + "/hook", Secret: secret},
		{Name: "ops", Type: "slack", Token: "xoxb-test", Channel: "#alerts"},
	}
	cfg.DefaultNotify = []string{"siem", "ops"}
	e := startDaemon(t, cfg, sl.GetAPIURL())
	defer e.stop()

	seeds, _ := filepath.Glob("../testdata/seeds/*.txt")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		dropFile(t, e.inbox, filepath.Base(s), b)
	}
	eventually(t, "five signed webhooks", 10*time.Second, func() bool { return rcv.count() == 5 })
	eventually(t, "five Slack messages", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(slackBlocks) == 5 })
	rcv.mu.Lock()
	bad := rcv.bad
	alerts := maps.Clone(rcv.alerts)
	rcv.mu.Unlock()
	if bad != 0 {
		t.Errorf("%d requests failed verification", bad)
	}
	rules := map[string]bool{}
	for _, a := range alerts {
		for _, m := range a["matches"].([]any) {
			rules[m.(map[string]any)["rule"].(string)] = true
		}
		if len(a["summary"].([]any)) == 0 {
			t.Errorf("alert without a summary: %v", a["article"])
		}
	}
	for _, want := range []string{"high-value-leader-killed", "cross-border-smuggling", "cell-infiltration", "baghdad-erbil-security-cooperation", "foiled-plot", "mass-arrests"} {
		if !rules[want] {
			t.Errorf("no alert for %s (got %v)", want, rules)
		}
	}
	mu.Lock()
	for _, b := range slackBlocks {
		if !strings.Contains(b, `"type":"header"`) || !strings.Contains(b, `"type":"section"`) {
			t.Errorf("not Block Kit: %s", b)
		}
	}
	mu.Unlock()
	eventually(t, "seeds moved to processed/", 5*time.Second, func() bool {
		des, _ := os.ReadDir(filepath.Join(e.inbox, "processed"))
		return len(des) == 5
	})
	// Receivers see a message before its delivery is recorded: wait for the
	// outbox to drain, so that anything pending later is the duplicate's.
	eventually(t, "the seeds' deliveries recorded", 5*time.Second, func() bool {
		pending, _, err := e.d.store.OutboxCounts(context.Background())
		return err == nil && pending == 0
	})
	// The same content under another name alerts no more.
	b, _ := os.ReadFile(seeds[0])
	dropFile(t, e.inbox, "again.txt", b)
	eventually(t, "the duplicate processed", 5*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(e.inbox, "processed", "again.txt"))
		return err == nil
	})
	// Seen before scoring: counted as a duplicate, and nothing queued.
	if got := testutil.ToFloat64(e.d.m.duplicates.WithLabelValues("inbox")); got != 1 {
		t.Errorf("%v duplicates counted, want 1", got)
	}
	if pending, _, err := e.d.store.OutboxCounts(context.Background()); err != nil || pending != 0 {
		t.Errorf("%d alerts pending after the duplicate (%v), want 0", pending, err)
	}
	if rcv.count() != 5 {
		t.Errorf("duplicate content alerted again: %d alerts", rcv.count())
	}
	// An unreadable file goes to failed/ with the reason.
	dropFile(t, e.inbox, "broken.json", []byte("{not json"))
	eventually(t, "broken.json in failed/", 5*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(e.inbox, "failed", "broken.json.error"))
		return err == nil
	})
	// Admin endpoints.
	for path, want := range map[string]string{"/livez": "ok", "/healthz": "ok", "/readyz": "ready", "/metrics": "watchfloor_notifications_sent_total"} {
		resp, err := http.Get("http://" + e.d.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %.100s", path, resp.StatusCode, body)
		}
	}
}

func TestFeedETagNoDuplicate(t *testing.T) {
	rcv := newReceiver(t)
	var mu sync.Mutex
	statuses := []int{}
	feed := `<rss version="2.0"><channel><title>N</title>
<item><title>Falcons Cell foils ISIS terror plot in Baghdad</title><link>https://news.example.org/plot?utm_source=rss</link><guid>plot-1</guid>
<description>Iraqi intelligence thwarted a terror plot by ISIS militants targeting Baghdad, officials said.</description></item></channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("If-None-Match") == `"e1"` {
			statuses = append(statuses, 304)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		statuses = append(statuses, 200)
		w.Header().Set("ETag", `"e1"`)
		fmt.Fprint(w, feed)
	}))
	defer srv.Close()
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	cfg.Feeds = []config.Feed{{Name: "news", URL: srv.URL, Schedule: "@every 1s"}}
	cfg.FeedFetch.StartJitter = 0 // poll at once
	e := startDaemon(t, cfg, "")
	eventually(t, "the feed alert", 10*time.Second, func() bool { return rcv.count() == 1 })
	eventually(t, "a 304 poll", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(statuses) >= 2 })
	e.stop()
	if rcv.count() != 1 {
		t.Errorf("%d alerts, want 1", rcv.count())
	}
	mu.Lock()
	defer mu.Unlock()
	if statuses[0] != 200 || statuses[1] != 304 {
		t.Errorf("statuses %v", statuses)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, a := range rcv.alerts {
		if a["article"].(map[string]any)["id"] != "https://news.example.org/plot" {
			t.Errorf("article id %v", a["article"])
		}
	}
}

func TestBrokenRuleKeepsRunningSet(t *testing.T) {
	rcv := newReceiver(t)
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	e := startDaemon(t, cfg, "")
	defer e.stop()
	n := e.d.rules.Load().set.Rules.Len()
	// An atomic save of a broken rule file.
	broken := "rules:\n  - name: broken\n    when: mentions(lex.nowhere)\n"
	failures := func() float64 { return testutil.ToFloat64(e.d.m.reloads.WithLabelValues("failure")) }
	dropFile(t, cfg.RulesDir, "zz-broken.yaml", []byte(broken))
	// The watcher tries the broken file, and the reload fails.
	eventually(t, "a failed reload", 5*time.Second, func() bool { return failures() >= 1 })
	if got := e.d.rules.Load().set.Rules.Len(); got != n {
		t.Fatalf("rule set changed to %d rules", got)
	}
	b, _ := os.ReadFile("../testdata/seeds/004.txt")
	dropFile(t, e.inbox, "004.txt", b)
	eventually(t, "an alert from the old rules", 10*time.Second, func() bool { return rcv.count() == 1 })
	// Fixing the file reloads.
	good := "rules:\n  - name: extra\n    when: mentions(lex.isis)\n"
	dropFile(t, cfg.RulesDir, "zz-broken.yaml", []byte(good))
	eventually(t, "the reload", 5*time.Second, func() bool { return e.d.rules.Load().set.Rules.Len() == n+1 })
	// POST /-/reload with a broken file answers 400 and keeps the set.
	before := failures()
	dropFile(t, cfg.RulesDir, "zz-broken.yaml", []byte(broken))
	eventually(t, "another failed reload", 5*time.Second, func() bool { return failures() > before })
	resp, err := http.Post("http://"+e.d.Addr()+"/-/reload", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "zz-broken.yaml:3:") {
		t.Errorf("reload: %d %s", resp.StatusCode, body)
	}
	if got := e.d.rules.Load().set.Rules.Len(); got != n+1 {
		t.Errorf("rule set changed to %d rules", got)
	}
}

func TestNewRefusesBadSetups(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "console", Type: "log"}}
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "routed.yaml"), []byte("rules:\n  - name: routed\n    when: 'true'\n    notify: [pager]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), `no notifier named "pager"`) {
		t.Errorf("unknown notify target: %v", err)
	}
	cfg = baseConfig(t)
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "bad.yaml"), []byte("rules: [{name: x, when: 'mentions('}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "bad.yaml:1:") {
		t.Errorf("broken rules: %v", err)
	}
}

// testLogger logs warnings and errors through t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestSlackRateLimitRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	var firstAt, secondAt time.Time
	sl := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 1 {
				firstAt = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			if calls == 2 {
				secondAt = time.Now()
			}
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.1"}`))
		})
	})
	sl.Start()
	defer sl.Stop()
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "ops", Type: "slack", Token: "xoxb-test", Channel: "#alerts"}}
	cfg.DefaultNotify = []string{"ops"}
	// Retry-After is honoured up to max_backoff: leave it room.
	cfg.Delivery.MaxBackoff = config.Duration(3 * time.Second)
	e := startDaemon(t, cfg, sl.GetAPIURL())
	b, _ := os.ReadFile("../testdata/seeds/002.txt")
	dropFile(t, e.inbox, "002.txt", b)
	eventually(t, "the retried Slack message", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return calls >= 2 })
	e.stop()
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
	if wait := secondAt.Sub(firstAt); wait < time.Second {
		t.Errorf("retried after %v, before the Retry-After of 1s", wait)
	}
}
