package daemon

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
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
