package notifiers_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// fake is a notifier that answers from a script and records what it got.
type fake struct {
	mu     sync.Mutex
	got    []notifiers.Alert
	answer func(n int) (bool, error)
	seen   chan string
}

func (f *fake) Name() string { return "fake" }

func (f *fake) Notify(_ context.Context, a notifiers.Alert) (bool, error) {
	f.mu.Lock()
	f.got = append(f.got, a)
	n := len(f.got)
	f.mu.Unlock()
	if f.seen != nil {
		f.seen <- a.ID
	}
	if f.answer == nil {
		return false, nil
	}
	return f.answer(n)
}

func enqueue(t *testing.T, s *store.Store, id, notifier string) {
	t.Helper()
	al := notifiers.Alert{ID: "al-" + id, CreatedAt: time.Now(), Article: engine.Article{ID: id, Title: "T"}}
	payload, _ := json.Marshal(al)
	_, err := s.CommitArticle(context.Background(), store.ArticleRecord{ID: id}, nil,
		[]store.NewAlert{{AlertID: al.ID, Notifier: notifier, ArticleID: id, Payload: payload}})
	if err != nil {
		t.Fatal(err)
	}
}

func openStore(t *testing.T) *store.Store {
	s, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDeliverRetryDead(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	f := &fake{answer: func(n int) (bool, error) {
		if n == 1 {
			return true, errors.New("503")
		}
		return false, nil
	}}
	enqueue(t, s, "a", "fake")
	enqueue(t, s, "b", "nobody")
	now := time.Now()
	clock := func() time.Time { return now }
	d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"fake": f}, notifiers.DispatchOptions{MinBackoff: time.Second, MaxBackoff: time.Minute, MaxAge: time.Hour, Now: clock})
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	items, _ := s.ListAlerts(ctx, "", 0)
	byID := map[string]store.OutboxItem{}
	for _, it := range items {
		byID[it.AlertID] = it
	}
	a, b := byID["al-a"], byID["al-b"]
	if a.Status != "pending" || a.Attempts != 1 || a.LastError != "503" {
		t.Errorf("after a retryable failure: %+v", a)
	}
	if wait := a.NextAttempt.Sub(now); wait < 500*time.Millisecond || wait > time.Second {
		t.Errorf("first backoff %v, want within [0.5s, 1s]", wait)
	}
	if b.Status != "dead" || b.LastError == "" {
		t.Errorf("unknown notifier: %+v", b)
	}
	// Not due yet: nothing happens.
	_ = d.Drain(ctx)
	if len(f.got) != 1 {
		t.Fatalf("%d attempts before due", len(f.got))
	}
	now = now.Add(2 * time.Second)
	_ = d.Drain(ctx)
	got, _ := s.ListAlerts(ctx, "delivered", 0)
	if len(got) != 1 || got[0].AlertID != "al-a" || got[0].Attempts != 2 || f.got[1].ID != "al-a" {
		t.Errorf("delivered: %+v", got)
	}
}

func TestBackoffGrowsAndMaxAge(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	f := &fake{answer: func(int) (bool, error) { return true, errors.New("down") }}
	enqueue(t, s, "a", "fake")
	now := time.Now()
	d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"fake": f}, notifiers.DispatchOptions{MinBackoff: time.Second, MaxBackoff: 8 * time.Second, MaxAge: time.Minute, Now: func() time.Time { return now }})
	var waits []time.Duration
	for i := 0; i < 6; i++ {
		_ = d.Drain(ctx)
		it, _ := s.ListAlerts(ctx, "pending", 1)
		waits = append(waits, it[0].NextAttempt.Sub(now))
		now = it[0].NextAttempt
	}
	for i, w := range waits {
		nominal := min(time.Second<<i, 8*time.Second)
		if w < nominal/2 || w > nominal {
			t.Errorf("attempt %d waited %v, want within [%v, %v]", i+1, w, nominal/2, nominal)
		}
	}
	now = now.Add(2 * time.Minute)
	_ = d.Drain(ctx)
	dead, _ := s.ListAlerts(ctx, "dead", 0)
	if len(dead) != 1 {
		t.Errorf("not dead after max_age")
	}
}

func TestPermanentAndRetryAfter(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	f := &fake{answer: func(n int) (bool, error) {
		if n == 1 {
			return true, &notifiers.RetryAfterError{After: 30 * time.Second, Err: errors.New("429")}
		}
		return false, errors.New("400 bad request")
	}}
	enqueue(t, s, "a", "fake")
	now := time.Now()
	d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"fake": f}, notifiers.DispatchOptions{Now: func() time.Time { return now }})
	_ = d.Drain(ctx)
	it, _ := s.ListAlerts(ctx, "pending", 1)
	if w := it[0].NextAttempt.Sub(now); w < 30*time.Second {
		t.Errorf("Retry-After not honoured: next in %v", w)
	}
	now = now.Add(time.Minute)
	_ = d.Drain(ctx)
	if dead, _ := s.ListAlerts(ctx, "dead", 0); len(dead) != 1 || dead[0].LastError != "400 bad request" {
		t.Errorf("4xx not dead: %+v", dead)
	}
}

func TestKickWakesRun(t *testing.T) {
	s := openStore(t)
	f := &fake{seen: make(chan string, 10)}
	d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"fake": f}, notifiers.DispatchOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // let Run go to sleep with nothing due
	enqueue(t, s, "a", "fake")
	d.Kick()
	select {
	case id := <-f.seen:
		if id != "al-a" {
			t.Errorf("delivered %q", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Kick did not wake the dispatcher")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}
