// Package silences mutes alerts for a while, as Alertmanager's silences do,
// for news: a desk that already follows a story silences the rule, the
// rule's labels or the source that keeps alerting on it.
//
// A silence has up to three matchers, and matches a rule of an article
// when every matcher it has matches:
//
//   - rules: the rule's name is one of the listed names;
//   - labels: every listed label of the rule has exactly the listed value
//     (a label the rule lacks does not match);
//   - source: the article's source (file:PATH, file:PATH#LINE,
//     feed:NAME) matches the glob, in path.Match syntax: * and ? do not
//     cross a '/', so feed:* silences every feed, and an inbox file's
//     glob names its directory (file:inbox/*).
//
// A silence has at least one matcher, and is in force from its start until
// it ends or is expired by hand. An alert carries every rule routed to one
// destination: the rules a silence matches leave the alert, and an alert
// left with no rule is kept in the outbox with status silenced and the
// silence ids, never sent, not even once the silence has ended (see
// Filter).
//
// Silences live in the store and survive restarts; ended ones are listed
// for a week (ListedFor) and kept after that, since silenced alerts name
// them. The daemon matches against a Cache of the silences in force,
// refreshed from the store (so silences added with the command line beside
// it take effect within RefreshEvery), and serves them over HTTP (Handler).
package silences

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/store"
)

// Silence is a stored silence.
type Silence = store.Silence

// Limits on a new silence.
const (
	// MaxDuration is the longest a silence may last: a silence forgotten
	// for longer than a month hides alerts nobody remembers muting.
	MaxDuration = 30 * 24 * time.Hour
	// ListedFor is how long an ended silence stays listed.
	ListedFor = 7 * 24 * time.Hour

	maxRules     = 100
	maxLabels    = 50
	maxFieldLen  = 200 // a rule name, label, source glob or author
	maxReasonLen = 2000
)

// Spec is a silence to add, as given on the command line or as the body of
// POST /api/v1/silences (pinned):
//
//	{"rules": ["NAME"], "labels": {"k": "v"}, "source": "GLOB",
//	 "duration": "6h", "reason": "…", "author": "…"}
type Spec struct {
	Rules  []string          `json:"rules,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Source string            `json:"source,omitempty"`
	// Duration is a Go duration ("30m", "6h") or one with whole days in
	// front ("2d", "1d12h"); the silence starts when it is added.
	Duration string `json:"duration"`
	Reason   string `json:"reason"`
	Author   string `json:"author"`
}

// InvalidError is a Spec that cannot be a silence; Problems says why, one
// problem each.
type InvalidError struct {
	Problems []string
}

// Error lists the problems in one line.
func (e *InvalidError) Error() string {
	return "silences: invalid silence: " + strings.Join(e.Problems, "; ")
}

// New validates spec and returns the silence it asks for, starting at now,
// not yet stored (its ID is empty). A spec that cannot be a silence is an
// *InvalidError listing every problem.
func New(spec Spec, now time.Time) (Silence, error) {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if len(spec.Rules) == 0 && len(spec.Labels) == 0 && spec.Source == "" {
		bad("give at least one matcher: a rule, a label or a source")
	}
	if len(spec.Rules) > maxRules {
		bad("%d rules: at most %d", len(spec.Rules), maxRules)
	}
	seen := map[string]bool{}
	for _, r := range spec.Rules {
		switch {
		case strings.TrimSpace(r) == "":
			bad("empty rule name")
		case r != strings.TrimSpace(r) || strings.ContainsFunc(r, unicode.IsControl):
			bad("rule name %q has surrounding spaces or control characters", r)
		case len(r) > maxFieldLen:
			bad("rule name %.40q…: longer than %d bytes", r, maxFieldLen)
		case seen[r]:
			bad("rule %q given twice", r)
		}
		seen[r] = true
	}
	if len(spec.Labels) > maxLabels {
		bad("%d labels: at most %d", len(spec.Labels), maxLabels)
	}
	for k, v := range spec.Labels {
		if err := checkLabel(k, v); err != nil {
			bad("%v", err)
		}
	}
	if spec.Source != "" {
		if _, err := path.Match(spec.Source, ""); err != nil {
			bad("source %q is not a valid glob (path.Match syntax: *, ?, [a-z], \\ escapes)", spec.Source)
		} else if len(spec.Source) > maxFieldLen {
			bad("source glob longer than %d bytes", maxFieldLen)
		}
	}
	var d time.Duration
	if strings.TrimSpace(spec.Duration) == "" {
		bad("give a duration, such as 30m, 6h or 2d")
	} else if v, err := config.ParseDuration(spec.Duration); err != nil {
		bad("duration %q: want a duration such as 30m, 6h or 2d", spec.Duration)
	} else if v <= 0 {
		bad("duration %s: must be more than zero", spec.Duration)
	} else if v > MaxDuration {
		bad("duration %s: at most %s (30d), so that no silence is forgotten", spec.Duration, config.Duration(MaxDuration))
	} else {
		d = v
	}
	switch reason := strings.TrimSpace(spec.Reason); {
	case reason == "":
		bad("give a reason: why the alerts are muted, for whoever reads the list")
	case len(reason) > maxReasonLen:
		bad("reason longer than %d bytes", maxReasonLen)
	}
	switch author := strings.TrimSpace(spec.Author); {
	case author == "":
		bad("give an author")
	case len(author) > maxFieldLen:
		bad("author longer than %d bytes", maxFieldLen)
	}
	if len(probs) > 0 {
		return Silence{}, &InvalidError{Problems: probs}
	}
	now = now.UTC()
	var rules []string
	if len(spec.Rules) > 0 {
		rules = append(rules, spec.Rules...)
	}
	labels := make(map[string]string, len(spec.Labels))
	for k, v := range spec.Labels {
		labels[k] = v
	}
	return Silence{
		Rules: rules, Labels: labels, Source: spec.Source,
		StartsAt: now, EndsAt: now.Add(d), CreatedAt: now,
		Reason: strings.TrimSpace(spec.Reason), Author: strings.TrimSpace(spec.Author),
	}, nil
}

func checkLabel(k, v string) error {
	switch {
	case k == "":
		return fmt.Errorf("label =%q: empty name", v)
	case k != strings.TrimSpace(k) || strings.ContainsAny(k, "=") || strings.ContainsFunc(k, unicode.IsControl):
		return fmt.Errorf("label name %q: no '=', surrounding spaces or control characters", k)
	case v == "":
		return fmt.Errorf("label %s: empty value", k)
	case len(k)+len(v) > maxFieldLen:
		return fmt.Errorf("label %s: longer than %d bytes", k, maxFieldLen)
	}
	return nil
}

// ParseLabel reads a label matcher written k=v (the command line's
// --label): the name is up to the first '='; neither may be empty.
func ParseLabel(s string) (k, v string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("silences: label %q: write it NAME=VALUE", s)
	}
	if err := checkLabel(k, v); err != nil {
		return "", "", fmt.Errorf("silences: %w", err)
	}
	return k, v, nil
}

// Add validates spec (see New), stores the silence it asks for, starting
// at now, and returns it with its ID. It is durable when Add returns.
func Add(ctx context.Context, st *store.Store, spec Spec, now time.Time) (Silence, error) {
	sil, err := New(spec, now)
	if err != nil {
		return sil, err
	}
	sil, err = st.AddSilence(ctx, sil)
	if err != nil {
		return sil, fmt.Errorf("silences: %w", err)
	}
	return sil, nil
}

// List returns the silences in force or yet to start at now and those
// that ended within ListedFor, newest first.
func List(ctx context.Context, st *store.Store, now time.Time) ([]Silence, error) {
	list, err := st.Silences(ctx, now.Add(-ListedFor))
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	return list, nil
}

// ErrNotFound is returned by Expire for an id that names no silence.
var ErrNotFound = errors.New("silences: no such silence")

// Expire ends the silence id at now, durably, and returns it; a silence
// that has already ended is returned as it is. An unknown id is
// ErrNotFound.
func Expire(ctx context.Context, st *store.Store, id string, now time.Time) (Silence, error) {
	sil, err := st.ExpireSilence(ctx, id, now)
	if errors.Is(err, store.ErrNotFound) {
		return sil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return sil, fmt.Errorf("silences: %w", err)
	}
	return sil, nil
}

// State is the state of a silence at a time: "active", "pending" (not yet
// started) or "expired" (ended, by time or by hand).
func State(s Silence, now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return "pending"
	case now.Before(s.End()):
		return "active"
	}
	return "expired"
}

// View is the JSON form of a silence, as the HTTP API answers and
// `silence list --format json` prints it; times are RFC 3339 in UTC.
type View struct {
	ID        string            `json:"id"`
	Rules     []string          `json:"rules"`
	Labels    map[string]string `json:"labels"`
	Source    string            `json:"source"`
	StartsAt  string            `json:"starts_at"`
	EndsAt    string            `json:"ends_at"`
	ExpiredAt string            `json:"expired_at,omitempty"`
	Reason    string            `json:"reason"`
	Author    string            `json:"author"`
	CreatedAt string            `json:"created_at"`
	// State is State(silence, now) when the view was made.
	State string `json:"state"`
}

// NewView returns the JSON form of s at now.
func NewView(s Silence, now time.Time) View {
	rules, labels := s.Rules, s.Labels
	if rules == nil {
		rules = []string{}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	v := View{
		ID: s.ID, Rules: rules, Labels: labels, Source: s.Source,
		StartsAt: rfc3339(s.StartsAt), EndsAt: rfc3339(s.EndsAt), ExpiredAt: rfc3339(s.ExpiredAt),
		Reason: s.Reason, Author: s.Author, CreatedAt: rfc3339(s.CreatedAt), State: State(s, now),
	}
	return v
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
