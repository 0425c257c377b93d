package notifiers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/notifiers"
)

// TestRetryAfterCapped: a webhook answering 429 with a huge Retry-After
// is tried again within max_backoff, never past max_age, and becomes a
// dead letter at max_age.
func TestRetryAfterCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "999999999")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	const maxBackoff, maxAge = time.Minute, time.Hour
	tests := []struct {
		name string
		age  time.Duration // of the alert at the first attempt
		// wantNext is the next attempt after the first, from the alert's
		// creation.
		wantNext time.Duration
	}{
		{name: "young alert waits max_backoff", age: 0, wantNext: maxBackoff},
		{name: "old alert waits until max_age", age: maxAge - 20*time.Second, wantNext: maxAge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t)
			enqueue(t, s, "a", "hook")
			items, err := s.ListAlerts(ctx, "", 0)
			if err != nil || len(items) != 1 {
				t.Fatal(items, err)
			}
			created := items[0].CreatedAt
			now := created.Add(tt.age)
			d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"hook": newWebhook(t, "hook", srv.URL)},
				notifiers.DispatchOptions{MinBackoff: time.Second, MaxBackoff: maxBackoff, MaxAge: maxAge, Now: func() time.Time { return now }})
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			items, _ = s.ListAlerts(ctx, "", 0)
			it := items[0]
			if it.Status != "pending" || it.Attempts != 1 || !strings.Contains(it.LastError, "429") {
				t.Fatalf("after a 429: %+v", it)
			}
			if got := it.NextAttempt.Sub(created); got != tt.wantNext {
				t.Errorf("next attempt %v after creation (%v), want %v", got, it.NextAttempt, tt.wantNext)
			}
			// Attempts go on until max_age; the one at max_age is the last.
			for i := 0; i < 100 && it.Status == "pending"; i++ {
				now = it.NextAttempt
				if err := d.Drain(ctx); err != nil {
					t.Fatal(err)
				}
				items, _ = s.ListAlerts(ctx, "", 0)
				it = items[0]
				if it.NextAttempt.Sub(created) > maxAge {
					t.Fatalf("attempt %d scheduled %v after creation, past max_age", it.Attempts, it.NextAttempt.Sub(created))
				}
			}
			if it.Status != "dead" || !strings.Contains(it.LastError, "max_age") {
				t.Errorf("at max_age: %+v, want a dead letter", it)
			}
			if !now.Equal(created.Add(maxAge)) {
				t.Errorf("dead letter at %v after creation, want at max_age", now.Sub(created))
			}
		})
	}
}
