// Command slacktour shows, without a Slack workspace, what a desk's Slack
// channel receives from watchfloor: it starts a local Slack API server
// (slack-go's slacktest), runs the daemon against it on the shipped rule
// pack, drops articles into its inbox, prints each message as the channel
// shows it, then drops two other outlets' reports of one of those events
// (they reply in its thread), then adds a rule while the daemon runs and
// shows the alert that the reloaded rules send.
//
//	go run ./examples/slacktour [ARTICLE_DIR]
//
// ARTICLE_DIR defaults to testdata/seeds. Everything else lives in a
// temporary directory removed at the end.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor"
	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/daemon"
)

func main() {
	dir := "testdata/seeds"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(context.Background(), os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "slacktour:", err)
		os.Exit(1)
	}
}

// message is one chat.postMessage the channel received.
type message struct {
	ts, threadTS string
	broadcast    bool
	text         string
}

// channel is a local Slack API that records every message posted.
type channel struct {
	mu   sync.Mutex
	msgs []message
	seq  int
}

func (c *channel) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.seq++
	m := message{ts: fmt.Sprintf("1700000000.%06d", c.seq), threadTS: v.Get("thread_ts"),
		broadcast: v.Get("reply_broadcast") == "true", text: v.Get("text")}
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":"C0DESK","ts":%q}`, m.ts)
}

func (c *channel) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// print writes the messages from index from on as the channel shows
// them: top-level messages in order, each followed by its thread.
func (c *channel) print(w io.Writer, from int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	replies := map[string][]message{}
	for _, m := range c.msgs[from:] {
		if m.threadTS != "" {
			replies[m.threadTS] = append(replies[m.threadTS], m)
		}
	}
	for _, m := range c.msgs[from:] {
		if m.threadTS != "" {
			continue
		}
		fmt.Fprintf(w, "#desk  %s\n", oneLine(m.text))
		for _, r := range replies[m.ts] {
			also := ""
			if r.broadcast {
				also = " (also sent to the channel)"
			}
			fmt.Fprintf(w, "   └─ %s%s\n", oneLine(r.text), also)
		}
	}
}

// printThreads writes the messages from index from on that reply in a
// thread, under the message that started it.
func (c *channel) printThreads(w io.Writer, from int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var order []string
	replies := map[string][]message{}
	for _, m := range c.msgs[from:] {
		if m.threadTS == "" {
			fmt.Fprintf(w, "#desk  %s\n", oneLine(m.text))
			continue
		}
		if _, ok := replies[m.threadTS]; !ok {
			order = append(order, m.threadTS)
		}
		replies[m.threadTS] = append(replies[m.threadTS], m)
	}
	for _, ts := range order {
		for _, m := range c.msgs[:from] {
			if m.ts == ts {
				fmt.Fprintf(w, "#desk  %s\n", oneLine(m.text))
			}
		}
		for _, r := range replies[ts] {
			also := ""
			if r.broadcast {
				also = " (also sent to the channel)"
			}
			fmt.Fprintf(w, "   └─ %s%s\n", oneLine(r.text), also)
		}
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// run is the tour; it returns once every step has been shown.
func run(ctx context.Context, out io.Writer, articles string) error {
	files, err := filepath.Glob(filepath.Join(articles, "*.txt"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no .txt articles in %s (run from the repository root, or name a directory)", articles)
	}
	sort.Strings(files)
	ch := &channel{}
	srv := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/chat.postMessage", ch.post) })
	srv.Start()
	defer srv.Stop()

	tmp, err := os.MkdirTemp("", "slacktour-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg := config.Default()
	cfg.DataDir, cfg.RulesDir, cfg.Inbox.Dir = filepath.Join(tmp, "data"), filepath.Join(tmp, "rules.d"), filepath.Join(tmp, "inbox")
	cfg.HTTP.Listen = "off"
	cfg.Inbox.Settle = config.Duration(20 * time.Millisecond)
	cfg.Notifiers = []config.Notifier{{Name: "desk", Type: config.TypeSlack, Token: "xoxb-tour", Channel: "#desk"}}
	cfg.DefaultNotify = []string{"desk"}
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, RulePack: watchfloor.RulePack(), Stdout: io.Discard,
		Logger: slog.New(slog.DiscardHandler), Version: "tour", SlackAPIURL: srv.GetAPIURL()})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	defer func() { stop(); <-done }()

	fmt.Fprintf(out, "1. %d articles dropped into the inbox; the channel shows:\n\n", len(files))
	for _, f := range files {
		if err := drop(f, cfg.Inbox.Dir); err != nil {
			return err
		}
	}
	if err := settle(ctx, cfg.Inbox.Dir, len(files), ch, done); err != nil {
		return err
	}
	ch.print(out, 0)

	fmt.Fprintf(out, "\n2. The same event reported again by two other outlets: replies in the first report's thread:\n\n")
	before := ch.count()
	if err := retell(files[len(files)-1], cfg.Inbox.Dir); err != nil {
		return err
	}
	if err := settle(ctx, cfg.Inbox.Dir, len(files)+2, ch, done); err != nil {
		return err
	}
	ch.printThreads(out, before)

	fmt.Fprintf(out, "\n3. A rule added while the daemon runs (rules.d/tour.yaml), and an article it matches:\n\n")
	before = ch.count()
	rule := "rules:\n  - name: tour-new-rule\n    when: mentions(\"watchfloor tour\")\n    severity: low\n"
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "tour.yaml"), []byte(rule), 0o644); err != nil {
		return err
	}
	art := filepath.Join(tmp, "tour.txt")
	if err := os.WriteFile(art, []byte("Desk note\n\nThis article mentions the watchfloor tour and nothing else.\n"), 0o644); err != nil {
		return err
	}
	// The reload is live: wait until the new rule alerts, re-dropping the
	// article under a new name if it arrived before the reload.
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ch.count() == before; i++ {
		if time.Now().After(deadline) {
			return errors.New("the new rule sent no alert within 20s")
		}
		body, err := os.ReadFile(art)
		if err != nil {
			return err
		}
		note := fmt.Appendf(body, "\nTry %d.\n", i)
		if err := os.WriteFile(filepath.Join(cfg.Inbox.Dir, fmt.Sprintf(".tour-%d.txt", i)), note, 0o644); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(cfg.Inbox.Dir, fmt.Sprintf(".tour-%d.txt", i)), filepath.Join(cfg.Inbox.Dir, fmt.Sprintf("tour-%d.txt", i))); err != nil {
			return err
		}
		select {
		case <-time.After(time.Second):
		case err := <-done:
			return fmt.Errorf("daemon stopped: %v", err)
		}
	}
	ch.print(out, before)
	return nil
}

// retell drops two other outlets' versions of the article in src: the
// same report under an updated headline with a paragraph added, and one
// with its last paragraph cut; each a JSON article with its own URL.
func retell(src, inbox string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	title, body, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	paras := strings.Split(strings.TrimSpace(body), "\n\n")
	versions := []map[string]string{
		{"title": "UPDATE 1-" + title, "url": "https://wire.example.org/story/1?utm_source=rss",
			"body": strings.Join(paras, "\n\n") + "\n\nOfficials said more details would follow."},
		{"title": title + " - Desk Daily", "url": "https://daily.example.net/news/plot",
			"body": strings.Join(paras[:max(1, len(paras)-1)], "\n\n")},
	}
	for i, v := range versions {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("retold-%d.json", i+1)
		tmp := filepath.Join(inbox, "."+name)
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(inbox, name)); err != nil {
			return err
		}
		// One at a time: the second joins the thread the first reply found.
		if err := waitProcessed(inbox, name); err != nil {
			return err
		}
	}
	return nil
}

// waitProcessed waits until the inbox file name was processed (or failed).
func waitProcessed(inbox, name string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range []string{"processed", "failed"} {
			if _, err := os.Stat(filepath.Join(inbox, d, name)); err == nil {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not processed within 20s", name)
}

// drop writes src into the inbox as writers should: under a dot name,
// then renamed into place.
func drop(src, inbox string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := filepath.Join(inbox, "."+filepath.Base(src))
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(inbox, filepath.Base(src)))
}

// settle waits until n files are processed (or failed) and no message
// has arrived for a moment.
func settle(ctx context.Context, inbox string, n int, ch *channel, done <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	last, quiet := -1, 0
	for {
		p, _ := os.ReadDir(filepath.Join(inbox, "processed"))
		f, _ := os.ReadDir(filepath.Join(inbox, "failed"))
		c := ch.count()
		if len(p)+len(f) >= n && c == last {
			quiet++
			if quiet >= 5 {
				return nil
			}
		} else {
			quiet = 0
		}
		last = c
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d articles processed within 30s", len(p)+len(f), n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			return fmt.Errorf("daemon stopped: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
