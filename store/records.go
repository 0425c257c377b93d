package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"
)

// ArticleRecord is a scored article as kept in history.
type ArticleRecord struct {
	ID, Source, Title, URL, Lang, Body string
	Published                          time.Time // zero if unknown
	SeenAt                             time.Time
	Matches                            []string // names of matched rules
	// Result is the scoring result (see Result); nil for none, which is
	// stored as NULL.
	Result *Result
}

// NewAlert is an alert to enqueue for one destination.
type NewAlert struct {
	AlertID   string // stable id, used as webhook-id; unique
	Notifier  string // destination name
	ArticleID string
	Rules     []string
	Payload   []byte // the alert JSON, delivered as is
	// Status is "" (pending: to deliver now), StatusSilenced (every rule
	// of the alert was silenced, so it is kept as history and never sent)
	// or StatusQueued (the alert waits for its destination's next digest).
	Status string
	// SilencedBy are the ids of the silences that removed rules from the
	// alert (all of them when Status is StatusSilenced).
	SilencedBy []string
}

// Commit is one article to record with its dedupe keys and alerts.
type Commit struct {
	Article ArticleRecord
	Keys    []string
	Alerts  []NewAlert
	// Story, when set, records the article's place in its story in the
	// same transaction (see stories.Index.Prepare); nothing when the
	// article was seen before.
	Story *StoryMember
}

// CommitArticle records the article as seen, marks the extra dedupe keys
// as seen and enqueues its alerts, all in one transaction. When the
// article id or any key was seen before it changes nothing and returns
// false.
func (s *Store) CommitArticle(ctx context.Context, a ArticleRecord, keys []string, alerts []NewAlert) (bool, error) {
	res, err := s.CommitArticles(ctx, []Commit{{Article: a, Keys: keys, Alerts: alerts}})
	if err != nil {
		return false, err
	}
	return res[0], nil
}

// CommitArticles does CommitArticle for several articles in one
// transaction (group commit): all of them are recorded, or none. ok[i]
// says whether article i was new; an article seen earlier in the same
// batch counts as seen.
func (s *Store) CommitArticles(ctx context.Context, batch []Commit) (ok []bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: commit articles: %w", err)
	}
	defer tx.Rollback()
	ok = make([]bool, len(batch))
	now := nanos(time.Now())
	seenStmt, insArticle, insKey, insAlert := tx.Stmt(s.seenKey), tx.Stmt(s.insArticle), tx.Stmt(s.insKey), tx.Stmt(s.insAlert)
	for i, c := range batch {
		a := c.Article
		all := append([]string{a.ID}, c.Keys...)
		seen := false
		for _, k := range all {
			var one int
			err := seenStmt.QueryRowContext(ctx, k).Scan(&one)
			if err == nil {
				seen = true
				break
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("store: seen: %w", err)
			}
		}
		if seen {
			continue
		}
		if a.SeenAt.IsZero() {
			a.SeenAt = time.Now()
		}
		if _, err := insArticle.ExecContext(ctx, a.ID, a.Source, a.Title, a.URL, a.Lang, a.Body, nanos(a.Published), nanos(a.SeenAt), jsonList(a.Matches), resultColumn(a.Result)); err != nil {
			return nil, fmt.Errorf("store: commit article %s: %w", a.ID, err)
		}
		for _, k := range all {
			if _, err := insKey.ExecContext(ctx, k, a.ID, nanos(a.SeenAt)); err != nil {
				return nil, fmt.Errorf("store: commit article %s: %w", a.ID, err)
			}
		}
		for _, al := range c.Alerts {
			status := al.Status
			switch status {
			case "", StatusPending:
				status = StatusPending
			case StatusSilenced, StatusQueued:
			default:
				return nil, fmt.Errorf("store: enqueue alert %s: unknown status %q", al.AlertID, al.Status)
			}
			payload := al.Payload
			if payload == nil {
				payload = []byte{} // the column is NOT NULL
			}
			if _, err := insAlert.ExecContext(ctx, al.AlertID, al.Notifier, al.ArticleID, jsonList(al.Rules), payload, status, now, now, jsonList(al.SilencedBy)); err != nil {
				return nil, fmt.Errorf("store: enqueue alert %s: %w", al.AlertID, err)
			}
		}
		if c.Story != nil {
			if err := addStoryMember(ctx, tx, *c.Story); err != nil {
				return nil, err
			}
		}
		ok[i] = true
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit articles: %w", err)
	}
	return ok, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func seenIn(ctx context.Context, q querier, keys []string) (bool, error) {
	if len(keys) == 0 {
		return false, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM seen_keys WHERE key IN (`+ph+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: seen: %w", err)
	}
	return n > 0, nil
}

// Seen reports whether any of the article ids or dedupe keys was seen
// (they share one namespace).
func (s *Store) Seen(ctx context.Context, keys ...string) (bool, error) {
	return seenIn(ctx, s.r, keys)
}

const articleCols = `id, source, title, url, lang, body, published, seen_at, matches, result`

type scanner interface{ Scan(dest ...any) error }

func scanArticle(sc scanner) (ArticleRecord, error) {
	var a ArticleRecord
	var pub, seen int64
	var matches string
	var result sql.NullString
	if err := sc.Scan(&a.ID, &a.Source, &a.Title, &a.URL, &a.Lang, &a.Body, &pub, &seen, &matches, &result); err != nil {
		return a, err
	}
	a.Published, a.SeenAt = fromNanos(pub), fromNanos(seen)
	var err error
	if a.Matches, err = parseList(matches); err != nil {
		return a, fmt.Errorf("matches: %w", err)
	}
	if result.Valid {
		r, err := decodeResult(result.String)
		if err != nil {
			return a, fmt.Errorf("result: %w", err)
		}
		a.Result = r
	}
	return a, nil
}

// Article returns one stored article record, or ErrNotFound.
func (s *Store) Article(ctx context.Context, id string) (ArticleRecord, error) {
	a, err := scanArticle(s.r.QueryRowContext(ctx, `SELECT `+articleCols+` FROM articles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: article %s: %w", id, err)
	}
	return a, nil
}

// History yields the articles first seen in [since, until), oldest first,
// each with its scoring result, to query or replay the history (a zero
// time is no bound). It ends at the first error, which it yields.
func (s *Store) History(ctx context.Context, since, until time.Time) iter.Seq2[ArticleRecord, error] {
	return func(yield func(ArticleRecord, error) bool) {
		hi := int64(math.MaxInt64)
		if !until.IsZero() {
			hi = until.UnixNano()
		}
		rows, err := s.r.QueryContext(ctx, `SELECT `+articleCols+` FROM articles WHERE seen_at >= ? AND seen_at < ? ORDER BY seen_at, id`, nanos(since), hi)
		if err != nil {
			yield(ArticleRecord{}, fmt.Errorf("store: history: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanArticle(rows)
			if err != nil {
				yield(a, fmt.Errorf("store: history: article %s: %w", a.ID, err))
				return
			}
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ArticleRecord{}, fmt.Errorf("store: history: %w", err))
		}
	}
}

// OutboxItem is one alert for one destination.
type OutboxItem struct {
	ID                           int64
	AlertID, Notifier, ArticleID string
	Rules                        []string
	Payload                      []byte
	Status                       string // pending, delivered, dead, silenced, queued or digested
	Attempts                     int
	CreatedAt, NextAttempt       time.Time
	DeliveredAt                  time.Time // zero unless delivered
	LastError                    string
	// SilencedBy are the ids of the silences that removed rules from the
	// alert; see NewAlert.
	SilencedBy []string
}

const outboxCols = `id, alert_id, notifier, article_id, rules, payload, status, attempts, created_at, next_attempt, delivered_at, last_error, silenced_by`

func scanItems(rows *sql.Rows) ([]OutboxItem, error) {
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var rules, silencedBy string
		var created, next, delivered int64
		if err := rows.Scan(&it.ID, &it.AlertID, &it.Notifier, &it.ArticleID, &rules, &it.Payload, &it.Status, &it.Attempts, &created, &next, &delivered, &it.LastError, &silencedBy); err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		var err error
		if it.Rules, err = parseList(rules); err != nil {
			return nil, fmt.Errorf("store: outbox item %d: rules: %w", it.ID, err)
		}
		if it.SilencedBy, err = parseList(silencedBy); err != nil {
			return nil, fmt.Errorf("store: outbox item %d: silenced_by: %w", it.ID, err)
		}
		it.CreatedAt, it.NextAttempt, it.DeliveredAt = fromNanos(created), fromNanos(next), fromNanos(delivered)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

// DueAlerts returns up to limit (0 for no limit) pending items due at
// now, oldest due first.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]OutboxItem, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE status = 'pending' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due alerts: %w", err)
	}
	return scanItems(rows)
}

// NextDue returns the earliest next attempt of a pending item; ok is false
// when nothing is pending.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var n sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM outbox WHERE status = 'pending'`).Scan(&n); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next due: %w", err)
	}
	if !n.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, n.Int64).UTC(), true, nil
}

func (s *Store) update(ctx context.Context, what string, id int64, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkDelivered records a successful delivery.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	res, err := s.delivered.ExecContext(ctx, nanos(at), id)
	if err != nil {
		return fmt.Errorf("store: mark delivered %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkDeliveredMany records several deliveries in one transaction.
func (s *Store) MarkDeliveredMany(ctx context.Context, ids []int64, at time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: mark delivered: %w", err)
	}
	defer tx.Rollback()
	st := tx.Stmt(s.delivered)
	for _, id := range ids {
		if _, err := st.ExecContext(ctx, nanos(at), id); err != nil {
			return fmt.Errorf("store: mark delivered %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: mark delivered: %w", err)
	}
	return nil
}

// MarkFailed records a failed attempt and when to try again.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.update(ctx, "mark failed", id, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE id = ? AND status = 'pending'`, errMsg, nanos(next), id)
}

// MarkDead turns an item into a dead letter.
func (s *Store) MarkDead(ctx context.Context, id int64, errMsg string) error {
	return s.update(ctx, "mark dead", id, `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?`, errMsg, id)
}

// ListAlerts lists outbox items with the status ("" for all), newest
// first, at most limit of them (0 for no limit).
func (s *Store) ListAlerts(ctx context.Context, status string, limit int) ([]OutboxItem, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE (? = '' OR status = ?) ORDER BY id DESC LIMIT ?`, status, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list alerts: %w", err)
	}
	return scanItems(rows)
}

// RetryAlert makes an item pending and due now, with its attempts reset
// and its age counted from now. A delivered, silenced or digested item is
// not retried (ErrNotFound): a silenced alert is never sent, not even once
// its silence has ended, and a digested one went out in its digest (retry
// the digest instead).
func (s *Store) RetryAlert(ctx context.Context, id int64, now time.Time) error {
	return s.update(ctx, "retry", id, `UPDATE outbox SET status = 'pending', attempts = 0, created_at = ?, next_attempt = ? WHERE id = ? AND status NOT IN ('delivered', 'silenced', 'digested')`, nanos(now), nanos(now), id)
}

// RetryAllDead does RetryAlert for every dead letter and says how many.
func (s *Store) RetryAllDead(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, created_at = ?, next_attempt = ? WHERE status = 'dead'`, nanos(now), nanos(now))
	if err != nil {
		return 0, fmt.Errorf("store: retry dead letters: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// OutboxCounts returns the number of pending and dead items.
func (s *Store) OutboxCounts(ctx context.Context) (pending, dead int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'), (SELECT count(*) FROM outbox WHERE status = 'dead')`).Scan(&pending, &dead)
	if err != nil {
		return 0, 0, fmt.Errorf("store: outbox counts: %w", err)
	}
	return pending, dead, nil
}

// FeedState is what the feed watcher keeps per feed between polls and
// restarts.
type FeedState struct {
	Name, URL, ETag, LastModified string
	Failures                      int
	NextAttempt                   time.Time
	LastStatus                    int
	LastError                     string
	LastSuccess, LastChecked      time.Time
}

// FeedState returns the stored state of a feed (only Name set when none).
func (s *Store) FeedState(ctx context.Context, name string) (FeedState, error) {
	st := FeedState{Name: name}
	var next, succ, checked int64
	err := s.r.QueryRowContext(ctx, `SELECT url, etag, last_modified, failures, next_attempt, last_status, last_error, last_success, last_checked FROM feeds WHERE name = ?`, name).
		Scan(&st.URL, &st.ETag, &st.LastModified, &st.Failures, &next, &st.LastStatus, &st.LastError, &succ, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: feed %s: %w", name, err)
	}
	st.NextAttempt, st.LastSuccess, st.LastChecked = fromNanos(next), fromNanos(succ), fromNanos(checked)
	return st, nil
}

// SaveFeedState stores the state of a feed.
func (s *Store) SaveFeedState(ctx context.Context, st FeedState) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO feeds (name, url, etag, last_modified, failures, next_attempt, last_status, last_error, last_success, last_checked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
			failures = excluded.failures, next_attempt = excluded.next_attempt, last_status = excluded.last_status,
			last_error = excluded.last_error, last_success = excluded.last_success, last_checked = excluded.last_checked`,
		st.Name, st.URL, st.ETag, st.LastModified, st.Failures, nanos(st.NextAttempt), st.LastStatus, st.LastError, nanos(st.LastSuccess), nanos(st.LastChecked))
	if err != nil {
		return fmt.Errorf("store: save feed %s: %w", st.Name, err)
	}
	return nil
}
