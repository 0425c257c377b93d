package notifiers_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// memOutbox is an in-memory Outbox whose reads can be made to fail.
type memOutbox struct {
	mu        sync.Mutex
	items     map[int64]*store.OutboxItem
	failReads int // DueAlerts fails this many more times
	delivered chan int64
}

func (m *memOutbox) DueAlerts(_ context.Context, now time.Time, limit int) ([]store.OutboxItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failReads > 0 {
		m.failReads--
		return nil, errors.New("disk on fire")
	}
	var out []store.OutboxItem
	for _, it := range m.items {
		if it.Status == "pending" && !it.NextAttempt.After(now) && (limit <= 0 || len(out) < limit) {
			out = append(out, *it)
		}
	}
	return out, nil
}

func (m *memOutbox) NextDue(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t time.Time
	ok := false
	for _, it := range m.items {
		if it.Status == "pending" && (!ok || it.NextAttempt.Before(t)) {
			t, ok = it.NextAttempt, true
		}
	}
	return t, ok, nil
}

func (m *memOutbox) MarkDelivered(_ context.Context, id int64, at time.Time) error {
	m.mu.Lock()
	m.items[id].Status, m.items[id].DeliveredAt = "delivered", at
	m.mu.Unlock()
	m.delivered <- id
	return nil
}

func (m *memOutbox) MarkFailed(_ context.Context, id int64, msg string, next time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.items[id]
	it.Attempts++
	it.LastError, it.NextAttempt = msg, next
	return nil
}

func (m *memOutbox) MarkDead(_ context.Context, id int64, msg string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[id].Status, m.items[id].LastError = "dead", msg
	return nil
}

func (m *memOutbox) OutboxCounts(context.Context) (pending, dead int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range m.items {
		switch it.Status {
		case "pending":
			pending++
		case "dead":
			dead++
		}
	}
	return pending, dead, nil
}

func TestMemOutbox(t *testing.T) {
	tests := []struct {
		name      string
		failReads int
	}{
		{name: "healthy outbox"},
		{name: "outbox read errors are retried", failReads: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload, _ := json.Marshal(sampleAlert())
			now := time.Now()
			ob := &memOutbox{failReads: tc.failReads, delivered: make(chan int64, 1),
				items: map[int64]*store.OutboxItem{1: {ID: 1, AlertID: "al-1", Notifier: "fake", Payload: payload,
					Status: "pending", CreatedAt: now, NextAttempt: now}}}
			f := &fake{}
			d := notifiers.NewDispatcher(ob, map[string]notifiers.Notifier{"fake": f}, notifiers.DispatchOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			select {
			case id := <-ob.delivered:
				if id != 1 {
					t.Errorf("delivered %d", id)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("not delivered")
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v", err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.got) != 1 || f.got[0].ID != "al-1" || f.got[0].Article.Title != "Raid in Mosul" {
				t.Errorf("notified %+v", f.got)
			}
		})
	}
}
