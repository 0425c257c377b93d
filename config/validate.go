package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/watchers/feeds/schedule"
)

// validate records every problem of c that the daemon would refuse.
func (p *parser) validate(c *Config) {
	p.nonEmpty("data_dir", c.DataDir)
	p.nonEmpty("rules_dir", c.RulesDir)
	p.nonEmpty("inbox.dir", c.Inbox.Dir)
	p.positive("inbox.settle", c.Inbox.Settle)
	p.positive("inbox.rescan", c.Inbox.Rescan)
	if l := c.HTTP.Listen; l != "" && l != "off" && !hostPort(l) {
		p.check([]string{"http.listen"}, "http.listen %q must be host:port, such as 127.0.0.1:9464, or off", p.show("http.listen", l))
	}

	names := map[string]bool{}
	for i, n := range c.Notifiers {
		p.notifier(n, i, names)
	}
	for i, name := range c.DefaultNotify {
		if names[name] {
			continue
		}
		path := fmt.Sprintf("default_notify[%d]", i)
		if p.parsing && p.pos["default_notify"] == nil {
			// The default [console] no longer fits notifiers the file
			// gave: point at them.
			p.check([]string{"notifiers"}, "default_notify: no notifier named %q (the default; the notifiers given here replace console, so set default_notify)", name)
			continue
		}
		p.check([]string{path, "default_notify"}, "default_notify: no notifier named %q", name)
	}

	feeds := map[string]bool{}
	for i, f := range c.Feeds {
		p.feed(f, i, feeds)
	}

	d := c.Delivery
	p.positive("delivery.min_backoff", d.MinBackoff)
	p.positive("delivery.max_backoff", d.MaxBackoff)
	p.positive("delivery.max_age", d.MaxAge)
	p.positive("delivery.timeout", d.Timeout)
	if d.Concurrency < 1 {
		p.check([]string{"delivery.concurrency"}, "delivery.concurrency must be at least 1, not %d", d.Concurrency)
	}
	p.positive("stories.window", c.Stories.Window)
	ff := c.FeedFetch
	if ff.Concurrency < 1 {
		p.check([]string{"feed_fetch.concurrency"}, "feed_fetch.concurrency must be at least 1, not %d", ff.Concurrency)
	}
	if ff.StartJitter < 0 {
		p.check([]string{"feed_fetch.start_jitter"}, "feed_fetch.start_jitter must not be negative, not %v", ff.StartJitter)
	}
	p.positive("feed_fetch.timeout", ff.Timeout)
	for i, a := range ff.AllowPrivate {
		if !hostOrCIDR(a) {
			path := fmt.Sprintf("feed_fetch.allow_private[%d]", i)
			p.check([]string{path, "feed_fetch.allow_private"}, "feed_fetch.allow_private: %q is not a host name, IP address or CIDR range", a)
		}
	}
	if d.MinBackoff > 0 && d.MaxBackoff > 0 && d.MinBackoff > d.MaxBackoff {
		p.check([]string{"delivery.min_backoff", "delivery.max_backoff", "delivery"},
			"delivery.min_backoff %v is more than delivery.max_backoff %v", d.MinBackoff, d.MaxBackoff)
	}
}

func (p *parser) nonEmpty(path, v string) {
	if v == "" {
		p.check([]string{path}, "%s must not be empty", path)
	}
}

func (p *parser) positive(path string, d Duration) {
	if d <= 0 {
		p.check([]string{path}, "%s must be positive, not %v", path, d)
	}
}

// notifier checks one notifier and adds its name to names.
func (p *parser) notifier(n Notifier, i int, names map[string]bool) {
	base := fmt.Sprintf("notifiers[%d]", i)
	at := func(key string) []string { return []string{base + "." + key, base} }
	who := notifierLabel(n.Name, i)
	switch {
	case n.Name == "":
		p.check([]string{base}, "%s has no name", who)
	case names[n.Name]:
		p.check(at("name"), "%s defined twice", who)
	}
	names[n.Name] = true

	// What each type takes; a secret read from its file is reported
	// under the *_file key only.
	keys := []struct {
		key, value string
		types      string
	}{
		{"token", ifEmpty(n.TokenFile, n.Token), TypeSlack},
		{"token_file", n.TokenFile, TypeSlack},
		{"channel", n.Channel, TypeSlack},
		{"api_url", n.APIURL, TypeSlack},
		{"webhook_url", ifEmpty(n.WebhookURLFile, n.WebhookURL), TypeSlack},
		{"webhook_url_file", n.WebhookURLFile, TypeSlack},
		{"url", n.URL, TypeWebhook},
		{"secret", ifEmpty(n.SecretFile, n.Secret), TypeWebhook},
		{"secret_file", n.SecretFile, TypeWebhook},
	}
	switch n.Type {
	case TypeLog, TypeSlack, TypeWebhook:
		for _, k := range keys {
			if k.value != "" && k.types != n.Type {
				p.check(at(k.key), "%s: %s does not apply to type %s", who, k.key, n.Type)
			}
		}
	case "":
		p.check(at("type"), "%s has no type (want slack, webhook or log)", who)
	default:
		p.check(at("type"), "%s: unknown type %q (want slack, webhook or log)", who, p.show(base+".type", n.Type))
	}

	switch n.Type {
	case TypeSlack:
		bot := n.Token != "" || n.Channel != ""
		hook := n.WebhookURL != ""
		hookAt := []string{base + ".webhook_url", base + ".webhook_url_file", base}
		switch {
		case bot && hook:
			p.check([]string{base, base + ".token", base + ".token_file", base + ".channel", hookAt[0], hookAt[1]},
				"%s: slack takes token and channel, or webhook_url, not both", who)
		case !bot && !hook:
			p.check([]string{base}, "%s: slack needs token and channel, or webhook_url", who)
		case bot && n.Token == "":
			p.check([]string{base, base + ".token", base + ".token_file"}, "%s: slack needs a token with its channel", who)
		case bot && n.Channel == "":
			p.check([]string{base, base + ".channel"}, "%s: slack needs a channel with its token", who)
		case hook && n.APIURL != "":
			p.check([]string{base + ".api_url", base}, "%s: api_url applies to a bot token, not to webhook_url", who)
		case n.APIURL != "" && !httpURL(n.APIURL):
			p.check([]string{base + ".api_url", base}, "%s: api_url %q must be an absolute http(s) URL", who, p.showURL(base+".api_url", n.APIURL))
		case hook && !httpURL(n.WebhookURL):
			// The Slack webhook URL is a secret: never quote it.
			p.check(hookAt, "%s: webhook_url must be an absolute http(s) URL", who)
		}
	case TypeWebhook:
		switch {
		case n.URL == "":
			p.check([]string{base}, "%s: webhook needs a url", who)
		case !httpURL(n.URL):
			p.check(at("url"), "%s: url %q must be an absolute http(s) URL", who, p.showURL(base+".url", n.URL))
		}
	}
	if n.MaxPerHour < 0 {
		p.check(at("max_per_hour"), "%s: max_per_hour must not be negative (0 means no limit), not %d", who, n.MaxPerHour)
	}
	if n.Digest != "" {
		if _, err := schedule.Parse(n.Digest); err != nil {
			if raw, ok := p.raw[base+".digest"]; ok {
				p.check(at("digest"), "%s: invalid digest schedule %q", who, raw)
			} else {
				p.check(at("digest"), "%s: invalid digest schedule %q: %v", who, n.Digest, err)
			}
		}
	}
}

// feed checks one feed and adds its name to names.
func (p *parser) feed(f Feed, i int, names map[string]bool) {
	base := fmt.Sprintf("feeds[%d]", i)
	at := func(key string) []string { return []string{base + "." + key, base} }
	who := itemLabel("feed", f.Name, i)
	switch {
	case f.Name == "":
		p.check([]string{base}, "%s has no name", who)
	case names[f.Name]:
		p.check(at("name"), "%s defined twice", who)
	}
	names[f.Name] = true
	switch {
	case f.URL == "":
		p.check([]string{base}, "%s needs a url", who)
	case !httpURL(f.URL):
		p.check(at("url"), "%s: url %q must be an absolute http(s) URL", who, p.show(base+".url", f.URL))
	}
	if _, err := schedule.Parse(f.Schedule); err != nil {
		if raw, ok := p.raw[base+".schedule"]; ok {
			p.check(at("schedule"), "%s: invalid schedule %q", who, raw)
		} else {
			p.check(at("schedule"), "%s: invalid schedule %q: %v", who, f.Schedule, err)
		}
	}
	if f.MaxItemAge < 0 {
		p.check(at("max_item_age"), "%s: max_item_age must not be negative (0 means no limit)", who)
	}
}

// showURL is how a message quotes a URL: redacted, or as written before
// ${VAR} expansion.
func (p *parser) showURL(path, u string) string {
	if r, ok := p.raw[path]; ok {
		return r
	}
	return httpx.RedactURL(u)
}

func ifEmpty(cond, v string) string {
	if cond != "" {
		return ""
	}
	return v
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// hostPort reports whether s is host:port with a numeric port; the host
// may be empty (every interface).
func hostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n <= 65535
}

// hostOrCIDR reports whether s is a host name, an IP address or a CIDR
// range, as feed_fetch.allow_private takes them.
func hostOrCIDR(s string) bool {
	if s == "" || strings.ContainsAny(s, " /:") && net.ParseIP(s) == nil {
		if _, _, err := net.ParseCIDR(s); err == nil {
			return true
		}
		return false
	}
	if net.ParseIP(s) != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}
