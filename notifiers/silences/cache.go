package silences

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

// RefreshEvery is how often the daemon should refresh its Cache (see
// Run): a silence added or expired with the command line, beside the
// daemon, takes effect within this long. One refresh is one indexed query
// on a table of a few rows.
const RefreshEvery = 5 * time.Second

// Cache holds the silences not yet ended, as of its last Refresh, so that
// routing an article does not query the store. Its methods are safe for
// concurrent use.
type Cache struct {
	st *store.Store

	// refresh serialises Refresh: the snapshot of the last one to start
	// is the one kept, so a silence committed before a Refresh starts is
	// never replaced by an older snapshot.
	refresh sync.Mutex

	mu        sync.RWMutex
	current   []Silence // not ended at the last refresh
	refreshed time.Time
}

// NewCache returns an empty cache of the silences in st; call Refresh to
// fill it.
func NewCache(st *store.Store) *Cache {
	return &Cache{st: st}
}

// Refresh reloads the silences not yet ended from the store. On error the
// cache keeps what it had.
func (c *Cache) Refresh(ctx context.Context) error {
	c.refresh.Lock()
	defer c.refresh.Unlock()
	now := time.Now()
	list, err := c.st.Silences(ctx, now)
	if err != nil {
		return fmt.Errorf("silences: refresh: %w", err)
	}
	c.mu.Lock()
	c.current, c.refreshed = list, now
	c.mu.Unlock()
	return nil
}

// put adds or replaces one silence, for a change made through this
// process when the Refresh after it failed.
func (c *Cache) put(s Silence) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make([]Silence, 0, len(c.current)+1)
	next = append(next, s)
	for _, o := range c.current {
		if o.ID != s.ID {
			next = append(next, o)
		}
	}
	c.current = next
}

// Active returns the silences in force at now, newest first; the slice is
// the caller's.
func (c *Cache) Active(now time.Time) []Silence {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Silence
	for _, s := range c.current {
		if s.ActiveAt(now) {
			out = append(out, s)
		}
	}
	return out
}

// Refreshed returns when the last successful Refresh started; zero before
// the first.
func (c *Cache) Refreshed() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.refreshed
}

// Run refreshes the cache every interval until ctx ends, logging a
// failing refresh once (and its recovery) rather than at every tick. It
// does not refresh at once: call Refresh before routing the first
// article.
func (c *Cache) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := c.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			failing = true
			log.Warn("refreshing the silences fails; routing with those last read", "err", err)
		case err == nil && failing:
			failing = false
			log.Info("refreshing the silences succeeds again")
		}
	}
}
