package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/watchfloor/watchfloor/internal/textcut"
	"github.com/watchfloor/watchfloor/notifiers"
)

// threadState is what a story's thread keeps between its messages: the
// channel the first message went to, the highest severity shown so far,
// and the rules and fields shown, to tell what a reply adds.
type threadState struct {
	Channel  string   `json:"channel,omitempty"`
	Severity string   `json:"severity"`
	Rules    []string `json:"rules"`
	// Fields holds each event field shown, by "rule.field", as text.
	Fields map[string]string `json:"fields,omitempty"`
}

// severities in rising order.
var severities = []string{"info", "low", "medium", "high", "critical"}

func severityRank(s string) int { return slices.Index(severities, strings.ToLower(s)) }

// top returns the highest severity of an alert's matches.
func top(a notifiers.Alert) string {
	best := ""
	for _, m := range a.Matches {
		if best == "" || severityRank(m.Severity) > severityRank(best) {
			best = m.Severity
		}
	}
	return best
}

// NotifyThread posts an alert of a story once: with no thread yet, as a
// full message whose ts becomes the thread's root; else as a one-line
// reply in the thread (ReplyLine), broadcast to the channel too when the
// alert's severity is higher than any the story showed before. An
// incoming webhook cannot thread: it posts a full message and returns a
// zero Thread.
func (n *Notifier) NotifyThread(ctx context.Context, a notifiers.Alert, th notifiers.Thread) (notifiers.Thread, bool, error) {
	if n.api == nil {
		retry, err := n.Notify(ctx, a)
		return notifiers.Thread{}, retry, err
	}
	var st threadState
	if len(th.State) > 0 {
		// A state that does not decode only loses what is new.
		_ = json.Unmarshal(th.State, &st)
	}
	if th.Root == "" {
		ch, ts, err := n.api.PostMessageContext(ctx, n.cfg.Channel, slack.MsgOptionBlocks(Blocks(a)...), slack.MsgOptionText(Fallback(a), false))
		if retry, err := classify(err); err != nil {
			return th, retry, err
		}
		st = threadState{Channel: ch}
		st.add(a)
		return notifiers.Thread{Root: ts, State: st.encode()}, false, nil
	}
	opts := []slack.MsgOption{slack.MsgOptionText(ReplyLine(a, th.State), false), slack.MsgOptionTS(th.Root)}
	if severityRank(top(a)) > severityRank(st.Severity) {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	ch := st.Channel
	if ch == "" {
		ch = n.cfg.Channel
	}
	if _, _, err := n.api.PostMessageContext(ctx, ch, opts...); err != nil {
		retry, err := classify(err)
		return th, retry, err
	}
	st.add(a)
	return notifiers.Thread{Root: th.Root, State: st.encode()}, false, nil
}

// add records what an alert showed.
func (st *threadState) add(a notifiers.Alert) {
	if s := top(a); st.Severity == "" || severityRank(s) > severityRank(st.Severity) {
		st.Severity = s
	}
	for _, m := range a.Matches {
		if !slices.Contains(st.Rules, m.Rule) {
			st.Rules = append(st.Rules, m.Rule)
		}
		for k, v := range m.Fields {
			if st.Fields == nil {
				st.Fields = map[string]string{}
			}
			st.Fields[m.Rule+"."+k] = notifiers.FieldText(v)
		}
	}
}

func (st *threadState) encode() []byte {
	b, _ := json.Marshal(st)
	return b
}

// ReplyLine is the one line a later alert of a story posts in its thread:
// the source, the title linked to the article, and what the story had not
// shown before, given the thread's state: rules that had not matched, and
// event fields that are new or changed ("killed: 15 (was 12)"). All text
// from the article is escaped.
func ReplyLine(a notifiers.Alert, state []byte) string {
	var st threadState
	_ = json.Unmarshal(state, &st)
	title := a.Article.Title
	if title == "" {
		title = "(untitled)"
	}
	link := cutEscaped(title, 300)
	if a.Article.URL != "" && !strings.ContainsAny(a.Article.URL, "<>| ") {
		link = "<" + escape(a.Article.URL) + "|" + link + ">"
	}
	parts := []string{cutEscaped(a.Article.Source, 200), link}
	var news []string
	for _, m := range a.Matches {
		if !slices.Contains(st.Rules, m.Rule) {
			news = append(news, fmt.Sprintf("new rule %s (%s)", escape(m.Rule), escape(m.Severity)))
		}
		for _, k := range notifiers.FieldNames(m.Fields) {
			v := notifiers.FieldText(m.Fields[k])
			old, seen := st.Fields[m.Rule+"."+k]
			switch {
			case !seen:
				news = append(news, cutEscaped(k+": "+v, 200))
			case old != v:
				news = append(news, cutEscaped(fmt.Sprintf("%s: %s (was %s)", k, v, old), 300))
			}
		}
	}
	if len(news) > 0 {
		parts = append(parts, strings.Join(news, ", "))
	}
	return textcut.Runes(strings.Join(parts, " · "), maxFallback)
}
