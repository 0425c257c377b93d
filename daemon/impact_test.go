package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
)

// A live reload logs, per rule whose matches change over the last day's
// stored articles, one line with the counts, and exports them in
// /metrics.
func TestReloadLogsItsImpact(t *testing.T) {
	rcv := newReceiver(t)
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	logs := &syncBuf{}
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, ShutdownGrace: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	seeds, _ := filepath.Glob("../testdata/seeds/*.txt")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		dropFile(t, cfg.Inbox.Dir, filepath.Base(s), b)
	}
	eventually(t, "the seeds processed", 10*time.Second, func() bool {
		des, _ := os.ReadDir(filepath.Join(cfg.Inbox.Dir, "processed"))
		return len(des) == len(seeds)
	})
	// A new rule that matches the seeds mentioning ISIS.
	dropFile(t, cfg.RulesDir, "zz-isis.yaml", []byte("rules:\n  - name: isis-any\n    when: mentions(\"isis\")\n"))
	line := regexp.MustCompile(`msg="rules reloaded: isis-any \+(\d+) −0 over 5 articles"`)
	eventually(t, "the impact line", 20*time.Second, func() bool { return line.MatchString(logs.String()) })
	added := line.FindStringSubmatch(logs.String())[1]
	if added == "0" {
		t.Errorf("the new rule matches no seed:\n%s", logs.String())
	}
	// The same count in /metrics.
	eventually(t, "the impact metric", 5*time.Second, func() bool {
		mfs, err := d.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "watchfloor_reload_impact_articles" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["rule"] == "isis-any" && labels["change"] == "added" && strconv.Itoa(int(m.GetGauge().GetValue())) == added {
					return true
				}
			}
		}
		return false
	})
}

// syncBuf is a buffer that a logger writes to while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
