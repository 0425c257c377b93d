// Package router turns an article's scoring result into the alerts the
// outbox holds: one alert per destination, listing every match routed
// there (a rule's notify list, else the config's default_notify), each
// with an id that is the same across retries and restarts.
package router

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// AlertID is the stable id of the alert for one article and destination:
// the same across retries and restarts (it is the webhook-id).
func AlertID(articleID, dest string) string {
	h := sha256.Sum256([]byte(articleID + "\x00" + dest))
	return "wf_" + hex.EncodeToString(h[:16])
}

// Route groups the matches of res by destination: a match goes where its
// rule's notify list says, else to defaultNotify. Destinations come in the
// order their first match names them, and each alert lists its matches in
// the result's order. The payload of each alert is the pinned alert JSON.
func Route(res engine.Result, defaultNotify []string, now time.Time) ([]store.NewAlert, error) {
	var order []string
	by := map[string][]engine.Match{}
	for _, m := range res.Matches {
		dests := m.Notify
		if len(dests) == 0 {
			dests = defaultNotify
		}
		for _, dest := range dests {
			if _, ok := by[dest]; !ok {
				order = append(order, dest)
			}
			by[dest] = append(by[dest], m)
		}
	}
	out := make([]store.NewAlert, 0, len(order))
	for _, dest := range order {
		ms := by[dest]
		al := notifiers.Alert{ID: AlertID(res.Article.ID, dest), CreatedAt: now.UTC(), Article: res.Article, Matches: ms, Summary: res.Summary}
		payload, err := json.Marshal(al)
		if err != nil {
			return nil, fmt.Errorf("router: encode alert: %w", err)
		}
		rules := make([]string, len(ms))
		for i, m := range ms {
			rules[i] = m.Rule
		}
		out = append(out, store.NewAlert{AlertID: al.ID, Notifier: dest, ArticleID: res.Article.ID, Rules: rules, Payload: payload})
	}
	return out, nil
}
