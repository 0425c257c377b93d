// Package config reads watchfloor's configuration file: strict YAML (an
// unknown key is an error), ${VAR} expansion from the environment in
// string values, secrets from *_file keys, and validation of everything
// the daemon would refuse. Errors name FILE:LINE:COL. Relative paths are
// relative to the current directory.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration; see Default for the defaults.
type Config struct {
	DataDir       string     `yaml:"data_dir"`
	RulesDir      string     `yaml:"rules_dir"`
	Inbox         Inbox      `yaml:"inbox"`
	HTTP          HTTP       `yaml:"http"`
	Feeds         []Feed     `yaml:"feeds"`
	Notifiers     []Notifier `yaml:"notifiers"`
	DefaultNotify []string   `yaml:"default_notify"`
	Delivery      Delivery   `yaml:"delivery"`
	// Path is the file the config came from, "" for the defaults.
	Path string `yaml:"-"`
}

// Inbox is the watched directory.
type Inbox struct {
	Dir string `yaml:"dir"`
	// Settle is how long a file's size must stay the same before it is read.
	Settle Duration `yaml:"settle"`
	// Rescan is the period of the safety rescan of the directory.
	Rescan Duration `yaml:"rescan"`
}

// HTTP is the admin server.
type HTTP struct {
	// Listen is host:port; "" or "off" disables the server.
	Listen string `yaml:"listen"`
}

// Feed is one RSS, Atom or JSON feed polled on a cron schedule.
type Feed struct {
	Name       string   `yaml:"name"`
	URL        string   `yaml:"url"`
	Schedule   string   `yaml:"schedule"`
	FullText   bool     `yaml:"full_text"`
	MaxItemAge Duration `yaml:"max_item_age"`
}

// Notifier is one destination of alerts.
type Notifier struct {
	Name           string `yaml:"name"`
	Type           string `yaml:"type"` // slack, webhook or log
	Token          string `yaml:"token"`
	TokenFile      string `yaml:"token_file"`
	Channel        string `yaml:"channel"`
	WebhookURL     string `yaml:"webhook_url"`
	WebhookURLFile string `yaml:"webhook_url_file"`
	URL            string `yaml:"url"`
	Secret         string `yaml:"secret"`
	SecretFile     string `yaml:"secret_file"`
}

// String describes the notifier without its secrets.
func (n Notifier) String() string {
	s := n.Name + " (" + n.Type
	switch {
	case n.Channel != "":
		s += " " + n.Channel
	case n.URL != "":
		s += " " + redactURL(n.URL)
	}
	return s + ")"
}

// Delivery are the retry settings of every notifier.
type Delivery struct {
	MinBackoff Duration `yaml:"min_backoff"`
	MaxBackoff Duration `yaml:"max_backoff"`
	MaxAge     Duration `yaml:"max_age"`
}

// Duration is a time.Duration written as "1s", "15m", "72h" or "3d".
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration is time.ParseDuration that also accepts whole days ("3d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use 30s, 15m, 72h or 3d)", s)
	}
	return d, nil
}

// Default returns the configuration used without a file: it runs on a
// fresh machine, printing alerts on the console.
func Default() Config {
	return Config{
		DataDir:       "./data",
		RulesDir:      "./rules.d",
		Inbox:         Inbox{Dir: "./inbox", Settle: Duration(200 * time.Millisecond), Rescan: Duration(30 * time.Second)},
		HTTP:          HTTP{Listen: "127.0.0.1:9464"},
		Notifiers:     []Notifier{{Name: "console", Type: "log"}},
		DefaultNotify: []string{"console"},
		Delivery:      Delivery{MinBackoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Minute), MaxAge: Duration(72 * time.Hour)},
	}
}

// DefaultSchedule is the schedule of a feed that gives none.
const DefaultSchedule = "@every 15m"

// Error is a problem at a position of the config file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Load reads and validates the config file at path.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse reads a config from data as if from the file name, expanding
// ${VAR} with getenv, reading *_file secrets, filling defaults and
// validating. Every problem found is reported, each with its position.
func Parse(name string, data []byte, getenv func(string) (string, bool)) (Config, error) {
	cfg := Default()
	cfg.Path = name
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return cfg, yamlError(name, err)
	}
	p := &parser{file: name, getenv: getenv, pos: map[string]*yaml.Node{}}
	if len(root.Content) > 0 && !(root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null") {
		// Notifiers and feeds replace the defaults when given.
		p.decode(root.Content[0], reflect.ValueOf(&cfg).Elem(), "")
	}
	if len(p.errs) > 0 {
		return cfg, errors.Join(p.errs...)
	}
	p.readSecrets(&cfg)
	for i := range cfg.Feeds {
		if cfg.Feeds[i].Schedule == "" {
			cfg.Feeds[i].Schedule = DefaultSchedule
		}
	}
	p.validate(&cfg)
	if len(p.errs) > 0 {
		return cfg, errors.Join(p.errs...)
	}
	return cfg, nil
}

// Validate checks a config built in code (the defaults, tests).
func (c *Config) Validate() error {
	p := &parser{file: c.Path, pos: map[string]*yaml.Node{}}
	if p.file == "" {
		p.file = "config"
	}
	p.validate(c)
	return errors.Join(p.errs...)
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

type parser struct {
	file   string
	getenv func(string) (string, bool)
	errs   []error
	// pos maps a field path ("notifiers[1].url") to its value node.
	pos map[string]*yaml.Node
}

func (p *parser) errAt(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// errPath reports an error at the node of a field path, or at the file.
func (p *parser) errPath(path string, format string, args ...any) {
	p.errAt(p.pos[path], format, args...)
}

var durationType = reflect.TypeOf(Duration(0))

// decode fills v from n strictly, recording node positions by path.
func (p *parser) decode(n *yaml.Node, v reflect.Value, path string) {
	p.pos[path] = n
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case v.Type() == durationType:
		if n.Kind != yaml.ScalarNode {
			p.errAt(n, "%s: want a duration like 30s, 15m or 72h", path)
			return
		}
		d, err := ParseDuration(p.expand(n))
		if err != nil {
			p.errAt(n, "%s: %v", path, err)
			return
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			p.errAt(n, "%s: want a mapping", nameOr(path, "config"))
			return
		}
		fields := map[string]int{}
		var known []string
		for i := 0; i < v.NumField(); i++ {
			tag := v.Type().Field(i).Tag.Get("yaml")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = i
			known = append(known, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			fi, ok := fields[k.Value]
			if !ok {
				sort.Strings(known)
				p.errAt(k, "unknown key %q in %s (known: %s)", k.Value, nameOr(path, "config"), strings.Join(known, ", "))
				continue
			}
			if seen[k.Value] {
				p.errAt(k, "duplicate key %q in %s", k.Value, nameOr(path, "config"))
				continue
			}
			seen[k.Value] = true
			p.decode(val, v.Field(fi), join(path, k.Value))
		}
	case v.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		if n.Kind != yaml.SequenceNode {
			p.errAt(n, "%s: want a list", path)
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			p.decode(el, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case v.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			p.errAt(n, "%s: want a string", path)
			return
		}
		v.SetString(p.expand(n))
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(p.expand(n))
		if n.Kind != yaml.ScalarNode || err != nil {
			p.errAt(n, "%s: want true or false", path)
			return
		}
		v.SetBool(b)
	default:
		p.errAt(n, "%s: unsupported value", path)
	}
}

func nameOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expand replaces ${VAR} in a scalar with the environment's value; "$$" is
// a literal "$". An unset variable is an error naming it, never a value.
func (p *parser) expand(n *yaml.Node) string {
	s := n.Value
	if p.getenv == nil || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				p.errAt(n, "unterminated ${ in value")
				return s
			}
			name := s[i+2 : i+end]
			val, ok := p.getenv(name)
			if !ok {
				p.errAt(n, "environment variable %s is not set", name)
			}
			b.WriteString(val)
			i += end
			continue
		}
		b.WriteByte('$')
	}
	return b.String()
}

// readSecrets fills token, webhook_url and secret from their *_file keys.
func (p *parser) readSecrets(c *Config) {
	for i := range c.Notifiers {
		n := &c.Notifiers[i]
		base := fmt.Sprintf("notifiers[%d]", i)
		p.secret(base, "token", &n.Token, n.TokenFile)
		p.secret(base, "webhook_url", &n.WebhookURL, n.WebhookURLFile)
		p.secret(base, "secret", &n.Secret, n.SecretFile)
	}
}

func (p *parser) secret(base, key string, dst *string, file string) {
	if file == "" {
		return
	}
	if *dst != "" {
		p.errPath(base+"."+key+"_file", "notifier: set %s or %s_file, not both", key, key)
		return
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.errPath(base+"."+key+"_file", "%s_file: cannot read %s: %v", key, file, err)
		return
	}
	*dst = strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
}

// ParseSchedule parses a cron spec: five fields, an optional leading
// seconds field, descriptors such as "@every 15m" or "@daily", and a
// CRON_TZ= or TZ= prefix. Malformed specs that make the cron parser panic
// come back as errors.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid schedule %q: %v", spec, r)
		}
	}()
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty schedule")
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil && d <= 0 {
			return nil, fmt.Errorf("invalid schedule %q: the interval must be positive", spec)
		}
	}
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sched, err = p.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %v", spec, err)
	}
	return sched, nil
}

func (p *parser) validate(c *Config) {
	if c.DataDir == "" {
		p.errPath("data_dir", "data_dir must not be empty")
	}
	if c.RulesDir == "" {
		p.errPath("rules_dir", "rules_dir must not be empty")
	}
	if c.Inbox.Dir == "" {
		p.errPath("inbox.dir", "inbox.dir must not be empty")
	}
	if c.Inbox.Settle < 0 || c.Inbox.Rescan <= 0 {
		p.errPath("inbox", "inbox: settle must not be negative and rescan must be positive")
	}
	if l := c.HTTP.Listen; l != "" && l != "off" {
		if _, port, err := net.SplitHostPort(l); err != nil || port == "" {
			p.errPath("http.listen", "http.listen %q: want host:port, e.g. 127.0.0.1:9464", l)
		}
	}
	names := map[string]bool{}
	for i, n := range c.Notifiers {
		base := fmt.Sprintf("notifiers[%d]", i)
		switch {
		case n.Name == "":
			p.errPath(base, "notifier %d has no name", i+1)
		case names[n.Name]:
			p.errPath(base+".name", "notifier %q defined twice", n.Name)
		}
		names[n.Name] = true
		switch n.Type {
		case "log":
		case "slack":
			bot := n.Token != "" || n.Channel != ""
			hook := n.WebhookURL != ""
			switch {
			case bot && hook:
				p.errPath(base, "notifier %q: slack takes token and channel, or webhook_url, not both", n.Name)
			case !bot && !hook:
				p.errPath(base, "notifier %q: slack needs token and channel, or webhook_url", n.Name)
			case bot && (n.Token == "" || n.Channel == ""):
				p.errPath(base, "notifier %q: slack needs both token and channel", n.Name)
			case hook && !httpURL(n.WebhookURL):
				p.errPath(base+".webhook_url", "notifier %q: webhook_url must be an absolute http(s) URL", n.Name)
			}
		case "webhook":
			if !httpURL(n.URL) {
				p.errPath(base+".url", "notifier %q: url %q must be an absolute http(s) URL", n.Name, redactURL(n.URL))
			}
		case "":
			p.errPath(base, "notifier %q has no type (slack, webhook or log)", n.Name)
		default:
			p.errPath(base+".type", "notifier %q: unknown type %q (slack, webhook or log)", n.Name, n.Type)
		}
	}
	for i, d := range c.DefaultNotify {
		if !names[d] {
			path := fmt.Sprintf("default_notify[%d]", i)
			if p.pos[path] == nil {
				p.errPath(path, "default_notify: no notifier named %q (the default; set default_notify to your notifiers)", d)
				continue
			}
			p.errPath(path, "default_notify: no notifier named %q", d)
		}
	}
	feeds := map[string]bool{}
	for i, f := range c.Feeds {
		base := fmt.Sprintf("feeds[%d]", i)
		switch {
		case f.Name == "":
			p.errPath(base, "feed %d has no name", i+1)
		case feeds[f.Name]:
			p.errPath(base+".name", "feed %q defined twice", f.Name)
		}
		feeds[f.Name] = true
		if !httpURL(f.URL) {
			p.errPath(base+".url", "feed %q: url must be an absolute http(s) URL", f.Name)
		}
		if _, err := ParseSchedule(f.Schedule); err != nil {
			p.errPath(base+".schedule", "feed %q: %v", f.Name, err)
		}
		if f.MaxItemAge < 0 {
			p.errPath(base+".max_item_age", "feed %q: max_item_age must not be negative", f.Name)
		}
	}
	d := c.Delivery
	if d.MinBackoff <= 0 || d.MaxBackoff <= 0 || d.MaxAge <= 0 {
		p.errPath("delivery", "delivery: min_backoff, max_backoff and max_age must be positive")
	} else if d.MinBackoff > d.MaxBackoff {
		p.errPath("delivery.min_backoff", "delivery: min_backoff %v is more than max_backoff %v", time.Duration(d.MinBackoff), time.Duration(d.MaxBackoff))
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// redactURL keeps scheme and host of a URL and hides the rest, which may
// hold a token.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "<redacted>"
	}
	if u.Path == "" && u.RawQuery == "" && u.User == nil {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/…"
}

func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if strings.HasPrefix(msg, "line ") {
		rest := msg[5:]
		if k := strings.IndexByte(rest, ':'); k > 0 {
			if l, e := strconv.Atoi(rest[:k]); e == nil {
				line = l
				msg = strings.TrimSpace(rest[k+1:])
			}
		}
	}
	return &Error{File: name, Line: line, Col: 1, Msg: msg}
}
