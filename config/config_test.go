package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestBadConfigs(t *testing.T) {
	tests := []struct{ file, want string }{
		{"conf.unknown_key.yml", `conf.unknown_key.yml:5:5: unknown key "chanel" in notifiers[0]`},
		{"conf.unset_env.yml", `conf.unset_env.yml:4:10: environment variable HOOK_URL is not set`},
		{"conf.bad_cron.yml", `conf.bad_cron.yml:4:15: feed "f": invalid schedule "61 * * * *"`},
		{"conf.panic_cron.yml", `conf.panic_cron.yml:4:15: feed "f": invalid schedule "TZ="`},
		{"conf.bad_url.yml", `conf.bad_url.yml:4:10: notifier "siem": url "ftp://example.org/…" must be an absolute http(s) URL`},
		{"conf.missing_secret.yml", `conf.missing_secret.yml:7:18: secret_file: cannot read /nonexistent/secret: no such file or directory`},
		{"conf.dup_notifier.yml", `conf.dup_notifier.yml:3:12: notifier "a" defined twice`},
		{"conf.unknown_default.yml", `conf.unknown_default.yml:1:18: default_notify: no notifier named "ops"`},
		{"conf.backoff_order.yml", `conf.backoff_order.yml:2:16: delivery: min_backoff 10m0s is more than max_backoff 1m0s`},
		{"conf.bad_duration.yml", `conf.bad_duration.yml:2:11: inbox.settle: invalid duration "soon"`},
		{"conf.bad_listen.yml", `conf.bad_listen.yml:2:11: http.listen "localhost": want host:port`},
		{"conf.yaml_syntax.yml", `conf.yaml_syntax.yml:1:1: did not find expected ',' or ']'`},
		{"conf.slack_both.yml", `conf.slack_both.yml:2:5: notifier "ops": slack takes token and channel, or webhook_url, not both`},
		{"conf.unknown_type.yml", `conf.unknown_type.yml:2:21: notifier "p": unknown type "pager"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(tt.file, data, noEnv)
			if err == nil {
				t.Fatalf("accepted, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "secretvalue") || strings.Contains(err.Error(), "xoxb") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "data_dir: ./data\n"} {
		cfg, err := Parse("c.yml", []byte(src), noEnv)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if cfg.RulesDir != "./rules.d" || cfg.Inbox.Dir != "./inbox" || cfg.HTTP.Listen != "127.0.0.1:9464" ||
			len(cfg.Notifiers) != 1 || cfg.Notifiers[0].Type != "log" || cfg.DefaultNotify[0] != "console" ||
			time.Duration(cfg.Delivery.MaxAge) != 72*time.Hour {
			t.Errorf("defaults: %+v", cfg)
		}
	}
	def := Default()
	if err := def.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

func TestEnvAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("whsec_c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `notifiers:
  - name: ops
    type: slack
    token: "${TOKEN}"
    channel: "#alerts"
  - name: siem
    type: webhook
    url: http://127.0.0.1:9000/hook?cost=$$5
    secret_file: ` + secret + `
default_notify: [ops, siem]
feeds:
  - name: news
    url: https://example.org/rss
    max_item_age: 3d
`
	env := func(k string) (string, bool) {
		if k == "TOKEN" {
			return "xoxb-token", true
		}
		return "", false
	}
	cfg, err := Parse("c.yml", []byte(src), env)
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := cfg.Notifier("ops")
	siem, _ := cfg.Notifier("siem")
	if ops.Token != "xoxb-token" || siem.Secret != "whsec_c2VjcmV0" || siem.URL != "http://127.0.0.1:9000/hook?cost=$5" {
		t.Errorf("ops %+v siem %+v", ops, siem)
	}
	if cfg.Feeds[0].Schedule != DefaultSchedule || time.Duration(cfg.Feeds[0].MaxItemAge) != 72*time.Hour {
		t.Errorf("feed %+v", cfg.Feeds[0])
	}
	if s := ops.String() + siem.String(); strings.Contains(s, "xoxb") || strings.Contains(s, "whsec") || strings.Contains(s, "cost") {
		t.Errorf("String leaks a secret: %s", s)
	}
}

func TestExampleConfig(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "webhook-secret")
	if err := os.WriteFile(secret, []byte("whsec_c2VjcmV0"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../deploy/watchfloor.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.ReplaceAll(string(data), "/etc/watchfloor/webhook-secret", secret)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"}
	cfg, err := Parse("watchfloor.example.yaml", []byte(src), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Notifiers) != 4 || len(cfg.Feeds) != 2 {
		t.Errorf("example has %d notifiers and %d feeds", len(cfg.Notifiers), len(cfg.Feeds))
	}
}

func TestParseSchedule(t *testing.T) {
	for _, good := range []string{"@every 15m", "*/5 * * * *", "0 */2 * * * *", "CRON_TZ=Europe/Paris 0 7 * * *", "@daily"} {
		if _, err := ParseSchedule(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"", "@every", "TZ=", "CRON_TZ=Nowhere/Land * * * * *", "* * * * * * * *", "@every -1m", "nonsense"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("notifiers:\n  - {name: a, type: log}\ndefault_notify: [a]\n"))
	f.Add([]byte("feeds:\n  - {name: x, url: 'http://a/b', schedule: 'TZ='}\n"))
	f.Add([]byte("inbox: {settle: 3d}\nhttp: {listen: ':1'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("f.yml", data, func(k string) (string, bool) { return "v", k == "A" })
	})
}
