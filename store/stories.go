package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"
)

// StoryMember is one article of a story: the story's id and first alert,
// the article's position in it (1 for the first), and the keys by which
// later articles join it.
type StoryMember struct {
	StoryID        string
	FirstAlertID   string // the alert of the story's first article
	FirstArticleID string
	Position       int
	ArticleID      string
	AlertID        string
	URLKey         string // "" when the article has no URL
	TitleKey       string // "" when the title is too short to be a key
	Signature      []byte // nil when the text is too short to have one
	SeenAt         time.Time
}

// AddStoryMember records an article of a story, in one transaction: it
// opens the story when m.Position is 1, and counts the article in it
// otherwise. An article that is already a member changes nothing: its
// first membership stands.
func (s *Store) AddStoryMember(ctx context.Context, m StoryMember) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: add story member: %w", err)
	}
	defer tx.Rollback()
	if err := addStoryMember(ctx, tx, m); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add story member %s: %w", m.ArticleID, err)
	}
	return nil
}

// addStoryMember records m in tx: the member, and its story (created, or
// its last article and count brought forward). A member already recorded
// changes nothing.
func addStoryMember(ctx context.Context, tx *sql.Tx, m StoryMember) error {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO story_members (article_id, story_id, position, alert_id, url_key, title_key, signature, seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ArticleID, m.StoryID, m.Position, m.AlertID, m.URLKey, m.TitleKey, m.Signature, nanos(m.SeenAt))
	if err != nil {
		return fmt.Errorf("store: add story member %s: %w", m.ArticleID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO stories (id, first_alert_id, first_article_id, created_at, last_at, articles) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET last_at = max(last_at, excluded.last_at), articles = max(articles, ?)`,
		m.StoryID, m.FirstAlertID, m.FirstArticleID, nanos(m.SeenAt), nanos(m.SeenAt), m.Position, m.Position)
	if err != nil {
		return fmt.Errorf("store: add story member %s: %w", m.ArticleID, err)
	}
	return nil
}

// StoryMembersSince yields the story members seen at or after since,
// oldest first, each with its story's first alert and article and the
// story's position count: what the story index keeps in memory. It ends
// at the first error, which it yields.
func (s *Store) StoryMembersSince(ctx context.Context, since time.Time) iter.Seq2[StoryMember, error] {
	return func(yield func(StoryMember, error) bool) {
		rows, err := s.r.QueryContext(ctx, `SELECT m.article_id, m.story_id, m.position, m.alert_id, m.url_key, m.title_key, m.signature, m.seen_at,
				st.first_alert_id, st.first_article_id
			FROM story_members m JOIN stories st ON st.id = m.story_id
			WHERE m.seen_at >= ? ORDER BY m.seen_at, m.story_id, m.position`, nanos(since))
		if err != nil {
			yield(StoryMember{}, fmt.Errorf("store: story members: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var m StoryMember
			var seen int64
			if err := rows.Scan(&m.ArticleID, &m.StoryID, &m.Position, &m.AlertID, &m.URLKey, &m.TitleKey, &m.Signature, &seen, &m.FirstAlertID, &m.FirstArticleID); err != nil {
				yield(m, fmt.Errorf("store: story members: %w", err))
				return
			}
			m.SeenAt = fromNanos(seen)
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(StoryMember{}, fmt.Errorf("store: story members: %w", err))
		}
	}
}

// PruneStories deletes the story members seen before before, the stories
// with no article since, and the threads of those stories not updated
// since; it returns how many members it deleted.
func (s *Store) PruneStories(ctx context.Context, before time.Time) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune stories: %w", err)
	}
	defer tx.Rollback()
	b := nanos(before)
	res, err := tx.ExecContext(ctx, `DELETE FROM story_members WHERE seen_at < ?`, b)
	if err != nil {
		return 0, fmt.Errorf("store: prune stories: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM stories WHERE last_at < ?`, b); err != nil {
		return 0, fmt.Errorf("store: prune stories: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM story_threads WHERE updated_at < ? AND NOT EXISTS (SELECT 1 FROM stories WHERE id = story_id)`, b); err != nil {
		return 0, fmt.Errorf("store: prune stories: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: prune stories: %w", err)
	}
	return int(n), nil
}

// StoryThread is where one destination keeps the alerts of one story
// together: for Slack, the thread under the story's first message.
type StoryThread struct {
	StoryID, Notifier string
	// Root is the destination's id of the story's first message there
	// (a Slack ts), and RootAlertID the alert that message carried.
	Root, RootAlertID string
	// State is what the notifier keeps between the messages of the story
	// (for Slack: the channel, the highest severity so far, the rules and
	// fields already shown); the store does not read it.
	State     []byte
	UpdatedAt time.Time
}

// StoryThread returns the thread of a story at a destination; ok is false
// when the destination has no message of the story yet.
func (s *Store) StoryThread(ctx context.Context, storyID, notifier string) (th StoryThread, ok bool, err error) {
	th = StoryThread{StoryID: storyID, Notifier: notifier}
	var up int64
	err = s.r.QueryRowContext(ctx, `SELECT root, root_alert_id, state, updated_at FROM story_threads WHERE story_id = ? AND notifier = ?`, storyID, notifier).
		Scan(&th.Root, &th.RootAlertID, &th.State, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return th, false, nil
	}
	if err != nil {
		return th, false, fmt.Errorf("store: story thread %s %s: %w", storyID, notifier, err)
	}
	th.UpdatedAt = fromNanos(up)
	return th, true, nil
}

// SaveStoryThread stores the thread of a story at a destination. The
// root of a thread, once stored, stays: a later save changes only the
// state.
func (s *Store) SaveStoryThread(ctx context.Context, th StoryThread) error {
	if th.UpdatedAt.IsZero() {
		th.UpdatedAt = time.Now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO story_threads (story_id, notifier, root, root_alert_id, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(story_id, notifier) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		th.StoryID, th.Notifier, th.Root, th.RootAlertID, th.State, nanos(th.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: save story thread %s %s: %w", th.StoryID, th.Notifier, err)
	}
	return nil
}

// StoryBlocker reports whether an alert of a story at a position must
// wait for an earlier one: an alert to the same destination for an
// article of the same story at a lower position that is still pending.
// next is the earliest next attempt of those. Dead letters do not block.
func (s *Store) StoryBlocker(ctx context.Context, storyID, notifier string, position int) (next time.Time, blocked bool, err error) {
	var n sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT min(o.next_attempt) FROM story_members m JOIN outbox o ON o.article_id = m.article_id
		WHERE m.story_id = ? AND m.position < ? AND o.notifier = ? AND o.status = 'pending'`, storyID, position, notifier).Scan(&n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: story blocker %s %s: %w", storyID, notifier, err)
	}
	if !n.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(n.Int64), true, nil
}

// Postpone moves a pending item's next attempt to next without counting
// an attempt: it waits for something else (an earlier alert of its
// story), it did not fail.
func (s *Store) Postpone(ctx context.Context, id int64, next time.Time) error {
	return s.update(ctx, "postpone", id, `UPDATE outbox SET next_attempt = ? WHERE id = ? AND status = 'pending'`, nanos(next), id)
}
