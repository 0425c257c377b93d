package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
)

// BenchmarkPipeline runs the daemon in process: b.N files renamed into the
// inbox at once, each alerting a local webhook receiver. Each run stops
// its daemon and waits for it before the next one starts.
func BenchmarkPipeline(b *testing.B) {
	var got atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if got.Add(1) == n {
			close(done)
		}
	}))
	defer srv.Close()
	dir := b.TempDir()
	cfg := config.Default()
	cfg.DataDir, cfg.RulesDir, cfg.Inbox.Dir = filepath.Join(dir, "data"), filepath.Join(dir, "rules.d"), filepath.Join(dir, "inbox")
	cfg.HTTP.Listen = "off"
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	copyDir(b, "../rules.d", cfg.RulesDir)
	stage := filepath.Join(dir, "stage")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		b.Fatal(err)
	}
	seed, err := os.ReadFile("../testdata/seeds/004.txt")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if err := os.WriteFile(filepath.Join(stage, fmt.Sprint(i, ".txt")), append([]byte(fmt.Sprintf("Article %d\n", i)), seed...), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			b.Errorf("daemon: %v", err)
		}
	}()
	time.Sleep(300 * time.Millisecond) // the watchers start; not timed
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := os.Rename(filepath.Join(stage, fmt.Sprint(i, ".txt")), filepath.Join(cfg.Inbox.Dir, fmt.Sprint(i, ".txt"))); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	var intake time.Duration
	for intake == 0 {
		select {
		case <-done:
			intake = time.Since(start)
		case err := <-runErr:
			runErr <- err // for the deferred wait
			b.Fatalf("daemon stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
			if des, _ := os.ReadDir(filepath.Join(cfg.Inbox.Dir, "processed")); len(des) == b.N {
				intake = time.Since(start)
			}
		}
	}
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		b.Fatalf("%d of %d alerts", got.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(b.N)/intake.Seconds(), "intake-files/s")
}
