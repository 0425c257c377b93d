// Package router turns an article's scoring result into the alerts the
// outbox holds: one alert per destination, listing every match routed
// there (a rule's notify list, else the config's default_notify), each
// with an id that is the same across retries and restarts. Silences in
// force take the rules they match out of an alert; an alert left with no
// rule is kept with status silenced and never sent.
package router

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/store"
)

// AlertID is the stable id of the alert for one article and destination:
// the same across retries and restarts (it is the webhook-id).
func AlertID(articleID, dest string) string {
	h := sha256.Sum256([]byte(articleID + "\x00" + dest))
	return "wf_" + hex.EncodeToString(h[:16])
}

// Dests are the destinations of a match: its rule's notify list, else
// defaultNotify.
func Dests(m engine.Match, defaultNotify []string) []string {
	if len(m.Notify) > 0 {
		return m.Notify
	}
	return defaultNotify
}

// Routed is what Route made of one result.
type Routed struct {
	// Alerts are the outbox rows to commit with the article.
	Alerts []store.NewAlert
	// Silenced are, per alert that silences touched, what they removed:
	// count them (silences.Metrics.Observe) once the article is committed
	// as new.
	Silenced []silences.Filtered
}

// Params are what routing needs beyond the result.
type Params struct {
	// DefaultNotify are the destinations of a rule without notify.
	DefaultNotify []string
	// Silences are the silences in force.
	Silences []silences.Silence
	// Story is the story the article belongs to, carried by every alert;
	// nil leaves it out.
	Story *notifiers.Story
}

// Route groups the matches of res by destination: a match goes where its
// rule's notify list says, else to p.DefaultNotify. Destinations come in the
// order their first match names them, and each alert lists its matches in
// the result's order. The silences in p.Silences remove the matches they
// match: an alert carries the rest, and one left with none is kept, as it
// would have been, with status silenced. The payload of each alert is the
// pinned alert JSON.
func Route(res engine.Result, p Params, now time.Time) (Routed, error) {
	var order []string
	by := map[string][]engine.Match{}
	for _, m := range res.Matches {
		for _, dest := range Dests(m, p.DefaultNotify) {
			if _, ok := by[dest]; !ok {
				order = append(order, dest)
			}
			by[dest] = append(by[dest], m)
		}
	}
	out := Routed{Alerts: make([]store.NewAlert, 0, len(order))}
	for _, dest := range order {
		ms := by[dest]
		f := silences.Filter(p.Silences, ms, res.Article.Source, now)
		if len(f.Removed) > 0 {
			out.Silenced = append(out.Silenced, f)
			if !f.Silenced() {
				ms = f.Kept
			}
		}
		al := notifiers.Alert{ID: AlertID(res.Article.ID, dest), CreatedAt: now.UTC(), Article: res.Article, Matches: ms, Summary: res.Summary, Story: p.Story}
		payload, err := json.Marshal(al)
		if err != nil {
			return Routed{}, fmt.Errorf("router: encode alert: %w", err)
		}
		rules := make([]string, len(ms))
		for i, m := range ms {
			rules[i] = m.Rule
		}
		out.Alerts = append(out.Alerts, store.NewAlert{AlertID: al.ID, Notifier: dest, ArticleID: res.Article.ID, Rules: rules, Payload: payload,
			Status: f.Status(), SilencedBy: f.SilenceIDs()})
	}
	return out, nil
}
