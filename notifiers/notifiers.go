// Package notifiers delivers alerts. A Notifier makes exactly one attempt
// to deliver an Alert to one destination (Slack, a webhook, the log) and
// says whether a failure is worth retrying; the Dispatcher is the one
// place where delivery is retried, with exponential backoff and jitter,
// from the durable outbox, until the alert is delivered or too old and
// becomes a dead letter.
package notifiers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

// Alert is one notification: one article and every match routed to one
// destination.
type Alert struct {
	// ID is stable across retries and restarts (the webhook-id).
	ID        string
	CreatedAt time.Time
	Article   engine.Article
	Matches   []engine.Match
	Summary   []string
	// Story is the story the article belongs to; nil only for an alert
	// made without one.
	Story *Story
}

// Story is the pinned "story" of an alert: the story's id, the id of its
// first alert, and the article's position in it (1 for the first).
type Story struct {
	ID           string `json:"id"`
	FirstAlertID string `json:"first_alert_id"`
	Position     int    `json:"position"`
}

// alertJSON is the pinned webhook body.
type alertJSON struct {
	Version   string         `json:"version"`
	ID        string         `json:"id"`
	CreatedAt string         `json:"created_at"`
	Article   articleJSON    `json:"article"`
	Matches   []engine.Match `json:"matches"`
	Summary   []string       `json:"summary"`
	Story     *Story         `json:"story,omitempty"`
}

type articleJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	URL       string `json:"url"`
	Source    string `json:"source"`
	Published string `json:"published"`
}

// MarshalJSON renders the pinned webhook body.
func (a Alert) MarshalJSON() ([]byte, error) {
	summary := a.Summary
	if summary == nil {
		summary = []string{}
	}
	return json.Marshal(alertJSON{
		Version:   "1",
		ID:        a.ID,
		CreatedAt: engine.FormatTime(a.CreatedAt),
		Article: articleJSON{ID: a.Article.ID, Title: a.Article.Title, URL: a.Article.URL, Source: a.Article.Source,
			Published: engine.FormatTime(a.Article.Published)},
		Matches: engine.NonNilMatches(a.Matches),
		Summary: summary,
		Story:   a.Story,
	})
}

// UnmarshalJSON reads the webhook body back (the outbox stores it).
func (a *Alert) UnmarshalJSON(b []byte) error {
	var j alertJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("notifiers: alert: %w", err)
	}
	if j.Version != "1" {
		return fmt.Errorf("notifiers: alert: unknown version %q", j.Version)
	}
	*a = Alert{ID: j.ID, Matches: j.Matches, Summary: j.Summary, Story: j.Story,
		Article: engine.Article{ID: j.Article.ID, Title: j.Article.Title, URL: j.Article.URL, Source: j.Article.Source}}
	if j.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339, j.CreatedAt)
		if err != nil {
			return fmt.Errorf("notifiers: alert: created_at: %w", err)
		}
		a.CreatedAt = t
	}
	if j.Article.Published != "" {
		t, err := time.Parse(time.RFC3339, j.Article.Published)
		if err != nil {
			return fmt.Errorf("notifiers: alert: published: %w", err)
		}
		a.Article.Published = t
	}
	return nil
}

// Notifier delivers alerts to one destination. Notify makes exactly one
// attempt; when it fails, retry says whether another attempt could
// succeed (network errors, timeouts, 408, 429, 5xx) or not (other 4xx,
// bad configuration). Notify must be safe for concurrent use.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, a Alert) (retry bool, err error)
}

// PayloadNotifier is a Notifier that can deliver the stored alert JSON
// (the pinned webhook body) as it is; the Dispatcher then skips decoding
// and re-encoding it.
type PayloadNotifier interface {
	Notifier
	NotifyPayload(ctx context.Context, id string, payload []byte) (retry bool, err error)
}

// RetryAfterError carries a delay the destination asked for (HTTP 429 or
// 503 with Retry-After, Slack rate limits); the Dispatcher waits that
// long, but no longer than its MaxBackoff nor past the alert's MaxAge.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

// Error is the destination's error; the delay shows where the retry is
// scheduled.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the destination's error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryableStatus reports whether an HTTP status is worth retrying.
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}
