package slack

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/internal/textcut"
	"github.com/watchfloor/watchfloor/notifiers"
)

// maxDigestTitle is the length of an article's title in a digest line.
const maxDigestTitle = 200

// NotifyDigest posts the digest once, as one message: a header with the
// number of alerts, then a section per group of alerts (a story and a
// rule, see notifiers.GroupDigest) listing their titles with links, and a
// note of what Slack's limits left out.
func (n *Notifier) NotifyDigest(ctx context.Context, d notifiers.Digest, _ []byte) (bool, error) {
	entries, err := notifiers.DecodeDigest(d)
	if err != nil {
		return false, fmt.Errorf("slack: %w", err)
	}
	blocks := DigestBlocks(d, entries)
	text := DigestFallback(entries)
	if n.api != nil {
		_, _, err = n.api.PostMessageContext(ctx, n.cfg.Channel, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
	} else {
		err = slack.PostWebhookCustomHTTPContext(ctx, n.cfg.WebhookURL, n.cfg.Client, &slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
	}
	return classify(err)
}

// DigestBlocks renders a digest as Block Kit blocks within Slack's
// limits: at most maxBlocks blocks, each section within maxSection
// characters. Groups that do not fit are summed up in a last context
// block, and so are the alerts of a group that do not fit its section.
// Everything from an article is escaped.
func DigestBlocks(d notifiers.Digest, entries []notifiers.DigestEntry) []slack.Block {
	groups := notifiers.GroupDigest(entries)
	header := fmt.Sprintf("watchfloor digest: %d alerts", len(entries))
	if len(entries) == 1 {
		header = "watchfloor digest: 1 alert"
	}
	meta := fmt.Sprintf("%d groups", len(groups))
	if !d.CreatedAt.IsZero() {
		meta += " · " + d.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, textcut.Runes(header, maxHeader), false, false)),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, meta, false, false)),
	}
	// One block is kept for the note of the groups left out.
	room := maxBlocks - len(blocks)
	if len(groups) > room {
		room--
	}
	shown := groups[:min(len(groups), room)]
	for _, g := range shown {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, groupText(g), false, false), nil, nil))
	}
	if rest := groups[len(shown):]; len(rest) > 0 {
		n := 0
		for _, g := range rest {
			n += len(g.Entries)
		}
		note := fmt.Sprintf("+%d more groups with %d alerts", len(rest), n)
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
	}
	return blocks
}

// groupText is the section of one group: its rule, the highest severity
// of its alerts, its story, and a line per alert, as many as fit.
func groupText(g notifiers.DigestGroup) string {
	rule := g.Rule
	if rule == "" {
		rule = "(no rule)"
	}
	sev := ""
	for _, e := range g.Entries {
		if len(e.Alert.Matches) > 0 && engine.SeverityRank(e.Alert.Matches[0].Severity) > engine.SeverityRank(sev) {
			sev = e.Alert.Matches[0].Severity
		}
	}
	var b strings.Builder
	b.WriteString("*" + cutEscaped(rule, 200) + "*")
	if sev != "" {
		b.WriteString(" · " + escape(sev))
	}
	count := fmt.Sprintf("%d alerts", len(g.Entries))
	if len(g.Entries) == 1 {
		count = "1 alert"
	}
	b.WriteString(" · " + count)
	if g.StoryID != "" {
		b.WriteString(" · story " + cutEscaped(g.StoryID, 100))
	}
	for i, e := range g.Entries {
		line := "\n• " + digestLine(e.Alert)
		// Keep room for the note of the lines left out.
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line)+len("\n+00000 more") > maxSection {
			fmt.Fprintf(&b, "\n+%d more", len(g.Entries)-i)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// digestLine is one alert of a digest: its title, linked when the URL can
// be, and its source.
func digestLine(a notifiers.Alert) string {
	title := a.Article.Title
	if title == "" {
		title = "(untitled)"
	}
	s := cutEscaped(title, maxDigestTitle)
	if u := a.Article.URL; u != "" && !strings.ContainsAny(u, "<>| ") && len(u) <= 500 {
		s = "<" + escape(u) + "|" + s + ">"
	}
	if a.Article.Source != "" {
		s += " · " + cutEscaped(a.Article.Source, 100)
	}
	return s
}

// DigestFallback is the digest's message text, for notifications and
// clients without blocks: the count and the rules with their counts,
// escaped.
func DigestFallback(entries []notifiers.DigestEntry) string {
	var rules []string
	count := map[string]int{}
	for _, e := range entries {
		r := "(no rule)"
		if len(e.Alert.Matches) > 0 {
			r = e.Alert.Matches[0].Rule
		}
		if count[r] == 0 {
			rules = append(rules, r)
		}
		count[r]++
	}
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = fmt.Sprintf("%s (%d)", r, count[r])
	}
	return cutEscaped(fmt.Sprintf("watchfloor digest: %d alerts — %s", len(entries), strings.Join(parts, ", ")), maxFallback)
}
