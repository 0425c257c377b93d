package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Secret values used by the test files; no error or printout may hold them.
var secrets = []string{"secretvalue", "c2VjcmV0dmFsdWU", "xoxb-secret"}

func testEnv(k string) (string, bool) {
	switch k {
	case "SLACK_BOT_TOKEN":
		return "xoxb-secretvalue", true
	case "EMPTY":
		return "", true
	}
	return "", false
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret (%q): %s", what, sec, s)
		}
	}
}

func TestBadConfigs(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"backoff_order", `conf.backoff_order.yml:2:16: delivery.min_backoff 10m is more than delivery.max_backoff 1m`},
		{"bad_bool", `conf.bad_bool.yml:4:16: feed "news": full_text must be true or false, not "maybe"`},
		{"bad_cron", `conf.bad_cron.yml:4:15: feed "f": invalid schedule "61 * * * *": end of range (61) above maximum (59): 61`},
		{"bad_duration", `conf.bad_duration.yml:2:11: inbox.settle: invalid duration "soon" (use 500ms, 30s, 15m, 72h or 3d)`},
		{"bad_limits", "conf.bad_limits.yml:2:16: delivery.concurrency must be at least 1, not 0\n" +
			"conf.bad_limits.yml:4:16: feed_fetch.concurrency must be at least 1, not -1\n" +
			"conf.bad_limits.yml:5:17: feed_fetch.start_jitter must not be negative, not -1s\n" +
			`conf.bad_limits.yml:6:19: feed_fetch.allow_private: "10.0.0.0/33" is not a host name, IP address or CIDR range` + "\n" +
			`conf.bad_limits.yml:6:32: feed_fetch.allow_private: "not a host" is not a host name, IP address or CIDR range`},
		{"bad_digest", "conf.bad_digest.yml:5:19: notifier \"ops\": max_per_hour must not be negative (0 means no limit), not -1\n" +
			`conf.bad_digest.yml:6:13: notifier "ops": invalid digest schedule "0 25 * * *": end of range (25) above maximum (23): 25` + "\n" +
			`conf.bad_digest.yml:9:19: notifier "siem": max_per_hour must be a whole number, not "lots"`},
		{"bad_listen", `conf.bad_listen.yml:2:11: http.listen "localhost" must be host:port, such as 127.0.0.1:9464, or off`},
		{"bad_url", `conf.bad_url.yml:4:10: notifier "siem": url "ftp://example.org/…" must be an absolute http(s) URL`},
		{"bad_var", `conf.bad_var.yml:1:11: data_dir: invalid variable name "DATA-DIR" in ${…} (want letters, digits and _; write $$ for a literal $)`},
		{"default_gone", `conf.default_gone.yml:2:3: default_notify: no notifier named "console" (the default; the notifiers given here replace console, so set default_notify)`},
		{"dup_feed", `conf.dup_feed.yml:4:11: feed "news" defined twice`},
		{"dup_key", `conf.dup_key.yml:3:1: duplicate key "data_dir" in config`},
		{"dup_notifier", `conf.dup_notifier.yml:3:12: notifier "a" defined twice`},
		{"empty_secret", `conf.empty_secret.yml:4:17: notifier "ops": token_file testdata/secret.empty is empty`},
		{"env_secret_misplaced", `conf.env_secret_misplaced.yml:2:11: inbox.settle: invalid duration "${SLACK_BOT_TOKEN}" (use 500ms, 30s, 15m, 72h or 3d)`},
		{"feed_bad_url", `conf.feed_bad_url.yml:3:10: feed "news": url "example.org/rss" must be an absolute http(s) URL`},
		{"feed_no_url", `conf.feed_no_url.yml:2:5: feed "news" needs a url`},
		{"list_not_string", `conf.list_not_string.yml:2:11: notifier 1: name must be a string, not a list`},
		{"many", strings.Join([]string{
			`conf.many.yml:1:11: data_dir must not be empty`,
			`conf.many.yml:3:11: inbox.rescan must be positive, not -5s`,
			`conf.many.yml:7:5: unknown key "chanel" in notifier "ops" (known: api_url, channel, digest, max_per_hour, name, secret, secret_file, token, token_file, type, url, webhook_url, webhook_url_file)`,
			`conf.many.yml:10:10: notifier "siem": url: environment variable HOOK_URL is not set`,
			`conf.many.yml:12:11: notifier "pager": unknown type "pagerduty" (want slack, webhook or log)`,
			`conf.many.yml:13:23: default_notify: no notifier named "missing"`,
			`conf.many.yml:17:15: feed "news": invalid schedule "@every -1m": the interval must be positive`,
			`conf.many.yml:19:16: delivery.min_backoff 10m is more than delivery.max_backoff 1m`,
		}, "\n")},
		{"merge_key", `conf.merge_key.yml:2:3: merge keys (<<) are not supported in inbox`},
		{"missing_secret", `conf.missing_secret.yml:7:18: notifier "siem": cannot read secret_file /nonexistent/secret: no such file or directory`},
		{"negative_age", `conf.negative_age.yml:4:19: feed "news": max_item_age must not be negative (0 means no limit)`},
		{"no_name", `conf.no_name.yml:4:5: notifier 2 has no name`},
		{"no_type", `conf.no_type.yml:2:5: notifier "console" has no type (want slack, webhook or log)`},
		{"not_applicable", `conf.not_applicable.yml:4:10: notifier "console": url does not apply to type log`},
		{"not_mapping", `conf.not_mapping.yml:1:1: config must be a mapping, not a list`},
		{"panic_cron", `conf.panic_cron.yml:4:15: feed "f": invalid schedule "TZ=": malformed spec (runtime error: slice bounds out of range [:-1])`},
		{"port_range", `conf.port_range.yml:2:11: http.listen "127.0.0.1:70000" must be host:port, such as 127.0.0.1:9464, or off`},
		{"secret_both", `conf.secret_both.yml:6:18: notifier "siem": set secret or secret_file, not both`},
		{"slack_bad_hook", `conf.slack_bad_hook.yml:4:23: notifier "chat": webhook_url must be an absolute http(s) URL`},
		{"slack_both", `conf.slack_both.yml:2:5: notifier "ops": slack takes token and channel, or webhook_url, not both`},
		{"slack_no_channel", `conf.slack_no_channel.yml:2:5: notifier "ops": slack needs a channel with its token`},
		{"slack_nothing", `conf.slack_nothing.yml:2:5: notifier "ops": slack needs token and channel, or webhook_url`},
		{"tab_indent", `conf.tab_indent.yml:2:1: found character that cannot start any token`},
		{"two_docs", `conf.two_docs.yml:2:1: more than one YAML document; a config file holds one`},
		{"unknown_default", `conf.unknown_default.yml:1:18: default_notify: no notifier named "ops"`},
		{"unknown_key", `conf.unknown_key.yml:5:5: unknown key "chanel" in notifier "ops" (known: api_url, channel, digest, max_per_hour, name, secret, secret_file, token, token_file, type, url, webhook_url, webhook_url_file)`},
		{"unknown_type", `conf.unknown_type.yml:2:21: notifier "p": unknown type "pager" (want slack, webhook or log)`},
		{"unset_env", `conf.unset_env.yml:4:10: notifier "siem": url: environment variable HOOK_URL is not set`},
		{"unterminated_var", `conf.unterminated_var.yml:1:11: data_dir: unterminated ${ (write $$ for a literal $)`},
		{"webhook_no_url", `conf.webhook_no_url.yml:2:5: notifier "siem": webhook needs a url`},
		{"wrong_type", `conf.wrong_type.yml:2:3: feeds must be a list, not a mapping`},
		{"yaml_syntax", `conf.yaml_syntax.yml:1:1: did not find expected ',' or ']'`},
		{"yaml_syntax_late", `conf.yaml_syntax_late.yml:4:2: did not find expected key`},
		{"zero_duration", `conf.zero_duration.yml:2:12: delivery.max_age must be positive, not 0s`},
		{"stories_window", `conf.stories_window.yml:2:11: stories.window must be positive, not 0s`},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		file := "conf." + tt.name + ".yml"
		covered[file] = true
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data, testEnv)
			if err == nil {
				t.Fatalf("accepted, want\n%s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%v\nwant\n%s", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != file || e.Line == 0 {
				t.Errorf("error %#v is not an *Error with a position", e)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
	files, err := filepath.Glob("testdata/conf.*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no case in TestBadConfigs", f)
		}
	}
}

func TestGoodConfigs(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, c Config)
	}{
		{"minimal", func(t *testing.T, c Config) {
			want := Default()
			want.Path = c.Path
			want.Feeds = []Feed{{Name: "news", URL: "https://example.org/rss", Schedule: DefaultSchedule}}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v\nwant %+v", c, want)
			}
		}},
		{"full", func(t *testing.T, c Config) {
			want := Config{
				DataDir:  "/var/lib/watchfloor",
				RulesDir: "/etc/watchfloor/rules.d",
				Inbox:    Inbox{Dir: "/var/lib/watchfloor/inbox", Settle: Duration(time.Second), Rescan: Duration(time.Minute)},
				HTTP:     HTTP{Listen: ":9464"},
				Feeds: []Feed{
					{Name: "news", URL: "https://example.org/rss", Schedule: "CRON_TZ=Asia/Baghdad 0 7 * * *", FullText: true, MaxItemAge: Duration(36 * time.Hour)},
					{Name: "wire", URL: "http://wire.example.org/atom", Schedule: DefaultSchedule},
				},
				Notifiers: []Notifier{
					{Name: "ops", Type: TypeSlack, Token: "xoxb-1", Channel: "#alerts", MaxPerHour: 20, Digest: "CRON_TZ=Europe/Paris 0 8-18 * * 1-5"},
					{Name: "chat", Type: TypeSlack, WebhookURL: "https://hooks.slack.com/services/T0/B0/x", Digest: DefaultDigest},
					{Name: "siem", Type: TypeWebhook, URL: "http://127.0.0.1:9000/hook", Secret: "whsec_c2VjcmV0dmFsdWU=", SecretFile: "testdata/secret.txt", Digest: DefaultDigest},
					{Name: "console", Type: TypeLog, Digest: DefaultDigest},
				},
				DefaultNotify: []string{"console", "siem"},
				Delivery:      Delivery{MinBackoff: Duration(2 * time.Second), MaxBackoff: Duration(10 * time.Minute), MaxAge: Duration(72 * time.Hour), Timeout: Duration(5 * time.Second), Concurrency: 2},
				FeedFetch:     FeedFetch{Concurrency: 3, StartJitter: Duration(time.Minute), Timeout: Duration(10 * time.Second), AllowPrivate: []string{"10.1.0.0/16", "intranet.example"}},
				Stories:       Stories{Window: Duration(24 * time.Hour)},
				Path:          c.Path,
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %#v\nwant %#v", c, want)
			}
		}},
		{"null_sections", func(t *testing.T, c Config) {
			want := Default()
			want.Path = c.Path
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v\nwant the defaults", c)
			}
		}},
		{"anchors", func(t *testing.T, c Config) {
			if len(c.Feeds) != 2 || c.Feeds[0].Schedule != "@hourly" || c.Feeds[1].Schedule != "0 */2 * * * *" {
				t.Errorf("feeds %+v", c.Feeds)
			}
		}},
		{"http_off", func(t *testing.T, c Config) {
			if c.HTTP.Listen != "off" || c.HTTP.Enabled() || len(c.DefaultNotify) != 0 {
				t.Errorf("http %+v default_notify %v", c.HTTP, c.DefaultNotify)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join("testdata", "good."+tt.name+".yml")
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if c.Path != file {
				t.Errorf("Path %q, want %q", c.Path, file)
			}
			tt.check(t, c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"empty", ""},
		{"comment", "# nothing here\n"},
		{"document marker", "---\n"},
		{"null", "~\n"},
		{"empty mapping", "{}\n"},
		{"one default spelled out", "data_dir: ./data\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.yml", []byte(tt.src), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			want.Path = "c.yml"
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v\nwant %+v", c, want)
			}
		})
	}
	def := Default()
	if err := def.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
	if def.DataDir != "./data" || def.RulesDir != "./rules.d" || def.Inbox.Dir != "./inbox" ||
		def.HTTP.Listen != "127.0.0.1:9464" || !def.HTTP.Enabled() ||
		time.Duration(def.Inbox.Settle) != 200*time.Millisecond || time.Duration(def.Inbox.Rescan) != 30*time.Second ||
		time.Duration(def.Delivery.MinBackoff) != time.Second || time.Duration(def.Delivery.MaxBackoff) != 5*time.Minute ||
		time.Duration(def.Delivery.MaxAge) != 72*time.Hour || time.Duration(def.Stories.Window) != 48*time.Hour || def.Path != "" {
		t.Errorf("defaults %+v", def)
	}
	if n, ok := def.Notifier("console"); !ok || n.Type != TypeLog || !reflect.DeepEqual(def.DefaultNotify, []string{"console"}) {
		t.Errorf("default notifiers %v, default_notify %v", def.Notifiers, def.DefaultNotify)
	}
	// Default returns fresh slices each time.
	def.Notifiers[0].Name = "changed"
	if Default().Notifiers[0].Name != "console" {
		t.Error("Default shares its slices")
	}
}

func TestEnvExpansion(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"A": "alpha", "B": "beta", "EMPTY": "", "DOLLAR": "$x"}[k]
		return v, ok
	}
	tests := []struct {
		name, value, want, wantErr string
	}{
		{name: "whole value", value: "${A}", want: "alpha"},
		{name: "inside text", value: "/srv/${A}/data", want: "/srv/alpha/data"},
		{name: "two variables", value: "${A}${B}", want: "alphabeta"},
		{name: "set but empty", value: "x${EMPTY}y", want: "xy"},
		{name: "escaped dollar", value: "a$$b", want: "a$b"},
		{name: "escaped variable", value: "$${A}", want: "${A}"},
		{name: "lone dollar kept", value: "$A and $", want: "$A and $"},
		{name: "value not expanded again", value: "${DOLLAR}", want: "$x"},
		{name: "unset", value: "${NOPE}", wantErr: "c.yml:1:11: data_dir: environment variable NOPE is not set"},
		{name: "empty name", value: "${}", wantErr: `c.yml:1:11: data_dir: invalid variable name "" in ${…} (want letters, digits and _; write $$ for a literal $)`},
		{name: "shell default syntax", value: "${A:-x}", wantErr: `c.yml:1:11: data_dir: invalid variable name "A:-x" in ${…} (want letters, digits and _; write $$ for a literal $)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf("data_dir: %q\n", tt.value)
			c, err := Parse("c.yml", []byte(src), env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DataDir != tt.want {
				t.Errorf("data_dir %q, want %q", c.DataDir, tt.want)
			}
		})
	}

	t.Run("keys are not expanded", func(t *testing.T) {
		_, err := Parse("c.yml", []byte("${A}: x\n"), env)
		if err == nil || !strings.HasPrefix(err.Error(), `c.yml:1:1: unknown key "${A}" in config`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("durations and booleans", func(t *testing.T) {
		env := func(k string) (string, bool) { return map[string]string{"S": "2s", "T": "true"}[k], true }
		src := "inbox: {settle: '${S}'}\nfeeds: [{name: f, url: 'https://example.org/', full_text: '${T}'}]\n"
		c, err := Parse("c.yml", []byte(src), env)
		if err != nil {
			t.Fatal(err)
		}
		if c.Inbox.Settle != Duration(2*time.Second) || !c.Feeds[0].FullText {
			t.Errorf("settle %v full_text %v", c.Inbox.Settle, c.Feeds[0].FullText)
		}
	})
	t.Run("nil getenv is the process environment", func(t *testing.T) {
		t.Setenv("WATCHFLOOR_CONFIG_TEST_DIR", "/from/env")
		c, err := Parse("c.yml", []byte("data_dir: ${WATCHFLOOR_CONFIG_TEST_DIR}\n"), nil)
		if err != nil || c.DataDir != "/from/env" {
			t.Errorf("data_dir %q, err %v", c.DataDir, err)
		}
	})
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		key     string // token_file, webhook_url_file or secret_file
		content string
		want    string
	}{
		{name: "token, newline trimmed", key: "token_file", content: "xoxb-secretvalue\n", want: "xoxb-secretvalue"},
		{name: "token, CRLF trimmed", key: "token_file", content: "xoxb-secretvalue\r\n", want: "xoxb-secretvalue"},
		{name: "only one newline trimmed", key: "secret_file", content: "raw secretvalue\n\n", want: "raw secretvalue\n"},
		{name: "no newline", key: "secret_file", content: "whsec_c2VjcmV0dmFsdWU=", want: "whsec_c2VjcmV0dmFsdWU="},
		{name: "slack webhook url", key: "webhook_url_file", content: "https://hooks.slack.com/services/T/B/secretvalue\n", want: "https://hooks.slack.com/services/T/B/secretvalue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write("s", tt.content)
			var n string
			switch tt.key {
			case "token_file":
				n = "{name: n, type: slack, channel: '#a', token_file: " + path + "}"
			case "webhook_url_file":
				n = "{name: n, type: slack, webhook_url_file: " + path + "}"
			default:
				n = "{name: n, type: webhook, url: 'https://example.org/h', secret_file: " + path + "}"
			}
			c, err := Parse("c.yml", []byte("notifiers: ["+n+"]\ndefault_notify: [n]\n"), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{"token_file": c.Notifiers[0].Token, "webhook_url_file": c.Notifiers[0].WebhookURL, "secret_file": c.Notifiers[0].Secret}[tt.key]
			if got != tt.want {
				t.Errorf("secret %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("errors about secrets do not hold them", func(t *testing.T) {
		bad := write("bad-hook", "hooks.slack.com/services/T/B/secretvalue\n")
		good := write("good", "xoxb-secretvalue\n")
		src := `notifiers:
  - {name: chat, type: slack, webhook_url_file: ` + bad + `}
  - {name: ops, type: slack, token_file: ` + good + `}
  - {name: both, type: slack, token: "${SLACK_BOT_TOKEN}", token_file: ` + good + `, channel: "#a"}
  - {name: siem, type: webhook, url: "${SLACK_BOT_TOKEN}"}
  - {name: unreadable, type: webhook, url: "https://example.org/", secret_file: ` + dir + `}
default_notify: [chat]
`
		_, err := Parse("c.yml", []byte(src), testEnv)
		want := strings.Join([]string{
			`c.yml:2:49: notifier "chat": webhook_url must be an absolute http(s) URL`,
			`c.yml:3:5: notifier "ops": slack needs a channel with its token`,
			`c.yml:4:72: notifier "both": set token or token_file, not both`,
			`c.yml:5:38: notifier "siem": url "${SLACK_BOT_TOKEN}" must be an absolute http(s) URL`,
			`c.yml:6:81: notifier "unreadable": cannot read secret_file ` + dir + `: is a directory`,
		}, "\n")
		if err == nil || err.Error() != want {
			t.Errorf("error\n%v\nwant\n%s", err, want)
		}
		if err != nil {
			assertNoSecret(t, "error", err.Error())
		}
	})
}

func TestRedaction(t *testing.T) {
	n := Notifier{Name: "siem", Type: TypeWebhook, URL: "https://user:secretvalue@example.org/hook?key=secretvalue", Secret: "whsec_c2VjcmV0dmFsdWU="}
	s := Notifier{Name: "ops", Type: TypeSlack, Token: "xoxb-secretvalue", Channel: "#alerts"}
	h := Notifier{Name: "chat", Type: TypeSlack, WebhookURL: "https://hooks.slack.com/services/T/B/secretvalue"}
	cfg := Default()
	cfg.Notifiers = []Notifier{n, s, h}
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	for _, x := range []Notifier{n, s, h} {
		log.Info("notifier", "notifier", x)
	}
	out := map[string]string{
		"String":  n.String() + s.String() + h.String(),
		"%v":      fmt.Sprintf("%v %v", n, cfg),
		"%+v":     fmt.Sprintf("%+v %+v", s, cfg),
		"%#v":     fmt.Sprintf("%#v %#v", h, n),
		"slog":    logged.String(),
		"%s list": fmt.Sprint(cfg.Notifiers),
	}
	for what, o := range out {
		assertNoSecret(t, what, o)
	}
	if got := n.String(); got != "siem (webhook https://…@example.org/…)" {
		t.Errorf("String %q", got)
	}
	if got := s.String(); got != "ops (slack #alerts)" {
		t.Errorf("String %q", got)
	}
	if !strings.Contains(logged.String(), `"notifier":{"name":"ops","type":"slack","channel":"#alerts","has_secret":true}`) {
		t.Errorf("slog output %s", logged.String())
	}
	if !strings.Contains(out["%#v"], `Token:"", TokenFile:"", Channel:"", WebhookURL:"<redacted>"`) {
		t.Errorf("GoString %s", out["%#v"])
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"test-style fast config", func(c *Config) {
			c.Inbox.Settle = Duration(20 * time.Millisecond)
			c.HTTP.Listen = "127.0.0.1:0"
			c.Notifiers = []Notifier{{Name: "siem", Type: TypeWebhook, URL: "http://127.0.0.1:1/h", Secret: "s"}}
			c.DefaultNotify = []string{"siem"}
		}, ""},
		{"slack without channel", func(c *Config) {
			c.Notifiers = append(c.Notifiers, Notifier{Name: "ops", Type: TypeSlack, Token: "xoxb-secretvalue"})
		}, `config: notifier "ops": slack needs a channel with its token`},
		{"several problems, with the file name", func(c *Config) {
			c.Path = "w.yml"
			c.RulesDir = ""
			c.Feeds = []Feed{{Name: "f", URL: "https://example.org/", Schedule: "nonsense"}}
			c.Delivery.MaxBackoff = 0
			c.DefaultNotify = []string{"nobody"}
		}, strings.Join([]string{
			`w.yml: rules_dir must not be empty`,
			`w.yml: default_notify: no notifier named "nobody"`,
			`w.yml: feed "f": invalid schedule "nonsense": expected 5 to 6 fields, found 1: [nonsense]`,
			`w.yml: delivery.max_backoff must be positive, not 0s`,
		}, "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			err := c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error\n%s\nwant\n%s", got, tt.want)
			}
			assertNoSecret(t, "error", got)
		})
	}
}

func TestLoad(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yml"))
	if err == nil || !strings.HasPrefix(err.Error(), "config: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
	path := filepath.Join(t.TempDir(), "w.yml")
	if err := os.WriteFile(path, []byte("inbox: {settle: soon}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if want := path + `:1:17: inbox.settle: invalid duration "soon" (use 500ms, 30s, 15m, 72h or 3d)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestExampleConfig(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "webhook-secret")
	if err := os.WriteFile(secret, []byte("whsec_c2VjcmV0dmFsdWU=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../deploy/watchfloor.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const named = "/etc/watchfloor/webhook-secret"
	if !bytes.Contains(data, []byte(named)) {
		t.Fatalf("the example no longer names %s", named)
	}
	src := bytes.ReplaceAll(data, []byte(named), []byte(secret))
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-secretvalue", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/secretvalue"}
	c, err := Parse("watchfloor.example.yaml", src, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, n := range c.Notifiers {
		types[n.Type]++
	}
	if types[TypeSlack] != 2 || types[TypeWebhook] != 1 || types[TypeLog] != 1 {
		t.Errorf("example notifiers %v", c.Notifiers)
	}
	if siem, ok := c.Notifier("siem"); !ok || siem.Secret != "whsec_c2VjcmV0dmFsdWU=" {
		t.Errorf("siem secret not read from secret_file")
	}
	if ops, _ := c.Notifier("ops"); ops.Token != "xoxb-secretvalue" {
		t.Errorf("ops token not expanded")
	}
	tz := false
	for _, f := range c.Feeds {
		tz = tz || strings.HasPrefix(f.Schedule, "CRON_TZ=")
	}
	if len(c.Feeds) != 2 || !tz {
		t.Errorf("example feeds %+v", c.Feeds)
	}

	// Every key of the config appears in the example.
	var keys func(t reflect.Type, prefix string)
	missing := []string{}
	keys = func(ty reflect.Type, prefix string) {
		for i := range ty.NumField() {
			tag := ty.Field(i).Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			ft := ty.Field(i).Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if !bytes.Contains(data, []byte(tag+":")) {
				missing = append(missing, prefix+tag)
			}
			if ft.Kind() == reflect.Struct {
				keys(ft, prefix+tag+".")
			}
		}
	}
	keys(reflect.TypeOf(Config{}), "")
	if len(missing) > 0 {
		t.Errorf("the example does not show %v", missing)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		bad  bool
	}{
		{name: "go duration", in: "1m30s", want: 90 * time.Second},
		{name: "days", in: "3d", want: 72 * time.Hour},
		{name: "days and hours", in: "1d12h", want: 36 * time.Hour},
		{name: "negative days", in: "-2d", want: -48 * time.Hour},
		{name: "spaces", in: " 15m ", want: 15 * time.Minute},
		{name: "zero", in: "0", want: 0},
		{name: "no unit", in: "5", bad: true},
		{name: "fraction of a day", in: "1.5d", bad: true},
		{name: "d alone", in: "d", bad: true},
		{name: "sign after days", in: "1d-1h", bad: true},
		{name: "overflow", in: "9999999999999d", bad: true},
		{name: "overflow with rest", in: "106751d24h", bad: true},
		{name: "word", in: "soon", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.bad {
				if err == nil {
					t.Errorf("accepted as %v", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		name string
		d    Duration
		want string
	}{
		{"minutes", Duration(10 * time.Minute), "10m"},
		{"hours", Duration(72 * time.Hour), "72h"},
		{"mixed", Duration(90 * time.Minute), "1h30m"},
		{"sub-second", Duration(200 * time.Millisecond), "200ms"},
		{"zero", 0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String %q, want %q", got, tt.want)
			}
			out, err := yaml.Marshal(struct{ D Duration }{tt.d})
			if err != nil {
				t.Fatal(err)
			}
			var back struct{ D Duration }
			if err := yaml.Unmarshal(out, &back); err != nil || back.D != tt.d {
				t.Errorf("round trip of %s: %v, %v", out, back.D, err)
			}
		})
	}
	var bad struct{ D Duration }
	if err := yaml.Unmarshal([]byte("d: soon\n"), &bad); err == nil || !strings.Contains(err.Error(), `invalid duration "soon"`) {
		t.Errorf("error %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("feeds:\n  - {name: x, url: 'http://a/b', schedule: 'TZ='}\n"))
	f.Add([]byte("inbox: {settle: 3d}\nhttp: {listen: ':1'}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("data_dir: ${A}$${B}$\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yml", data, testEnv)
		if err != nil {
			assertNoSecret(t, "error", err.Error())
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Parse accepted what Validate refuses: %v", err)
		}
	})
}

func TestLoadLocalNeedsNoSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.yaml")
	data := `data_dir: /var/lib/wf
http: {listen: "127.0.0.1:9999"}
feeds:
  - {name: f, url: "https://example.org/rss?key=${FEED_KEY_UNSET}"}
notifiers:
  - {name: ops, type: slack, token: "${SLACK_TOKEN_UNSET}", channel: "#a"}
  - {name: chat, type: slack, webhook_url_file: /nonexistent/hook}
  - {name: siem, type: webhook, url: "${HOOK_URL_UNSET}", secret_file: /nonexistent/secret}
default_notify: [siem]
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatal("precondition: Load accepts a config whose secrets are missing")
	}
	c, err := LoadLocal(path)
	if err != nil {
		t.Fatalf("LoadLocal: %v", err)
	}
	if c.DataDir != "/var/lib/wf" || c.HTTP.Listen != "127.0.0.1:9999" {
		t.Errorf("local parts not read: %+v", c)
	}
	// Local parts are still validated.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("data_dir: ${DATA_DIR_UNSET}\nnotifiers: [{name: x, type: fax}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadLocal(bad)
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR_UNSET") || strings.Contains(err.Error(), "fax") {
		t.Errorf("LoadLocal of a broken local part: %v", err)
	}
}
