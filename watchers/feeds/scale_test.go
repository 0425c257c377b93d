package feeds

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/watchfloor/watchfloor/watchers/feeds/schedule"
)

// pollServer counts the requests in flight and records when each feed was
// first asked for; every response takes delay.
type pollServer struct {
	*httptest.Server
	mu       sync.Mutex
	inFlight int
	maxIn    int
	first    map[string]time.Time
	done     int
}

func newPollServer(t *testing.T, delay time.Duration) *pollServer {
	s := &pollServer{first: map[string]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.inFlight++
		s.maxIn = max(s.maxIn, s.inFlight)
		if _, ok := s.first[r.URL.Path]; !ok {
			s.first[r.URL.Path] = time.Now()
		}
		s.mu.Unlock()
		time.Sleep(delay)
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Item</title><guid>%s</guid><description>Text.</description></item></channel></rss>`, r.URL.Path)
		s.mu.Lock()
		s.inFlight--
		s.done++
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// runUntil runs w until the server has answered n requests (or the
// deadline passes), then stops it.
func runUntil(t *testing.T, w *Watcher, s *pollServer, n int, deadline time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	end := time.Now().Add(deadline)
	for {
		s.mu.Lock()
		got := s.done
		s.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(end) {
			cancel()
			<-done
			t.Fatalf("%d of %d polls answered within %v", got, n, deadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestPollConcurrencyAndJitter(t *testing.T) {
	for _, tc := range []struct {
		name        string
		concurrency int
		jitter      time.Duration
		delay       time.Duration
		wantMax     int           // the most requests in flight
		minSpread   time.Duration // between the first and the last feed's first poll
	}{
		// Ten feeds, all due at once, two slots: two requests at a time.
		{name: "concurrency 2", concurrency: 2, delay: 150 * time.Millisecond, wantMax: 2},
		{name: "concurrency 1", concurrency: 1, delay: 50 * time.Millisecond, wantMax: 1},
		// Ten first polls at random times in 2s: all ten within 0.5s of
		// each other has a probability of about 4e-5.
		{name: "start jitter", concurrency: 10, jitter: 2 * time.Second, minSpread: 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newPollServer(t, tc.delay)
			var feeds []Config
			for i := range 10 {
				feeds = append(feeds, Config{Name: fmt.Sprint("f", i), URL: fmt.Sprintf("%s/f%d", s.URL, i), Schedule: "@every 1h"})
			}
			st := newState()
			w, err := New(feeds, st, (&sink{st: st}).handle, Options{Concurrency: tc.concurrency, StartJitter: tc.jitter})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			runUntil(t, w, s, len(feeds), tc.jitter+10*time.Second)
			s.mu.Lock()
			defer s.mu.Unlock()
			if tc.wantMax > 0 && s.maxIn != tc.wantMax {
				t.Errorf("at most %d requests in flight, want %d", s.maxIn, tc.wantMax)
			}
			if tc.minSpread > 0 {
				lo, hi := time.Time{}, time.Time{}
				for _, at := range s.first {
					if lo.IsZero() || at.Before(lo) {
						lo = at
					}
					if at.After(hi) {
						hi = at
					}
				}
				if hi.Sub(lo) < tc.minSpread {
					t.Errorf("first polls spread over %v, want at least %v (start jitter %v)", hi.Sub(lo), tc.minSpread, tc.jitter)
				}
				if hi.Sub(start) > tc.jitter+3*time.Second {
					t.Errorf("last first poll %v after start, want within the jitter %v", hi.Sub(start), tc.jitter)
				}
			}
		})
	}
}

// TestFirstAt: the first time is the jittered one, then the schedule's,
// counted from the run before (the phase of "@every" follows the jitter).
func TestFirstAt(t *testing.T) {
	start := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	first := start.Add(17 * time.Second)
	s := &firstAt{first: first, then: mustSchedule(t, "@every 1m")}
	if got := s.Next(start); !got.Equal(first) {
		t.Fatalf("first Next = %v, want %v", got, first)
	}
	if got := s.Next(first); !got.Equal(first.Add(time.Minute)) {
		t.Fatalf("second Next = %v, want %v", got, first.Add(time.Minute))
	}
}

func mustSchedule(t *testing.T, spec string) cron.Schedule {
	t.Helper()
	s, err := schedule.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
