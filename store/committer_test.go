package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// startCommitter runs a committer on s until the test ends.
func startCommitter(t *testing.T, s *Store) *Committer {
	t.Helper()
	c := NewCommitter(s, nil)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); c.Run(stop) }()
	t.Cleanup(func() { close(stop); <-done })
	return c
}

func TestCommitterConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c := startCommitter(t, s)
	const n = 300
	var wg sync.WaitGroup
	news := make([]bool, 2*n)
	errs := make([]error, 2*n)
	// Every id is committed twice, concurrently: exactly one of the two
	// is new, and nothing is lost.
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("a%d", i%n)
			news[i], errs[i] = c.Commit(ctx, Commit{Article: article(id), Alerts: []NewAlert{alert(fmt.Sprintf("%s-%d", id, i/n))}})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || errs[i+n] != nil {
			t.Fatalf("commit a%d: %v / %v", i, errs[i], errs[i+n])
		}
		if news[i] == news[i+n] {
			t.Errorf("a%d: new twice or never (%v, %v)", i, news[i], news[i+n])
		}
		if seen, err := s.Seen(ctx, fmt.Sprintf("a%d", i)); !seen || err != nil {
			t.Errorf("a%d not seen: %v", i, err)
		}
	}
	if pending, _, _ := s.OutboxCounts(ctx); pending != n {
		t.Errorf("%d alerts pending, want %d (one per new article)", pending, n)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after successful commits: %v", err)
	}
}

func TestCommitterReportsFailureUntilACommitSucceeds(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c := startCommitter(t, s)
	if _, err := c.Commit(ctx, Commit{Article: article("a1"), Alerts: []NewAlert{alert("a1")}}); err != nil {
		t.Fatal(err)
	}
	// The same alert id for another article makes the transaction fail.
	_, err := c.Commit(ctx, Commit{Article: article("a2"), Alerts: []NewAlert{alert("a1")}})
	if err == nil {
		t.Fatal("commit with a duplicate alert id succeeded")
	}
	if c.Err() == nil {
		t.Fatal("Err is nil after a failed commit")
	}
	if ok, err := c.Commit(ctx, Commit{Article: article("a3")}); !ok || err != nil {
		t.Fatalf("commit after failure: %v %v", ok, err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err still set after a commit succeeded: %v", err)
	}
}

func TestCommitterCommitReturnsWhenContextEnds(t *testing.T) {
	s := open(t, t.TempDir())
	c := NewCommitter(s, nil) // never run: nothing takes the article
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Commit(ctx, Commit{Article: article("a1")}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if seen, _ := s.Seen(context.Background(), "a1"); seen {
		t.Error("an article not taken was committed")
	}
}
