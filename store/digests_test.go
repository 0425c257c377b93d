package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestQueuedAlertsAndDigests(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	start := time.Now()
	// Three alerts sent at once, four queued (two to another destination).
	for i := range 7 {
		id := fmt.Sprintf("a%d", i)
		al := alert(id)
		if i >= 3 {
			al.Status = StatusQueued
		}
		if i >= 5 {
			al.Notifier = "ops"
		}
		if ok, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{al}); err != nil || !ok {
			t.Fatalf("commit %s: %v %v", id, ok, err)
		}
	}
	if _, err := s.CommitArticle(ctx, article("bad"), nil, []NewAlert{{AlertID: "x", Notifier: "siem", ArticleID: "bad", Status: "later"}}); err == nil || !strings.Contains(err.Error(), `unknown status "later"`) {
		t.Errorf("unknown status: %v", err)
	}
	due, err := s.DueAlerts(ctx, time.Now(), 0)
	if err != nil || len(due) != 3 {
		t.Fatalf("due %d (%v), want the 3 sent at once: queued alerts are never due", len(due), err)
	}
	sends, err := s.RecentSends(ctx, "siem", start.Add(-time.Second), 2)
	if err != nil || len(sends) != 2 || sends[0].After(sends[1]) {
		t.Fatalf("recent sends %v (%v), want the last 2, oldest first", sends, err)
	}
	if n, err := s.QueuedCount(ctx, "siem"); n != 2 || err != nil {
		t.Errorf("queued %d (%v), want 2", n, err)
	}

	// A failing build changes nothing.
	boom := errors.New("boom")
	if _, err := s.CommitDigest(ctx, "siem", 0, func([]OutboxItem) (NewAlert, error) { return NewAlert{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing build: %v", err)
	}
	if n, _ := s.QueuedCount(ctx, "siem"); n != 2 {
		t.Fatalf("after a failed build %d queued, want 2", n)
	}

	var got []string
	n, err := s.CommitDigest(ctx, "siem", 0, func(q []OutboxItem) (NewAlert, error) {
		for _, it := range q {
			got = append(got, it.AlertID)
		}
		return NewAlert{AlertID: "dg-1", ArticleID: "ignored", Rules: []string{"r"}, Payload: []byte(`{"digest":true}`)}, nil
	})
	if err != nil || n != 2 || strings.Join(got, ",") != "al-a3,al-a4" {
		t.Fatalf("digest took %d %v (%v), want al-a3,al-a4", n, got, err)
	}
	if n, _ := s.QueuedCount(ctx, "siem"); n != 0 {
		t.Errorf("%d still queued", n)
	}
	if n, _ := s.QueuedCount(ctx, "ops"); n != 2 {
		t.Errorf("ops: %d queued, want its 2 untouched", n)
	}
	carried, err := s.DigestedBy(ctx, "dg-1")
	if err != nil || len(carried) != 2 || carried[0].Status != StatusDigested {
		t.Fatalf("digested by dg-1: %+v (%v)", carried, err)
	}
	list, err := s.ListAlerts(ctx, "pending", 0)
	if err != nil || len(list) != 4 || list[0].AlertID != "dg-1" || list[0].ArticleID != "" || list[0].Notifier != "siem" {
		t.Fatalf("pending %+v (%v), want the digest first, for siem, with no article", list, err)
	}
	// The digest is not a send of its own in the window.
	if sends, _ := s.RecentSends(ctx, "siem", start.Add(-time.Second), 10); len(sends) != 3 {
		t.Errorf("recent sends %d, want 3", len(sends))
	}
	// Nothing queued: nothing written, build not called.
	n, err = s.CommitDigest(ctx, "siem", 0, func([]OutboxItem) (NewAlert, error) { t.Error("build called"); return NewAlert{}, nil })
	if n != 0 || err != nil {
		t.Errorf("empty digest: %d %v", n, err)
	}
	// A limit takes the oldest first; the rest wait.
	n, err = s.CommitDigest(ctx, "ops", 1, func(q []OutboxItem) (NewAlert, error) {
		return NewAlert{AlertID: "dg-2-" + q[0].AlertID, Payload: []byte(`{}`)}, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("limited digest %d %v", n, err)
	}
	if c, _ := s.DigestedBy(ctx, "dg-2-al-a5"); len(c) != 1 {
		t.Errorf("limited digest carried %d, want al-a5 alone", len(c))
	}
	// The same digest id again is refused, and leaves the rest queued.
	if _, err := s.CommitDigest(ctx, "ops", 1, func([]OutboxItem) (NewAlert, error) {
		return NewAlert{AlertID: "dg-2-al-a5", Payload: []byte(`{}`)}, nil
	}); err == nil {
		t.Error("a digest id used twice was accepted")
	}
	if n, _ := s.QueuedCount(ctx, "ops"); n != 1 {
		t.Errorf("ops: %d queued, want 1", n)
	}
	// Queued alerts survive a reopen.
	s.Close()
	s2 := open(t, dir)
	if n, _ := s2.QueuedCount(ctx, "ops"); n != 1 {
		t.Errorf("after reopen %d queued, want 1", n)
	}
}
