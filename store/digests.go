package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Outbox statuses of rate limits and digests. An alert past its
// destination's max_per_hour, or whose every rule has delivery: digest, is
// enqueued as StatusQueued: never due, never retried, never dropped. A
// digest (CommitDigest) takes a destination's queued alerts into one new
// pending outbox row, the digest, delivered and retried like any alert,
// and turns them StatusDigested with the digest's alert id.
//
// A digest row is told from an alert by its empty article id: every
// alert has an article.
const (
	// StatusQueued is an alert waiting for its destination's next digest.
	StatusQueued = "queued"
	// StatusDigested is an alert that a digest carried.
	StatusDigested = "digested"
)

// RecentSends returns the creation times of the last (at most limit)
// alerts enqueued for immediate delivery to notifier at or after since,
// oldest first: pending, delivered or dead alerts, not queued or digested
// ones, not digests. It seeds a rate limiter's sliding window at start.
// An alert re-sent with RetryAlert counts from its re-send.
func (s *Store) RecentSends(ctx context.Context, notifier string, since time.Time, limit int) ([]time.Time, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT created_at FROM outbox
		WHERE notifier = ? AND status IN ('pending', 'delivered', 'dead') AND created_at >= ? AND article_id != ''
		ORDER BY created_at DESC LIMIT ?`, notifier, nanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent sends of %s: %w", notifier, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: recent sends of %s: %w", notifier, err)
		}
		out = append(out, fromNanos(n))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recent sends of %s: %w", notifier, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// QueuedCount returns how many alerts wait for notifier's next digest.
func (s *Store) QueuedCount(ctx context.Context, notifier string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE notifier = ? AND status = 'queued'`, notifier).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: queued alerts of %s: %w", notifier, err)
	}
	return n, nil
}

// OldestQueued returns when the oldest alert waiting for notifier's next
// digest was queued; ok is false when none waits.
func (s *Store) OldestQueued(ctx context.Context, notifier string) (at time.Time, ok bool, err error) {
	var n sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(created_at) FROM outbox WHERE notifier = ? AND status = 'queued'`, notifier).Scan(&n); err != nil {
		return time.Time{}, false, fmt.Errorf("store: queued alerts of %s: %w", notifier, err)
	}
	if !n.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(n.Int64), true, nil
}

// DigestBuilder makes the digest row of a destination's queued alerts,
// given oldest first. The store fills in the digest's Notifier and
// clears its ArticleID (a digest has no article of its own).
type DigestBuilder func(queued []OutboxItem) (NewAlert, error)

// CommitDigest takes up to limit (0 for all) of notifier's queued alerts,
// oldest first, and in one transaction enqueues the digest build makes of
// them as a pending alert and marks them StatusDigested with the digest's
// alert id. It returns how many alerts the digest carries: 0, with nothing
// written and build not called, when none are queued. When build or the
// transaction fails nothing changes: the alerts stay queued for the next
// try. The same queued alerts always make the same digest id if build
// derives it from them, so a digest is never enqueued twice.
func (s *Store) CommitDigest(ctx context.Context, notifier string, limit int, build DigestBuilder) (int, error) {
	if limit <= 0 {
		limit = -1
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE notifier = ? AND status = 'queued' ORDER BY id LIMIT ?`, notifier, limit)
	if err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	items, err := scanItems(rows)
	if err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	if len(items) == 0 {
		return 0, nil
	}
	d, err := build(items)
	if err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	now := nanos(time.Now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (alert_id, notifier, article_id, rules, payload, status, created_at, next_attempt) VALUES (?, ?, '', ?, ?, 'pending', ?, ?)`,
		d.AlertID, notifier, jsonList(d.Rules), d.Payload, now, now); err != nil {
		return 0, fmt.Errorf("store: digest of %s: enqueue %s: %w", notifier, d.AlertID, err)
	}
	// The write transaction holds SQLite's one writer: no alert is queued
	// meanwhile, so the queued alerts up to the last one taken are those
	// taken.
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'digested', digest_id = ? WHERE notifier = ? AND status = 'queued' AND id <= ?`,
		d.AlertID, notifier, items[len(items)-1].ID)
	if err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	if n, _ := res.RowsAffected(); int(n) != len(items) {
		return 0, fmt.Errorf("store: digest of %s: %d of %d queued alerts changed meanwhile", notifier, len(items)-int(n), len(items))
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: digest of %s: %w", notifier, err)
	}
	return len(items), nil
}

// DigestedBy returns the alerts that the digest with alert id digestID
// carried, oldest first.
func (s *Store) DigestedBy(ctx context.Context, digestID string) ([]OutboxItem, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE digest_id = ? ORDER BY id`, digestID)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of digest %s: %w", digestID, err)
	}
	return scanItems(rows)
}
