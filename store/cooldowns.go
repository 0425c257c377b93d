package store

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// StoryAlert is an alert of an article in a story, as a rule's cooldown
// needs it: the story, the rules the alert carries, and when its article
// joined the story (the time the daemon routed it).
type StoryAlert struct {
	StoryID string
	Rules   []string
	At      time.Time
}

// StoryAlertsSince yields the alerts of the articles that joined a story
// at or after since, oldest first: every alert that was not silenced
// (pending, delivered, dead, queued or digested alike), with the rules it
// carries; not digests, which have no article. It seeds the rules'
// cooldowns at start. It ends at the first error, which it yields.
func (s *Store) StoryAlertsSince(ctx context.Context, since time.Time) iter.Seq2[StoryAlert, error] {
	return func(yield func(StoryAlert, error) bool) {
		rows, err := s.r.QueryContext(ctx, `SELECT m.story_id, o.rules, m.seen_at
			FROM story_members m JOIN outbox o ON o.article_id = m.article_id
			WHERE m.seen_at >= ? AND o.status != 'silenced'
			ORDER BY m.seen_at, o.id`, nanos(since))
		if err != nil {
			yield(StoryAlert{}, fmt.Errorf("store: story alerts: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var a StoryAlert
			var rules string
			var at int64
			if err := rows.Scan(&a.StoryID, &rules, &at); err != nil {
				yield(a, fmt.Errorf("store: story alerts: %w", err))
				return
			}
			if a.Rules, err = parseList(rules); err != nil {
				yield(a, fmt.Errorf("store: story alerts: %w", err))
				return
			}
			a.At = fromNanos(at)
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(StoryAlert{}, fmt.Errorf("store: story alerts: %w", err))
		}
	}
}
