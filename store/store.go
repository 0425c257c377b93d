// Package store is the daemon's embedded database: a SQLite file
// (modernc.org/sqlite, pure Go) in the data directory, in WAL mode. It
// holds the articles seen (with their text and scoring result, so history
// can be queried and replayed), dedupe keys, feed state, and the outbox,
// whose rows stay as the alert history once delivered.
//
// The file is marked with PRAGMA application_id; a database file that
// exists but is empty, not SQLite or not ours is refused, never
// re-created (see Open).
//
// Times are stored as unix nanoseconds (INTEGER) in UTC; 0 means unset.
// The schema is versioned with PRAGMA user_version and migrated forward in
// one write-locked transaction that reads the version inside it; a
// database from a newer binary is refused. The daemon owns its data dir
// through a lock file (Open); the command-line tools open the database
// beside it without the lock (OpenShared).
//
// SQLite allows one writer at a time: writes go through a single
// connection, reads through a small pool, so concurrent callers queue
// instead of failing with SQLITE_BUSY.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// ErrNotFound is returned for an id that is not in the store.
var ErrNotFound = errors.New("store: not found")

// FileName is the database file inside the data directory.
const FileName = "watchfloor.db"

// Store is an open database. Its methods are safe for concurrent use.
type Store struct {
	w, r *sql.DB // one writer connection, a pool of readers
	path string
	lock io.Closer // the data dir's lock file; nil for OpenShared
	// Statements prepared once on the writer: parsing SQL is a good part
	// of the cost of a small transaction.
	insArticle, insKey, insAlert, seenKey, delivered *sql.Stmt
}

// migrations are applied in order; migration i brings the schema to
// version i+1. Never edit a released step: append a new one.
var migrations = []string{
	`CREATE TABLE articles (
		id         TEXT PRIMARY KEY,
		source     TEXT NOT NULL,
		title      TEXT NOT NULL,
		url        TEXT NOT NULL,
		lang       TEXT NOT NULL,
		body       TEXT NOT NULL,
		published  INTEGER NOT NULL,
		seen_at    INTEGER NOT NULL,
		matches    TEXT NOT NULL,   -- JSON array of rule names
		result     TEXT             -- JSON of the scoring result
	);
	CREATE INDEX articles_seen_at ON articles(seen_at);
	CREATE TABLE seen_keys (
		key        TEXT PRIMARY KEY,
		article_id TEXT NOT NULL,
		seen_at    INTEGER NOT NULL
	);
	CREATE TABLE outbox (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		alert_id     TEXT NOT NULL UNIQUE,
		notifier     TEXT NOT NULL,
		article_id   TEXT NOT NULL,
		rules        TEXT NOT NULL,   -- JSON array of rule names
		payload      BLOB NOT NULL,   -- the alert JSON, delivered as is
		status       TEXT NOT NULL,   -- pending, delivered, dead
		attempts     INTEGER NOT NULL DEFAULT 0,
		created_at   INTEGER NOT NULL,
		next_attempt INTEGER NOT NULL,
		delivered_at INTEGER NOT NULL DEFAULT 0,
		last_error   TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX outbox_due ON outbox(status, next_attempt);
	CREATE TABLE feeds (
		name          TEXT PRIMARY KEY,
		url           TEXT NOT NULL,
		etag          TEXT NOT NULL,
		last_modified TEXT NOT NULL,
		failures      INTEGER NOT NULL,
		next_attempt  INTEGER NOT NULL,
		last_status   INTEGER NOT NULL,
		last_error    TEXT NOT NULL,
		last_success  INTEGER NOT NULL,
		last_checked  INTEGER NOT NULL
	);`,
	// Silences (see silences.go); an outbox row names the silences that
	// removed rules from its alert, and a wholly silenced alert is kept
	// with status 'silenced'.
	`CREATE TABLE silences (
		id         TEXT PRIMARY KEY,
		rules      TEXT NOT NULL,   -- JSON array of rule names
		labels     TEXT NOT NULL,   -- JSON object of label values
		source     TEXT NOT NULL,   -- glob on the article's source, '' for any
		starts_at  INTEGER NOT NULL,
		ends_at    INTEGER NOT NULL,
		reason     TEXT NOT NULL,
		author     TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expired_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX silences_ends_at ON silences(ends_at);
	ALTER TABLE outbox ADD COLUMN silenced_by TEXT NOT NULL DEFAULT '[]';`,
	// Stories (stories.go): the articles that alerted, grouped by event,
	// and where each destination threads a story's alerts. IF NOT EXISTS:
	// a test may rebuild an older version with these tables left in.
	`CREATE TABLE IF NOT EXISTS stories (
		id               TEXT PRIMARY KEY,
		first_alert_id   TEXT NOT NULL,
		first_article_id TEXT NOT NULL,
		created_at       INTEGER NOT NULL,
		last_at          INTEGER NOT NULL,
		articles         INTEGER NOT NULL
	);
	CREATE INDEX IF NOT EXISTS stories_last_at ON stories(last_at);
	CREATE TABLE IF NOT EXISTS story_members (
		article_id TEXT PRIMARY KEY,
		story_id   TEXT NOT NULL,
		position   INTEGER NOT NULL,
		alert_id   TEXT NOT NULL,
		url_key    TEXT NOT NULL,
		title_key  TEXT NOT NULL,
		signature  BLOB,             -- MinHash of the text; NULL when too short
		seen_at    INTEGER NOT NULL
	);
	CREATE INDEX IF NOT EXISTS story_members_story ON story_members(story_id, position);
	CREATE INDEX IF NOT EXISTS story_members_seen_at ON story_members(seen_at);
	CREATE TABLE IF NOT EXISTS story_threads (
		story_id      TEXT NOT NULL,
		notifier      TEXT NOT NULL,
		root          TEXT NOT NULL,  -- the destination's id of the first message (Slack ts)
		root_alert_id TEXT NOT NULL,
		state         BLOB,           -- what the notifier keeps between messages
		updated_at    INTEGER NOT NULL,
		PRIMARY KEY (story_id, notifier)
	);
	CREATE INDEX IF NOT EXISTS story_threads_updated_at ON story_threads(updated_at);
	CREATE INDEX IF NOT EXISTS outbox_article ON outbox(article_id);`,
	// Rate limits and digests (see digests.go): an alert past its
	// destination's max_per_hour, or of digest rules only, is kept with
	// status 'queued' until a digest takes it; it is then 'digested', with
	// the alert id of the digest that carried it.
	`ALTER TABLE outbox ADD COLUMN digest_id TEXT NOT NULL DEFAULT '';
	CREATE INDEX outbox_notifier ON outbox(notifier, status, created_at);`,
}

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.insArticle, `INSERT INTO articles (id, source, title, url, lang, body, published, seen_at, matches, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.insKey, `INSERT OR IGNORE INTO seen_keys (key, article_id, seen_at) VALUES (?, ?, ?)`},
		{&s.insAlert, `INSERT INTO outbox (alert_id, notifier, article_id, rules, payload, status, created_at, next_attempt, silenced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.seenKey, `SELECT 1 FROM seen_keys WHERE key = ?`},
		{&s.delivered, `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = '' WHERE id = ?`},
	} {
		st, err := s.w.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.insArticle, s.insKey, s.insAlert, s.seenKey, s.delivered} {
		if st != nil {
			st.Close()
		}
	}
	err := errors.Join(s.r.Close(), s.w.Close())
	if s.lock != nil {
		// Last: the lock is free only once the database is closed.
		err = errors.Join(err, s.lock.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// parseList reads a JSON array of strings written by jsonList.
func parseList(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("list %.40q: %w", s, err)
	}
	return v, nil
}
