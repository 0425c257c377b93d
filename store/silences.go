package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outbox statuses an alert is enqueued with (see NewAlert.Status).
const (
	// StatusPending is an alert waiting for delivery.
	StatusPending = "pending"
	// StatusSilenced is an alert whose every rule was silenced: it is kept
	// as history, never picked up for delivery and never sent later, not
	// even once the silence has ended.
	StatusSilenced = "silenced"
)

// Silence is a stored silence: for a while, alerts stop carrying the rules
// it matches (package silences says how it matches). Silences are never
// deleted: outbox rows with status silenced name them, so the reason and
// the author of a silenced alert stay at hand (the rows are small; a desk
// adds a few a day).
type Silence struct {
	// ID is short, unique and URL-safe; AddSilence sets it.
	ID string
	// Rules, Labels and Source are the matchers; an empty one matches
	// anything.
	Rules  []string
	Labels map[string]string
	Source string // a path.Match glob on the article's source
	// StartsAt and EndsAt bound the silence: it is active in
	// [StartsAt, EndsAt), unless expired earlier (ExpiredAt).
	StartsAt, EndsAt time.Time
	Reason, Author   string
	CreatedAt        time.Time
	// ExpiredAt is when the silence was expired by hand; zero if it was not.
	ExpiredAt time.Time
}

// End is when the silence ends or ended: EndsAt, or ExpiredAt when it was
// expired before then.
func (s Silence) End() time.Time {
	if !s.ExpiredAt.IsZero() && s.ExpiredAt.Before(s.EndsAt) {
		return s.ExpiredAt
	}
	return s.EndsAt
}

// ActiveAt reports whether the silence is in force at t.
func (s Silence) ActiveAt(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.End())
}

// newSilenceID returns 64 random bits in lower-case base32 (13
// characters, URL-safe).
func newSilenceID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])), nil
}

// AddSilence stores a new silence and returns it with its ID (and
// CreatedAt, when zero, set to now). The store checks only that it ends
// after it starts; package silences validates the rest. It is durable
// when AddSilence returns.
func (s *Store) AddSilence(ctx context.Context, sil Silence) (Silence, error) {
	if !sil.EndsAt.After(sil.StartsAt) {
		return sil, errors.New("store: add silence: it must end after it starts")
	}
	if sil.CreatedAt.IsZero() {
		sil.CreatedAt = time.Now().UTC()
	}
	labels := sil.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	lb, err := json.Marshal(labels)
	if err != nil {
		return sil, fmt.Errorf("store: add silence: %w", err)
	}
	// A collision of 64 random bits is not expected; the primary key would
	// refuse it rather than overwrite.
	if sil.ID, err = newSilenceID(); err != nil {
		return sil, fmt.Errorf("store: add silence: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO silences (id, rules, labels, source, starts_at, ends_at, reason, author, created_at, expired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sil.ID, jsonList(sil.Rules), string(lb), sil.Source, nanos(sil.StartsAt), nanos(sil.EndsAt), sil.Reason, sil.Author, nanos(sil.CreatedAt), nanos(sil.ExpiredAt))
	if err != nil {
		return sil, fmt.Errorf("store: add silence: %w", err)
	}
	return sil, nil
}

const silenceCols = `id, rules, labels, source, starts_at, ends_at, reason, author, created_at, expired_at`

// silenceEnd is the SQL of Silence.End.
const silenceEnd = `(CASE WHEN expired_at > 0 AND expired_at < ends_at THEN expired_at ELSE ends_at END)`

func scanSilence(sc scanner) (Silence, error) {
	var sil Silence
	var rules, labels string
	var starts, ends, created, expired int64
	if err := sc.Scan(&sil.ID, &rules, &labels, &sil.Source, &starts, &ends, &sil.Reason, &sil.Author, &created, &expired); err != nil {
		return sil, err
	}
	var err error
	if sil.Rules, err = parseList(rules); err != nil {
		return sil, fmt.Errorf("silence %s: rules: %w", sil.ID, err)
	}
	if err := json.Unmarshal([]byte(labels), &sil.Labels); err != nil {
		return sil, fmt.Errorf("silence %s: labels %.40q: %w", sil.ID, labels, err)
	}
	sil.StartsAt, sil.EndsAt, sil.CreatedAt, sil.ExpiredAt = fromNanos(starts), fromNanos(ends), fromNanos(created), fromNanos(expired)
	return sil, nil
}

// Silence returns one silence by id, however long ago it ended, or
// ErrNotFound.
func (s *Store) Silence(ctx context.Context, id string) (Silence, error) {
	sil, err := scanSilence(s.r.QueryRowContext(ctx, `SELECT `+silenceCols+` FROM silences WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sil, ErrNotFound
	}
	if err != nil {
		return sil, fmt.Errorf("store: silence %s: %w", id, err)
	}
	return sil, nil
}

// Silences returns the silences that end (see Silence.End) after since:
// with since = now, those active or yet to start; with since a week ago,
// also those that ended in the last week. Newest first.
func (s *Store) Silences(ctx context.Context, since time.Time) ([]Silence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+silenceCols+` FROM silences WHERE `+silenceEnd+` > ? ORDER BY created_at DESC, id`, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("store: silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		sil, err := scanSilence(rows)
		if err != nil {
			return nil, fmt.Errorf("store: silences: %w", err)
		}
		out = append(out, sil)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: silences: %w", err)
	}
	return out, nil
}

// ExpireSilence ends the silence id at now and returns it; a silence that
// has already ended is returned unchanged. It returns ErrNotFound for an
// unknown id. It is durable when it returns.
func (s *Store) ExpireSilence(ctx context.Context, id string, now time.Time) (Silence, error) {
	_, err := s.w.ExecContext(ctx, `UPDATE silences SET expired_at = ? WHERE id = ? AND `+silenceEnd+` > ?`, nanos(now), id, nanos(now))
	if err != nil {
		return Silence{}, fmt.Errorf("store: expire silence %s: %w", id, err)
	}
	return s.Silence(ctx, id)
}
