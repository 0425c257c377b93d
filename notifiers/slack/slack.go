// Package slack posts alerts to Slack, through a bot token
// (chat.postMessage to a channel) or an incoming webhook URL, as Block Kit
// messages with a plain-text fallback. Each matched rule has a section
// with its evidence and, as the section's fields, its event fields
// ("*killed*" over "12"). Text is cut by characters to stay within Slack's
// limits for blocks, fields and messages.
//
// With a bot token, the alerts of a story are threaded (NotifyThread): the
// story's first alert is a full message, and each later one a reply of
// one line in its thread, sent to the channel as well only when the
// story's severity rises. An incoming webhook URL cannot thread (Slack
// returns no ts for it): it posts every alert as a full message.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/internal/textcut"
	"github.com/watchfloor/watchfloor/notifiers"
)

// Slack's limits, in characters.
const (
	maxHeader   = 150
	maxSection  = 3000
	maxContext  = 2000
	maxBlocks   = 50
	maxFallback = 4000
	// maxRules is how many matched rules get a section of their own.
	maxRules = 10
	// maxFields is how many fields one section block may hold, and
	// maxFieldText the length of each.
	maxFields    = 10
	maxFieldText = 2000
)

// Config configures a Slack notifier: Token and Channel, or WebhookURL.
// It has no timeout: an attempt is bounded by the context the caller gives
// Notify (the Dispatcher's attempt timeout, delivery.timeout).
type Config struct {
	Name       string
	Token      string
	Channel    string
	WebhookURL string
	// APIURL is another Slack Web API base URL (a proxy, Enterprise Grid,
	// a test server), such as "https://slack-proxy.example/api/".
	APIURL string
	Client *http.Client
}

// Notifier is a Slack destination.
type Notifier struct {
	cfg Config
	api *slack.Client
}

// New checks the config and returns the notifier.
func New(cfg Config) (*Notifier, error) {
	bot := cfg.Token != "" || cfg.Channel != ""
	hook := cfg.WebhookURL != ""
	switch {
	case bot && hook:
		return nil, errors.New("slack: give token and channel, or webhook_url, not both")
	case !bot && !hook:
		return nil, errors.New("slack: give token and channel, or webhook_url")
	case bot && (cfg.Token == "" || cfg.Channel == ""):
		return nil, errors.New("slack: a bot token needs a channel, and a channel a token")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	n := &Notifier{cfg: cfg}
	if bot {
		opts := []slack.Option{slack.OptionHTTPClient(cfg.Client)}
		if u := cfg.APIURL; u != "" {
			// Method names are appended to the base: it ends with "/".
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			opts = append(opts, slack.OptionAPIURL(u))
		}
		n.api = slack.New(cfg.Token, opts...)
	}
	return n, nil
}

// Name returns the destination name.
func (n *Notifier) Name() string { return n.cfg.Name }

// Notify posts the alert once.
func (n *Notifier) Notify(ctx context.Context, a notifiers.Alert) (bool, error) {
	blocks := Blocks(a)
	text := Fallback(a)
	var err error
	if n.api != nil {
		_, _, err = n.api.PostMessageContext(ctx, n.cfg.Channel, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
	} else {
		err = slack.PostWebhookCustomHTTPContext(ctx, n.cfg.WebhookURL, n.cfg.Client, &slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
	}
	return classify(err)
}

// classify says whether a failed post is worth retrying, and wraps its
// error; a nil error is a success.
func classify(err error) (bool, error) {
	if err == nil {
		return false, nil
	}
	err = httpx.RedactError(err)
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true, &notifiers.RetryAfterError{After: rl.RetryAfter, Err: fmt.Errorf("slack: %w", err)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return notifiers.RetryableStatus(sc.Code), fmt.Errorf("slack: %w", err)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "rate_limited", "service_unavailable", "internal_error", "fatal_error", "request_timeout":
			return true, fmt.Errorf("slack: %w", err)
		}
		return false, fmt.Errorf("slack: %w", err) // invalid_auth, channel_not_found, not_in_channel, …
	}
	// Network errors, timeouts.
	return true, fmt.Errorf("slack: %w", err)
}

// escape makes text safe wherever Slack parses it (a message's text, mrkdwn
// blocks, fields, context): with &, < and > escaped, no text from an
// article can make a mention (<!channel>) or a link of its own.
func escape(s string) string { return slackEscaper.Replace(s) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// cutEscaped escapes s and keeps the result within n characters without
// splitting an entity.
func cutEscaped(s string, n int) string {
	e := escape(s)
	for utf8.RuneCountInString(e) > n {
		// Keep the share of s that escapes to about n characters; every
		// round cuts at least one character.
		rs, re := utf8.RuneCountInString(s), utf8.RuneCountInString(e)
		s = textcut.Runes(s, max(min(rs*n/re, rs-1), 1))
		e = escape(s)
	}
	return e
}

// Blocks renders the alert as Block Kit blocks within Slack's limits.
func Blocks(a notifiers.Alert) []slack.Block {
	title := a.Article.Title
	if title == "" {
		title = "(untitled)"
	}
	heading := "*" + cutEscaped(title, maxSection-200) + "*"
	if a.Article.URL != "" && !strings.ContainsAny(a.Article.URL, "<>| ") {
		link := escape(a.Article.URL)
		heading = "*<" + link + "|" + cutEscaped(title, maxSection-200-len(link)) + ">*"
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, textcut.Runes(headerText(a), maxHeader), false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, heading, false, false), nil, nil),
	}
	shown := a.Matches
	if len(shown) > maxRules {
		shown = shown[:maxRules]
	}
	for _, m := range shown {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s* · %s · score %g", escape(m.Rule), escape(m.Severity), m.Score)
		var terms []string
		for _, e := range m.Evidence {
			terms = append(terms, fmt.Sprintf("%s ×%d", escape(e.Term), e.Count))
		}
		if len(terms) > 0 {
			b.WriteString("\nEvidence: " + strings.Join(terms, ", "))
		}
		if len(m.Evidence) > 0 && len(m.Evidence[0].Snippets) > 0 {
			b.WriteString("\n> " + escape(strings.ReplaceAll(m.Evidence[0].Snippets[0], "**", "*")))
		}
		fields := fieldObjects(m.Fields)
		if extra := len(m.Fields) - len(fields); extra > 0 {
			fmt.Fprintf(&b, "\n+%d more fields", extra)
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, textcut.Runes(b.String(), maxSection), false, false), fields, nil))
	}
	if extra := len(a.Matches) - len(shown); extra > 0 {
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf("+%d more rules", extra), false, false)))
	}
	if len(a.Summary) > 0 {
		var b strings.Builder
		for _, s := range a.Summary {
			b.WriteString("• " + escape(s) + "\n")
		}
		blocks = append(blocks, slack.NewDividerBlock(),
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, textcut.Runes(strings.TrimSpace(b.String()), maxSection), false, false), nil, nil))
	}
	meta := cutEscaped(a.Article.Source, maxContext-30)
	when := a.Article.Published
	if when.IsZero() {
		when = a.CreatedAt
	}
	if !when.IsZero() {
		meta += " · " + when.UTC().Format("2006-01-02 15:04 UTC")
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, meta, false, false)))
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return blocks
}

// fieldObjects renders a match's event fields as section fields,
// "*killed*\n12", in notifiers.FieldNames order, at most maxFields; nil
// when there are none. Names and values are escaped: values come from the
// article.
func fieldObjects(fields map[string]any) []*slack.TextBlockObject {
	names := notifiers.FieldNames(fields)
	if len(names) > maxFields {
		names = names[:maxFields]
	}
	var out []*slack.TextBlockObject
	for _, k := range names {
		name := "*" + cutEscaped(k, 100) + "*\n"
		value := cutEscaped(notifiers.FieldText(fields[k]), maxFieldText-utf8.RuneCountInString(name))
		out = append(out, slack.NewTextBlockObject(slack.MarkdownType, name+value, false, false))
	}
	return out
}

func headerText(a notifiers.Alert) string {
	if len(a.Matches) == 0 {
		return "watchfloor alert"
	}
	top := a.Matches[0]
	s := fmt.Sprintf("%s: %s", strings.ToUpper(top.Severity), top.Rule)
	if len(a.Matches) > 1 {
		s += fmt.Sprintf(" (+%d)", len(a.Matches)-1)
	}
	return s
}

// Fallback is the message's text: the alert in one line, for
// notifications and clients without blocks. Slack parses it for mentions
// and links like any text, so all of it is escaped.
func Fallback(a notifiers.Alert) string {
	var rules []string
	for _, m := range a.Matches {
		rules = append(rules, fmt.Sprintf("%s (%s, %g)", m.Rule, m.Severity, m.Score))
	}
	s := fmt.Sprintf("%s — %s", a.Article.Title, strings.Join(rules, ", "))
	if a.Article.URL != "" {
		s += " " + a.Article.URL
	}
	return cutEscaped(s, maxFallback)
}
