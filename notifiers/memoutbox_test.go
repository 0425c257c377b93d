package notifiers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// memOutbox is an in-memory Outbox whose reads can be made to fail.
type memOutbox struct {
	mu        sync.Mutex
	items     map[int64]*store.OutboxItem
	failReads int   // DueAlerts fails this many more times
	countsErr error // OutboxCounts fails with it
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
	if m.countsErr != nil {
		return 0, 0, m.countsErr
	}
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

// TestGaugeErrorsLoggedOnce: an outbox whose counts cannot be read is
// logged once per distinct error, not at every refresh of the gauges, and
// its recovery once.
func TestGaugeErrorsLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	ob := &memOutbox{items: map[int64]*store.OutboxItem{}}
	d := notifiers.NewDispatcher(ob, nil, notifiers.DispatchOptions{
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		Metrics: notifiers.NewMetrics(prometheus.NewRegistry()),
	})
	steps := []struct {
		name string
		err  error
		want int // "outbox counts" lines logged so far
	}{
		{name: "fails", err: errors.New("disk on fire"), want: 1},
		{name: "fails the same way", err: errors.New("disk on fire"), want: 1},
		{name: "fails the same way again", err: errors.New("disk on fire"), want: 1},
		{name: "fails another way", err: errors.New("database is locked"), want: 2},
		{name: "recovers", want: 3},
		{name: "stays healthy", want: 3},
		{name: "fails again", err: errors.New("disk on fire"), want: 4},
	}
	for _, st := range steps {
		ob.mu.Lock()
		ob.countsErr = st.err
		ob.mu.Unlock()
		if err := d.Drain(context.Background()); err != nil { // Drain refreshes the gauges
			t.Fatal(err)
		}
		if got := strings.Count(logs.String(), "outbox counts"); got != st.want {
			t.Fatalf("%s: %d lines about the outbox counts, want %d:\n%s", st.name, got, st.want, logs.String())
		}
	}
}
