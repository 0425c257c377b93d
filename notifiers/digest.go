package notifiers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

// Digest is one message holding the alerts that waited for a
// destination's digest (over its max_per_hour, or of rules with delivery:
// digest). Its JSON is the pinned digest payload:
//
//	{"version":"1","id":"…","created_at":"…","digest":true,"alerts":[<alert>, …]}
//
// where each alert is the pinned alert JSON as it was queued, grouped by
// story, then by rule (see GroupDigest). A webhook receives it as it is,
// signed like any alert, with the digest's id as webhook-id.
type Digest struct {
	// ID is stable across retries and restarts (the webhook-id).
	ID        string
	CreatedAt time.Time
	// Alerts are the alert payloads, each the pinned alert JSON.
	Alerts []json.RawMessage
}

type digestJSON struct {
	Version   string            `json:"version"`
	ID        string            `json:"id"`
	CreatedAt string            `json:"created_at"`
	Digest    bool              `json:"digest"`
	Alerts    []json.RawMessage `json:"alerts"`
}

// MarshalJSON renders the pinned digest payload.
func (d Digest) MarshalJSON() ([]byte, error) {
	alerts := d.Alerts
	if alerts == nil {
		alerts = []json.RawMessage{}
	}
	return json.Marshal(digestJSON{Version: "1", ID: d.ID, CreatedAt: engine.FormatTime(d.CreatedAt), Digest: true, Alerts: alerts})
}

// UnmarshalJSON reads a digest payload back.
func (d *Digest) UnmarshalJSON(b []byte) error {
	var j digestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("notifiers: digest: %w", err)
	}
	if j.Version != "1" || !j.Digest {
		return fmt.Errorf("notifiers: digest: not a digest of version 1 (version %q, digest %v)", j.Version, j.Digest)
	}
	*d = Digest{ID: j.ID, Alerts: j.Alerts}
	if j.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339, j.CreatedAt)
		if err != nil {
			return fmt.Errorf("notifiers: digest: created_at: %w", err)
		}
		d.CreatedAt = t
	}
	return nil
}

// digestMark is in the JSON of every digest and of no alert: inside an
// alert's strings a quote is escaped.
var digestMark = []byte(`"digest":true`)

// IsDigest reports whether a stored outbox payload is a digest rather
// than one alert.
func IsDigest(payload []byte) bool {
	if !bytes.Contains(payload, digestMark) {
		return false
	}
	var j struct {
		Digest bool `json:"digest"`
	}
	return json.Unmarshal(payload, &j) == nil && j.Digest
}

// DigestNotifier is a Notifier that renders a digest in a form of its own
// (Slack: one message with a section per group; the log: one line).
// NotifyDigest makes one attempt, as Notify does; payload is the digest's
// pinned JSON. A notifier that is neither a DigestNotifier nor a
// PayloadNotifier cannot take digests: a digest for it is a dead letter.
// A PayloadNotifier that is not a DigestNotifier (the webhook) gets the
// payload as it is, through NotifyPayload.
type DigestNotifier interface {
	Notifier
	NotifyDigest(ctx context.Context, d Digest, payload []byte) (retry bool, err error)
}

// errNoDigests is the failure of a digest for a notifier that cannot take
// one; it is not retried.
var errNoDigests = errors.New("notifiers: this notifier cannot deliver digests")

// notifyDigest makes one attempt at delivering the digest payload through
// n.
func notifyDigest(ctx context.Context, n Notifier, id string, payload []byte) (retry bool, err error) {
	if dn, ok := n.(DigestNotifier); ok {
		var d Digest
		if err := json.Unmarshal(payload, &d); err != nil {
			return false, err
		}
		return dn.NotifyDigest(ctx, d, payload)
	}
	if pn, ok := n.(PayloadNotifier); ok {
		return pn.NotifyPayload(ctx, id, payload)
	}
	return false, errNoDigests
}

// DigestEntry is one alert of a digest, decoded.
type DigestEntry struct {
	Alert Alert
	// StoryID is the id of the alert's story, "" when it has none.
	StoryID string
	// Raw is the alert's pinned JSON, as queued.
	Raw json.RawMessage
}

// DigestGroup is the alerts of a digest that share a story (or have
// none) and a rule: their first, highest-scoring, match's.
type DigestGroup struct {
	StoryID string
	Rule    string
	Entries []DigestEntry
}

// DecodeDigest decodes the alerts of a digest (see DigestEntries).
func DecodeDigest(d Digest) ([]DigestEntry, error) {
	es, err := DigestEntries(d.Alerts)
	if err != nil {
		return nil, fmt.Errorf("notifiers: digest %s: %w", d.ID, err)
	}
	return es, nil
}

// DigestEntries decodes alert payloads, each the pinned alert JSON. An
// alert that cannot be decoded is an error naming its place and id.
func DigestEntries(alerts []json.RawMessage) ([]DigestEntry, error) {
	out := make([]DigestEntry, 0, len(alerts))
	for i, raw := range alerts {
		e := DigestEntry{Raw: raw}
		var s struct {
			ID    string `json:"id"`
			Story *struct {
				ID string `json:"id"`
			} `json:"story"`
		}
		if err := json.Unmarshal(raw, &e.Alert); err != nil {
			_ = json.Unmarshal(raw, &s)
			return nil, fmt.Errorf("alert %d (%q): %w", i+1, s.ID, err)
		}
		if err := json.Unmarshal(raw, &s); err == nil && s.Story != nil {
			e.StoryID = s.Story.ID
		}
		out = append(out, e)
	}
	return out, nil
}

// GroupDigest groups the alerts of a digest by story, then by rule (the
// first match's), keeping the order of first appearance: a story's
// groups follow each other, in the order their rules first appear in it,
// and the alerts without a story come together as one story "". Within a
// group, alerts keep their order.
func GroupDigest(entries []DigestEntry) []DigestGroup {
	type key struct{ story, rule string }
	storyAt := map[string]int{}
	var stories [][]key
	groups := map[key]*DigestGroup{}
	for _, e := range entries {
		k := key{story: e.StoryID}
		if len(e.Alert.Matches) > 0 {
			k.rule = e.Alert.Matches[0].Rule
		}
		g, ok := groups[k]
		if !ok {
			g = &DigestGroup{StoryID: k.story, Rule: k.rule}
			groups[k] = g
			i, ok := storyAt[k.story]
			if !ok {
				i = len(stories)
				storyAt[k.story] = i
				stories = append(stories, nil)
			}
			stories[i] = append(stories[i], k)
		}
		g.Entries = append(g.Entries, e)
	}
	var out []DigestGroup
	for _, ks := range stories {
		for _, k := range ks {
			out = append(out, *groups[k])
		}
	}
	return out
}
