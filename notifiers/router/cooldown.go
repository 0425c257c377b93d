package router

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// Cooldowns remember when each rule last alerted in each story, for the
// rules' cooldown key: a rule's later matches of the same story, within
// its cooldown after its last alert of that story, are follow-ups in the
// story's thread rather than new alerts. A follow-up is delivered at once
// (to Slack as a reply in the thread, to webhooks and the log like any
// alert, carrying its story), does not count against the destination's
// max_per_hour and is never held for a digest.
//
// The memory is bounded by the stories of the last maxAge. The store is
// the source of truth: every alert is committed to the outbox with its
// article's place in its story, and Seed rebuilds the memory from them
// at start, so a restart (or a crash) forgets no cooldown. Safe for
// concurrent use.
type Cooldowns struct {
	mu     sync.Mutex
	last   map[cooldownKey]time.Time
	maxAge time.Duration
	pruned time.Time
}

type cooldownKey struct{ story, rule string }

// NewCooldowns returns cooldowns that forget a story's rules maxAge after
// their last alert (the stories window is a good bound: no article joins
// an older story).
func NewCooldowns(maxAge time.Duration) *Cooldowns {
	return &Cooldowns{last: map[cooldownKey]time.Time{}, maxAge: maxAge}
}

// StoryAlerter is where Cooldowns read the recent alerts of stories at
// start; *store.Store implements it.
type StoryAlerter interface {
	StoryAlertsSince(ctx context.Context, since time.Time) iter.Seq2[store.StoryAlert, error]
}

// Seed remembers, for each story and rule, the last alert the store
// holds of the maxAge before now, as Record would have: every alert that
// was not silenced, follow-ups included, at the time its article was
// routed. Call it once at start, before the first FollowUps; a time
// already recorded and later than the store's is kept.
func (c *Cooldowns) Seed(ctx context.Context, src StoryAlerter, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for al, err := range src.StoryAlertsSince(ctx, now.Add(-c.maxAge)) {
		if err != nil {
			return fmt.Errorf("router: seed cooldowns: %w", err)
		}
		for _, r := range al.Rules {
			k := cooldownKey{al.StoryID, r}
			if at, ok := c.last[k]; !ok || al.At.After(at) {
				c.last[k] = al.At
			}
		}
	}
	c.pruned = now
	return nil
}

// FollowUps returns the ids of the pending alerts that are follow-ups: each
// of their rules has a cooldown and alerted in story within it before
// now. matches are the article's matches; an alert's are those its Rules
// name.
func (c *Cooldowns) FollowUps(story string, alerts []store.NewAlert, matches []engine.Match, now time.Time) []string {
	if story == "" {
		return nil
	}
	cd := map[string]time.Duration{}
	for _, m := range matches {
		cd[m.Rule] = m.Cooldown
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, al := range alerts {
		if al.Status != "" || len(al.Rules) == 0 {
			continue
		}
		follow := true
		for _, r := range al.Rules {
			at, ok := c.last[cooldownKey{story, r}]
			if d := cd[r]; d <= 0 || !ok || now.Sub(at) >= d {
				follow = false
				break
			}
		}
		if follow {
			out = append(out, al.AlertID)
		}
	}
	return out
}

// Record notes that the rules of the alerts that will be delivered (not
// silenced) alerted in story at now. Call it once the article is committed
// as new.
func (c *Cooldowns) Record(story string, alerts []store.NewAlert, now time.Time) {
	if story == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, al := range alerts {
		if al.Status == store.StatusSilenced {
			continue
		}
		for _, r := range al.Rules {
			c.last[cooldownKey{story, r}] = now
		}
	}
	if now.Sub(c.pruned) > c.maxAge/4 {
		for k, at := range c.last {
			if now.Sub(at) > c.maxAge {
				delete(c.last, k)
			}
		}
		c.pruned = now
	}
}
