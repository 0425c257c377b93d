package engine

import (
	"encoding/json"
	"time"
)

// Evidence is one term of a matched rule that occurred in the article.
// The matches of one Result that share a term share its Positions and
// Snippets slices: treat them as read-only.
type Evidence struct {
	// Term is the term as written in the rule or lexicon.
	Term string `json:"term"`
	// Count is the number of token positions where the term starts.
	Count int `json:"count"`
	// Positions are the token positions where the term starts, in order.
	Positions []int `json:"positions"`
	// Snippets are up to three excerpts of about 160 characters, cut at word
	// boundaries, with the term marked **like this**. A Scorer with
	// LazySnippets leaves them nil until they are marshalled or cut
	// (Result.CutSnippets).
	Snippets []string `json:"snippets"`
	// lazy cuts Snippets when the Scorer left them for later.
	lazy *lazySnippets
}

// Match is one rule that matched an article.
type Match struct {
	Rule     string            `json:"rule"`
	Score    float64           `json:"score"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
	Evidence []Evidence        `json:"evidence"`
	// Fields are the rule's event fields (name → value), when it has any.
	Fields map[string]any `json:"fields,omitempty"`
	// Notify names the destinations of the rule; empty means the default.
	Notify []string `json:"-"`
	// Delivery is the rule's delivery: DeliveryImmediate ("" too) or
	// DeliveryDigest (see RuleSpec.Delivery).
	Delivery string `json:"-"`
	// Cooldown is the rule's cooldown, 0 for none (see RuleSpec.Cooldown).
	Cooldown time.Duration `json:"-"`
	// events are the token positions where the rule's conditions held
	// (near, same_sentence, numbers_near, before): their sentences lead
	// the summary.
	events []int32
}

// Deliveries of a rule's matches (RuleSpec.Delivery).
const (
	// DeliveryImmediate alerts at once, within the destination's
	// max_per_hour.
	DeliveryImmediate = "immediate"
	// DeliveryDigest waits for the destination's next digest.
	DeliveryDigest = "digest"
)

// Result is what scoring one article produced.
type Result struct {
	Article Article
	// Matches are the matching rules, highest score first, then by name.
	Matches []Match
	// Summary holds extracted sentences, verbatim, in document order.
	Summary []string
	// Errors are run-time failures of rule expressions; a failing rule does
	// not match.
	Errors []RuleError
}

// RuleError is a run-time failure of one rule on one article.
type RuleError struct {
	Rule string
	Err  error
}

func (e RuleError) Error() string { return "rule " + e.Rule + ": " + e.Err.Error() }

// jsonResult is the pinned JSON shape of a Result (classify --format json).
type jsonResult struct {
	ID        string   `json:"id"`
	Source    string   `json:"source"`
	Title     string   `json:"title"`
	URL       string   `json:"url"`
	Published string   `json:"published"`
	Matches   []Match  `json:"matches"`
	Summary   []string `json:"summary"`
}

// FormatTime renders t as RFC 3339 in UTC, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// MarshalJSON renders the pinned classify JSON object.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonResult{
		ID:        r.Article.ID,
		Source:    r.Article.Source,
		Title:     r.Article.Title,
		URL:       r.Article.URL,
		Published: FormatTime(r.Article.Published),
		Matches:   NonNilMatches(r.Matches),
		Summary:   nonNilStrings(r.Summary),
	})
}

// NonNilMatches returns ms, or an empty slice when ms is nil, with every
// nil Labels, Positions and Snippets replaced by an empty one, so JSON shows
// [] and {} rather than null, and the snippets a Scorer with LazySnippets
// left for later cut.
func NonNilMatches(ms []Match) []Match {
	if ms == nil {
		return []Match{}
	}
	out := make([]Match, len(ms))
	for i, m := range ms {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		if m.Evidence == nil {
			m.Evidence = []Evidence{}
		}
		ev := make([]Evidence, len(m.Evidence))
		for j, e := range m.Evidence {
			if e.Positions == nil {
				e.Positions = []int{}
			}
			e.Snippets = nonNilStrings(e.snippets())
			ev[j] = e
		}
		m.Evidence = ev
		out[i] = m
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
