package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/registry"
)

// TestNotifierClientHasNoTimeout: the notifiers do not inherit the
// Timeout of the daemon's shared HTTP client (meant for feeds); a slow but
// answering destination within delivery.timeout is delivered to.
func TestNotifierClientHasNoTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
	}))
	defer slow.Close()
	cfg := config.Default()
	cfg.Notifiers = []config.Notifier{
		{Name: "hook", Type: "webhook", URL: slow.URL + "/hook"},
		{Name: "chat", Type: "slack", WebhookURL: slow.URL + "/services/T/B/x"},
	}
	shared := &http.Client{Timeout: 100 * time.Millisecond}
	ns, err := registry.Build(cfg.Notifiers, registry.Options{Client: shared, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hook", "chat"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := ns[name].Notify(ctx, notifiers.Alert{ID: "x", CreatedAt: time.Now()}); err != nil {
				t.Errorf("slow destination: %v", err)
			}
		})
	}
	if shared.Timeout != 100*time.Millisecond {
		t.Errorf("the shared client was changed: timeout %v", shared.Timeout)
	}
}

// TestDeliveryTimeoutBoundsAnAttempt: delivery.timeout is the attempt
// timeout of the running daemon: an attempt at a destination that never
// answers fails after it and is scheduled again.
func TestDeliveryTimeoutBoundsAnAttempt(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	cfg := baseConfig(t)
	cfg.Delivery.Timeout = config.Duration(300 * time.Millisecond)
	cfg.Delivery.MinBackoff = config.Duration(time.Minute)
	cfg.Delivery.MaxBackoff = config.Duration(time.Minute)
	cfg.Notifiers = []config.Notifier{{Name: "hook", Type: "webhook", URL: hang.URL}}
	cfg.DefaultNotify = []string{"hook"}
	e := startDaemon(t, cfg, "")
	defer e.stop()
	b, err := os.ReadFile("../testdata/seeds/002.txt")
	if err != nil {
		t.Fatal(err)
	}
	dropFile(t, e.inbox, "002.txt", b)
	start := time.Now()
	eventually(t, "a failed attempt", 5*time.Second, func() bool {
		items, err := e.d.store.ListAlerts(context.Background(), "pending", 0)
		return err == nil && len(items) == 1 && items[0].Attempts == 1
	})
	items, _ := e.d.store.ListAlerts(context.Background(), "pending", 0)
	if !strings.Contains(items[0].LastError, "deadline exceeded") {
		t.Errorf("last error %q, want a deadline", items[0].LastError)
	}
	t.Logf("attempt failed within %v of the file's drop", time.Since(start).Round(10*time.Millisecond))
}
