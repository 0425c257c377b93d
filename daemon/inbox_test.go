package daemon

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/watchfloor/watchfloor/config"
)

// TestInboxBinaryFilesFail drops files that are not text into a running
// daemon's inbox: each goes to failed/ with its reason, and none alerts.
func TestInboxBinaryFilesFail(t *testing.T) {
	rcv := newReceiver(t)
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "zz-all.yaml"), []byte("rules:\n  - name: everything\n    when: 'true'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startDaemon(t, cfg, "")
	defer e.stop()
	seed, err := os.ReadFile("../testdata/seeds/004.txt")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(seed)
	_ = zw.Close()
	files := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"004.txt.gz", gz.Bytes(), "unsupported file type .gz"},
		{"photo.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), seed...), "unsupported file type .png"},
		{"report.pdf", append([]byte("%PDF-1.7\n"), seed...), "unsupported file type .pdf"},
		{"gzipped.txt", gz.Bytes(), "binary content: gzip-compressed data"},
		{"nul.txt", append([]byte("Title\x00\x00\x01\x00\n"), seed...), "binary content: NUL bytes"},
	}
	for _, f := range files {
		dropFile(t, e.inbox, f.name, f.data)
	}
	for _, f := range files {
		errFile := filepath.Join(e.inbox, "failed", f.name+".error")
		eventually(t, f.name+" in failed/", 10*time.Second, func() bool { _, err := os.Stat(errFile); return err == nil })
		msg, _ := os.ReadFile(errFile)
		if !strings.Contains(string(msg), f.reason) {
			t.Errorf("%s: reason %q, want %q", f.name, msg, f.reason)
		}
	}
	// A text file still alerts, so the rule above was live all along.
	dropFile(t, e.inbox, "004.txt", seed)
	eventually(t, "the text file's alert", 10*time.Second, func() bool { return rcv.count() == 1 })
	time.Sleep(200 * time.Millisecond)
	if n := rcv.count(); n != 1 {
		t.Errorf("%d alerts, want only the text file's", n)
	}
}

// TestShutdownAbandonsLongInboxFile stops the daemon while it works through
// a 30,000-line JSON Lines file: Run returns within seconds, the file stays
// in the inbox, and the next start reads it to the end, finding the
// articles already committed seen.
func TestShutdownAbandonsLongInboxFile(t *testing.T) {
	const lines = 3000
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "console", Type: "log"}}
	cfg.DefaultNotify = []string{"console"}
	var b bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&b, `{"id":"line-%d","title":"Minutes %d","body":"The committee met on Tuesday to discuss the budget for the coming year."}`+"\n", i, i)
	}
	run := func(until func(d *Daemon) bool) (*Daemon, time.Duration) {
		d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, ShutdownGrace: time.Second, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		eventually(t, "progress", 5*time.Minute, func() bool { return until(d) })
		cancel()
		stopped := time.Now()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Run still finishing the file 5s after shutdown")
		}
		return d, time.Since(stopped)
	}
	articles := func(d *Daemon) float64 { return counterValue(d.m.articles.WithLabelValues("inbox")) }
	if err := os.MkdirAll(cfg.Inbox.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dropFile(t, cfg.Inbox.Dir, "long.jsonl", b.Bytes())
	first, took := run(func(d *Daemon) bool { return articles(d) >= 200 })
	committed := articles(first)
	t.Logf("shutdown after %.0f of %d articles took %v", committed, lines, took)
	if committed >= lines {
		t.Fatal("the whole file was read before shutdown; the test proves nothing")
	}
	if _, err := os.Stat(filepath.Join(cfg.Inbox.Dir, "long.jsonl")); err != nil {
		t.Fatalf("the abandoned file left the inbox: %v", err)
	}
	for _, sub := range []string{"processed", "failed"} {
		if des, _ := os.ReadDir(filepath.Join(cfg.Inbox.Dir, sub)); len(des) != 0 {
			t.Errorf("%s/ holds %d files", sub, len(des))
		}
	}
	// The next start reads the file again, to the end.
	second, _ := run(func(d *Daemon) bool {
		_, err := os.Stat(filepath.Join(cfg.Inbox.Dir, "processed", "long.jsonl"))
		return err == nil
	})
	dups := counterValue(second.m.duplicates.WithLabelValues("inbox"))
	if dups != committed || articles(second) != lines-committed {
		t.Errorf("second start: %.0f articles and %.0f seen before, want %.0f and %.0f", articles(second), dups, lines-committed, committed)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
