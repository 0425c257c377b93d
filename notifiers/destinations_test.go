package notifiers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/notifiers"
)

// TestHangingDestinationDoesNotDelayOthers: with a destination that never
// answers and more alerts queued for it than any shared limit, a healthy
// destination gets its alert at once, not after the attempt timeout; the
// hanging one gets Concurrency requests at a time.
func TestHangingDestinationDoesNotDelayOthers(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int // 0: the default, 4
		want        int
	}{
		{name: "default", want: 4},
		{name: "two per destination", concurrency: 2, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			for i := range 12 {
				enqueue(t, s, fmt.Sprintf("slow-%d", i), "slow")
			}
			enqueue(t, s, "fast", "fast")
			hangURL, got := hangingReceiver(t)
			ok := newCountingReceiver(t)
			const attempt = 10 * time.Second
			d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{
				"slow": newWebhook(t, "slow", hangURL),
				"fast": newWebhook(t, "fast", ok.url),
			}, notifiers.DispatchOptions{AttemptTimeout: attempt, Concurrency: tt.concurrency})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- d.Run(ctx) }()
			defer func() { cancel(); <-done }()

			start := time.Now()
			for deadline := start.Add(attempt / 2); len(ok.got()) == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if ids := ok.got(); len(ids) != 1 || ids[0] != "al-fast" {
				t.Fatalf("the healthy destination got %v within %v, want [al-fast]", ids, attempt/2)
			}
			t.Logf("healthy destination served after %v", time.Since(start).Round(time.Millisecond))
			// The hanging destination holds its slots, no more.
			for range tt.want {
				select {
				case <-got:
				case <-time.After(5 * time.Second):
					t.Fatalf("the hanging destination got fewer than %d requests", tt.want)
				}
			}
			select {
			case <-got:
				t.Errorf("the hanging destination got more than %d requests at once", tt.want)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}
