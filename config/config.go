// Package config reads watchfloor's configuration file.
//
// The file is strict YAML: an unknown key, a value of the wrong type and a
// key given twice are errors. A key or section that is missing (or null)
// keeps its default, so an empty file is the defaults (see Default). In
// scalar values, not keys, ${VAR} is replaced by the environment variable
// VAR and $$ is a literal $; a lone $ before anything else stays as it is.
// An unset variable is an error naming the variable, never a value. The
// token_file, webhook_url_file and secret_file keys of a notifier read
// that secret from a file, with one trailing newline trimmed.
//
// Parse validates everything the daemon would refuse to run with and
// reports every problem, not only the first: each is an *Error written as
// FILE:LINE:COL: message, joined with errors.Join. Secrets (token,
// webhook_url, secret) never appear in error messages, and Notifier's
// String, GoString and LogValue redact them.
//
// Relative paths (data_dir, rules_dir, inbox.dir and the *_file keys) are
// relative to the current directory of the process, not to the config
// file, as in the defaults.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/internal/poserr"
	"github.com/watchfloor/watchfloor/watchers/feeds/schedule"
)

// Config is the whole configuration; see Default for the defaults.
type Config struct {
	// DataDir holds the embedded SQLite database. Default ./data.
	DataDir string `yaml:"data_dir"`
	// RulesDir holds the rule and lexicon files. Default ./rules.d.
	RulesDir string `yaml:"rules_dir"`
	// Inbox is the watched directory of article files.
	Inbox Inbox `yaml:"inbox"`
	// HTTP is the admin server.
	HTTP HTTP `yaml:"http"`
	// Feeds are polled on their schedules. Default none.
	Feeds []Feed `yaml:"feeds"`
	// Notifiers are the destinations of alerts. Given, they replace the
	// default single log notifier "console".
	Notifiers []Notifier `yaml:"notifiers"`
	// DefaultNotify names the notifiers of rules that name none.
	// Default [console].
	DefaultNotify []string `yaml:"default_notify"`
	// Delivery holds the retry settings of every notifier.
	Delivery Delivery `yaml:"delivery"`
	// FeedFetch holds the limits of feed polling shared by every feed.
	FeedFetch FeedFetch `yaml:"feed_fetch"`
	// Stories groups the alerts of articles that report one event.
	Stories Stories `yaml:"stories"`
	// Path is the file the config came from, "" for the defaults.
	Path string `yaml:"-"`
}

// Inbox is the watched directory.
type Inbox struct {
	// Dir is the directory. Default ./inbox.
	Dir string `yaml:"dir"`
	// Settle is how long a file's size must stay the same before it is
	// read. Default 200ms.
	Settle Duration `yaml:"settle"`
	// Rescan is the period of the safety rescan of the directory.
	// Default 30s.
	Rescan Duration `yaml:"rescan"`
}

// HTTP is the admin server.
type HTTP struct {
	// Listen is host:port; "" or "off" disables the server.
	// Default 127.0.0.1:9464.
	Listen string `yaml:"listen"`
	// TokenFile holds the bearer token that POST and DELETE must carry
	// when Listen is not a loopback address. Default none.
	TokenFile string `yaml:"token_file"`
	// Token is the token read from TokenFile (never from the config text,
	// never logged).
	Token string `yaml:"-"`
}

// Enabled reports whether the admin server should listen.
func (h HTTP) Enabled() bool { return h.Listen != "" && h.Listen != "off" }

// Feed is one RSS, Atom or JSON feed polled on a cron schedule.
type Feed struct {
	// Name is unique among feeds; articles get source feed:NAME.
	Name string `yaml:"name"`
	// URL is the absolute http(s) URL of the feed.
	URL string `yaml:"url"`
	// Schedule is a cron spec accepted by schedule.Parse.
	// Default DefaultSchedule.
	Schedule string `yaml:"schedule"`
	// FullText fetches each item's page and extracts its main text.
	FullText bool `yaml:"full_text"`
	// MaxItemAge skips items published longer ago; 0 means no limit.
	MaxItemAge Duration `yaml:"max_item_age"`
}

// Notifier is one destination of alerts. Type is slack, webhook or log.
// A slack notifier takes Token and Channel, or WebhookURL; a webhook
// notifier takes URL and optionally Secret; a log notifier takes nothing.
// After Parse, Token, WebhookURL and Secret hold the values read from
// their *File keys.
type Notifier struct {
	Name      string `yaml:"name"`
	Type      string `yaml:"type"`
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	Channel   string `yaml:"channel"`
	// APIURL is another Slack Web API base URL for a bot token (a proxy,
	// Enterprise Grid, a test server). Default Slack's.
	APIURL         string `yaml:"api_url"`
	WebhookURL     string `yaml:"webhook_url"`
	WebhookURLFile string `yaml:"webhook_url_file"`
	URL            string `yaml:"url"`
	Secret         string `yaml:"secret"`
	SecretFile     string `yaml:"secret_file"`
	// MaxPerHour is how many alerts the destination gets at once in any
	// sliding hour; past it, alerts are queued for its next digest, never
	// dropped. 0 (the default) means no limit.
	MaxPerHour int `yaml:"max_per_hour"`
	// Digest is the cron spec (as a feed's schedule) of when the alerts
	// queued for the destination go out as one digest message.
	// Default DefaultDigest.
	Digest string `yaml:"digest"`
}

// Notifier types.
const (
	TypeSlack   = "slack"
	TypeWebhook = "webhook"
	TypeLog     = "log"
)

// String describes the notifier without its secrets, e.g.
// `ops (slack #alerts)` or `siem (webhook http://127.0.0.1:9000/…)`.
func (n Notifier) String() string {
	s := n.Name + " (" + n.Type
	switch {
	case n.Channel != "":
		s += " " + n.Channel
	case n.URL != "":
		s += " " + httpx.RedactURL(n.URL)
	}
	return s + ")"
}

// GoString is the %#v form of the notifier, with its secrets redacted.
func (n Notifier) GoString() string {
	r := func(s string) string {
		if s == "" {
			return `""`
		}
		return `"<redacted>"`
	}
	return fmt.Sprintf("config.Notifier{Name:%q, Type:%q, Token:%s, TokenFile:%q, Channel:%q, WebhookURL:%s, WebhookURLFile:%q, URL:%q, Secret:%s, SecretFile:%q}",
		n.Name, n.Type, r(n.Token), n.TokenFile, n.Channel, r(n.WebhookURL), n.WebhookURLFile, httpx.RedactURL(n.URL), r(n.Secret), n.SecretFile)
}

// LogValue logs the notifier as a group of its name, type, channel and
// redacted URL; secrets only show as whether they are set.
func (n Notifier) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", n.Name), slog.String("type", n.Type)}
	if n.Channel != "" {
		attrs = append(attrs, slog.String("channel", n.Channel))
	}
	if n.URL != "" {
		attrs = append(attrs, slog.String("url", httpx.RedactURL(n.URL)))
	}
	if n.Token != "" || n.WebhookURL != "" || n.Secret != "" {
		attrs = append(attrs, slog.Bool("has_secret", true))
	}
	return slog.GroupValue(attrs...)
}

// Delivery are the retry settings of every notifier.
type Delivery struct {
	// MinBackoff is the first retry delay; it doubles, with jitter, per
	// attempt. Default 1s.
	MinBackoff Duration `yaml:"min_backoff"`
	// MaxBackoff is the longest delay between attempts. Default 5m.
	MaxBackoff Duration `yaml:"max_backoff"`
	// MaxAge is how long an alert is retried before it becomes a dead
	// letter. Default 72h.
	MaxAge Duration `yaml:"max_age"`
	// Timeout bounds one delivery attempt, from dialling to the end of the
	// response. Default 15s.
	Timeout Duration `yaml:"timeout"`
	// Concurrency is how many deliveries run at once for each destination,
	// so one slow destination never holds up another. Default 4.
	Concurrency int `yaml:"concurrency"`
}

// Stories are the settings of stories: an article that reports the same
// event as one alerted within the window joins its story.
type Stories struct {
	// Window is how long after an article alerted another one can join
	// its story. Default 48h.
	Window Duration `yaml:"window"`
}

// FeedFetch are the limits of feed polling shared by every feed.
type FeedFetch struct {
	// Concurrency is how many feeds are fetched at once, across all
	// feeds. Default 8.
	Concurrency int `yaml:"concurrency"`
	// StartJitter spreads the feeds' first polls (and "@every" schedules)
	// over a random delay up to this long. Default 30s.
	StartJitter Duration `yaml:"start_jitter"`
	// Timeout bounds one fetch of a feed or of an item's page. Default 30s.
	Timeout Duration `yaml:"timeout"`
	// AllowPrivate lists hosts, IP addresses or CIDR ranges on loopback,
	// private or link-local networks that full_text pages and redirects
	// may reach. Everything else there is refused, since a feed's item
	// links are hostile; a feed's own configured host:port is trusted for
	// the feed's own request. Default none.
	AllowPrivate []string `yaml:"allow_private"`
}

// DefaultSchedule is the schedule of a feed that gives none.
const DefaultSchedule = schedule.Default

// DefaultDigest is the digest schedule of a notifier that gives none: at
// the top of every hour.
const DefaultDigest = "0 * * * *"

// Default returns the configuration used without a file: it runs on a
// fresh machine, with one log notifier "console" that prints alerts on
// standard output.
func Default() Config {
	return Config{
		DataDir:  "./data",
		RulesDir: "./rules.d",
		Inbox: Inbox{
			Dir:    "./inbox",
			Settle: Duration(200 * time.Millisecond),
			Rescan: Duration(30 * time.Second),
		},
		HTTP:          HTTP{Listen: "127.0.0.1:9464"},
		Notifiers:     []Notifier{{Name: "console", Type: TypeLog, Digest: DefaultDigest}},
		DefaultNotify: []string{"console"},
		Delivery: Delivery{
			MinBackoff:  Duration(time.Second),
			MaxBackoff:  Duration(5 * time.Minute),
			MaxAge:      Duration(72 * time.Hour),
			Timeout:     Duration(15 * time.Second),
			Concurrency: 4,
		},
		FeedFetch: FeedFetch{
			Concurrency: 8,
			StartJitter: Duration(30 * time.Second),
			Timeout:     Duration(30 * time.Second),
		},
		Stories: Stories{Window: Duration(48 * time.Hour)},
	}
}

// Notifier returns the notifier called name.
func (c *Config) Notifier(name string) (Notifier, bool) {
	for _, n := range c.Notifiers {
		if n.Name == name {
			return n, true
		}
	}
	return Notifier{}, false
}

// HasNotifier reports whether a notifier is called name: what a rule's
// notify entries are checked against (rules.Set.CheckNotifiers).
func (c *Config) HasNotifier(name string) bool {
	_, ok := c.Notifier(name)
	return ok
}

// Error is one problem of a config file, at a position when it has one:
// the positioned error that rule files share (FILE:LINE:COL: message).
type Error = poserr.Error

// Load reads the config file at path and parses it with the process
// environment (see Parse).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Default(), fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// LoadLocal reads the config file at path for the commands that use only
// the local parts (the store, the admin address): outbox and healthcheck.
// The notifiers, default_notify and feeds are read as far as they decode,
// but their environment variables and *_file secrets are not required or
// read and they are not validated, so an operator can list the outbox
// without the daemon's secrets. The result must not be run.
func LoadLocal(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Default(), fmt.Errorf("config: %w", err)
	}
	return parse(path, data, os.LookupEnv, true)
}

// remotePath reports whether a config path belongs to the parts that
// talk to the outside world (notifiers, feeds, routing), which LoadLocal
// leaves alone.
func remotePath(path string) bool {
	for _, prefix := range []string{"notifiers", "feeds", "default_notify"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok && (rest == "" || rest[0] == '[' || rest[0] == '.') {
			return true
		}
	}
	return false
}

// Parse reads a config from data as if from the file name: it decodes the
// YAML strictly over the defaults, expands ${VAR} with getenv (nil means
// os.LookupEnv), reads the *_file secrets, fills per-feed defaults and
// validates the result. The error joins every problem found, each an
// *Error with its position. On error the Config holds what could be read
// over the defaults, for tools that report more (such as the rules
// directory to check); it must not be run.
func Parse(name string, data []byte, getenv func(string) (string, bool)) (Config, error) {
	return parse(name, data, getenv, false)
}

func parse(name string, data []byte, getenv func(string) (string, bool), local bool) (Config, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	cfg := Default()
	cfg.Path = name
	p := newParser(name, getenv)
	p.parsing = true
	p.local = local

	root, err := readDocument(name, data)
	if err != nil {
		return cfg, err
	}
	if root != nil {
		p.decode(root, &cfg)
	}
	if !local {
		p.readSecrets(&cfg)
	}
	for i := range cfg.Feeds {
		if cfg.Feeds[i].Schedule == "" {
			cfg.Feeds[i].Schedule = DefaultSchedule
		}
	}
	for i := range cfg.Notifiers {
		if cfg.Notifiers[i].Digest == "" {
			cfg.Notifiers[i].Digest = DefaultDigest
		}
	}
	p.validate(&cfg)
	return cfg, p.err()
}

// Validate checks a config built in code, such as the defaults or a test's
// config; Parse already validates what it returns. Its errors have no
// positions and name c.Path, or "config" when it is empty.
func (c *Config) Validate() error {
	file := c.Path
	if file == "" {
		file = "config"
	}
	p := newParser(file, nil)
	p.validate(c)
	return p.err()
}

// readDocument parses data as one YAML document and returns its root
// node, nil when the file is empty or holds only null or comments.
func readDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(name, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(name, data, err)
	case len(next.Content) > 0 && !isNull(next.Content[0]):
		return nil, &Error{File: name, Line: next.Line, Col: next.Column, Msg: "more than one YAML document; a config file holds one"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlError turns a YAML syntax error into an *Error at the line where
// the parser stopped (see poserr.YAML).
func yamlError(name string, data []byte, err error) *Error {
	return poserr.YAML(name, data, err)
}

// parser collects the problems of one file with their positions.
type parser struct {
	file   string
	getenv func(string) (string, bool)
	errs   []*Error
	// pos maps a field path such as "notifiers[1].url" to its value node.
	pos map[string]*yaml.Node
	// raw maps the path of a value that used ${VAR} to its text before
	// expansion, which is what messages show.
	raw map[string]string
	// bad lists the paths that failed to decode; validation stays quiet
	// about them, their ancestors and their descendants.
	bad []string
	// items maps "notifiers[0]" to `notifier "ops"` for messages.
	items map[string]string
	// parsing is set when validating what Parse read from a file.
	parsing bool
	// local is set by LoadLocal: the notifiers and feeds are neither
	// validated nor given their secrets.
	local bool
}

func newParser(file string, getenv func(string) (string, bool)) *parser {
	return &parser{
		file:   file,
		getenv: getenv,
		pos:    map[string]*yaml.Node{},
		raw:    map[string]string{},
		items:  map[string]string{},
	}
}

// err joins the problems, sorted by position; those without one last.
func (p *parser) err() error {
	return poserr.List(p.errs).Err()
}

// errAt records a problem at node n (nil: no position).
func (p *parser) errAt(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// fail records a problem of decoding the value at path.
func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	p.bad = append(p.bad, path)
	if p.local && remotePath(path) {
		return
	}
	p.errAt(n, format, args...)
}

// check records a validation problem at the first of paths that came from
// the file, unless one of them is related to a value that failed to decode.
func (p *parser) check(paths []string, format string, args ...any) {
	for _, path := range paths {
		if p.isBad(path) || p.local && remotePath(path) {
			return
		}
	}
	for _, path := range paths {
		if n := p.pos[path]; n != nil {
			p.errAt(n, format, args...)
			return
		}
	}
	p.errAt(nil, format, args...)
}

// isBad reports whether path, an ancestor or a descendant failed to decode.
func (p *parser) isBad(path string) bool {
	for _, b := range p.bad {
		if b == path || isBelow(b, path) || isBelow(path, b) {
			return true
		}
	}
	return false
}

// isBelow reports whether path is a descendant of parent.
func isBelow(path, parent string) bool {
	if parent == "" {
		return path != ""
	}
	return strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

// show is how a message quotes the value at path: the text before ${VAR}
// expansion when it used a variable, so that a secret put in the wrong
// key is not printed.
func (p *parser) show(path, value string) string {
	if r, ok := p.raw[path]; ok {
		return r
	}
	return value
}

// readSecrets fills token, webhook_url and secret from their *_file keys.
func (p *parser) readSecrets(c *Config) {
	p.secret("http", "http", "token", &c.HTTP.Token, c.HTTP.TokenFile)
	for i := range c.Notifiers {
		n := &c.Notifiers[i]
		base := fmt.Sprintf("notifiers[%d]", i)
		who := notifierLabel(n.Name, i)
		p.secret(base, who, "token", &n.Token, n.TokenFile)
		p.secret(base, who, "webhook_url", &n.WebhookURL, n.WebhookURLFile)
		p.secret(base, who, "secret", &n.Secret, n.SecretFile)
	}
}

// secret reads the secret key of a notifier from file into dst. Messages
// name the key and the path, never the content.
func (p *parser) secret(base, who, key string, dst *string, file string) {
	fileKey := key + "_file"
	path := base + "." + fileKey
	if file == "" || p.isBad(path) {
		return
	}
	if *dst != "" {
		p.fail(p.pos[path], path, "%s: set %s or %s, not both", who, key, fileKey)
		return
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.fail(p.pos[path], path, "%s: cannot read %s %s: %v", who, fileKey, file, err)
		return
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	if s == "" {
		p.fail(p.pos[path], path, "%s: %s %s is empty", who, fileKey, file)
		return
	}
	*dst = s
}

// notifierLabel names a notifier in messages: `notifier "ops"`, or
// `notifier 2` (counting from 1) when it has no name.
func notifierLabel(name string, i int) string { return itemLabel("notifier", name, i) }

func itemLabel(kind, name string, i int) string {
	if name == "" {
		return fmt.Sprintf("%s %d", kind, i+1)
	}
	return fmt.Sprintf("%s %q", kind, name)
}
