package notifiers_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
	"github.com/watchfloor/watchfloor/store"
)

// hangingReceiver is a webhook endpoint that never answers: every request
// blocks until the test ends. got receives a value per request.
func hangingReceiver(t *testing.T) (url string, got <-chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	reqs := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- struct{}{}
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	return srv.URL, reqs
}

// countingReceiver is a healthy webhook endpoint that counts requests.
type countingReceiver struct {
	mu  sync.Mutex
	ids []string
	url string
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	c := &countingReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.ids = append(c.ids, r.Header.Get("webhook-id"))
		c.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

func (c *countingReceiver) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

// tracked counts the calls of a notifier that have not returned.
type tracked struct {
	notifiers.Notifier
	active atomic.Int32
}

func (n *tracked) Notify(ctx context.Context, a notifiers.Alert) (bool, error) {
	n.active.Add(1)
	defer n.active.Add(-1)
	return n.Notifier.Notify(ctx, a)
}

func newWebhook(t *testing.T, name, url string) notifiers.Notifier {
	t.Helper()
	n, err := webhook.New(webhook.Config{Name: name, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStopCancelsHangingDelivery: when Drain's or Run's context ends, a
// delivery to a destination that never answers is cancelled and has
// returned before they return, its alert stays pending as it was, and the
// next start delivers it exactly once.
func TestStopCancelsHangingDelivery(t *testing.T) {
	tests := []struct {
		name string
		// stop runs the dispatcher until it is stopped, and returns when
		// the stop began.
		stop func(t *testing.T, d *notifiers.Dispatcher, got <-chan struct{}) time.Time
		// within bounds the time from the stop to the return.
		within time.Duration
	}{
		{name: "drain with a 1s deadline", within: 1500 * time.Millisecond,
			stop: func(t *testing.T, d *notifiers.Dispatcher, _ <-chan struct{}) time.Time {
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := d.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Drain returned %v, want the deadline", err)
				}
				return start
			}},
		{name: "run cancelled", within: time.Second,
			stop: func(t *testing.T, d *notifiers.Dispatcher, got <-chan struct{}) time.Time {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error)
				go func() { done <- d.Run(ctx) }()
				select {
				case <-got:
				case <-time.After(5 * time.Second):
					t.Fatal("the receiver got no request")
				}
				start := time.Now()
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("Run returned %v", err)
				}
				return start
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s, err := store.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			enqueue(t, s, "a", "hook")
			url, got := hangingReceiver(t)
			hook := &tracked{Notifier: newWebhook(t, "hook", url)}
			d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"hook": hook}, notifiers.DispatchOptions{AttemptTimeout: time.Minute})
			start := tt.stop(t, d, got)
			took := time.Since(start)
			if n := hook.active.Load(); n != 0 {
				t.Errorf("%d deliveries still running after the dispatcher returned", n)
			}
			t.Logf("returned %v after the stop began", took.Round(time.Millisecond))
			if took > tt.within {
				t.Errorf("returned after %v, want within %v", took, tt.within)
			}
			items, err := s.ListAlerts(ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Status != "pending" || items[0].Attempts != 0 || items[0].LastError != "" {
				t.Fatalf("after the stop: %+v, want one pending item, untouched", items)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			// The next start delivers it, once.
			s, err = store.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ok := newCountingReceiver(t)
			d = notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"hook": newWebhook(t, "hook", ok.url)}, notifiers.DispatchOptions{})
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if ids := ok.got(); len(ids) != 1 || ids[0] != "al-a" {
				t.Errorf("after restart the receiver got %v, want [al-a]", ids)
			}
			if items, _ := s.ListAlerts(ctx, "delivered", 0); len(items) != 1 {
				t.Errorf("delivered after restart: %+v", items)
			}
		})
	}
}
