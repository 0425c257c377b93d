package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/store"
)

// run runs the command line in process and returns exit code, stdout and
// stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errw)
	return code, out.String(), errw.String()
}

const repo = "../.."

func TestClassifyJSON(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "weather.txt")
	if err := os.WriteFile(plain, []byte("Sunny weekend ahead\nForecasters expect sunshine across the country this weekend.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "classify", "--rules", filepath.Join(repo, "rules.d"), "--format", "json",
		filepath.Join(repo, "testdata/seeds/002.txt"), plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines of output, want one per article:\n%s", len(lines), out)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "source", "title", "url", "published", "matches", "summary"} {
		if _, ok := first[k]; !ok {
			t.Errorf("key %q missing from %s", k, lines[0])
		}
	}
	matches := first["matches"].([]any)
	top := matches[0].(map[string]any)
	if top["rule"] != "high-value-leader-killed" || top["severity"] != "high" {
		t.Errorf("first match %v", top)
	}
	ev := top["evidence"].([]any)[0].(map[string]any)
	for _, k := range []string{"term", "count", "positions", "snippets"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("evidence lacks %q: %v", k, ev)
		}
	}
	if !strings.Contains(lines[1], `"matches":[]`) || len(second["summary"].([]any)) == 0 {
		t.Errorf("unmatched article: %s", lines[1])
	}
}

func TestClassifyText(t *testing.T) {
	code, out, _ := run(t, "", "classify", "--rules", filepath.Join(repo, "rules.d"), filepath.Join(repo, "testdata/seeds"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Iraq builds detailed database to target remaining ISIS leaders", "high-value-leader-killed", "summary:", "•", "foiled-plot"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a non-terminal")
	}
}

func TestClassifyStdinAndErrors(t *testing.T) {
	code, out, _ := run(t, "Car bomb in Baghdad\nA car bomb planted by ISIS militants exploded near a market.\n", "classify", "--rules", filepath.Join(repo, "rules.d"), "--format", "json", "-")
	if code != 0 || !strings.Contains(out, `"rule":"attack"`) {
		t.Errorf("stdin: exit %d out %s", code, out)
	}
	code, out, errs := run(t, "", "classify", "--rules", filepath.Join(repo, "rules.d"), "--format", "json", "/nonexistent.txt", filepath.Join(repo, "testdata/seeds/004.txt"))
	if code != 1 || !strings.Contains(errs, "nonexistent.txt") || !strings.Contains(out, "foiled-plot") {
		t.Errorf("missing input: exit %d, stderr %q, other inputs printed: %v", code, errs, strings.Contains(out, "foiled-plot"))
	}
	if code, _, _ := run(t, "", "classify", "--format", "xml", "x"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "classify", "--bogus"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "classify", "--rules", "/nonexistent", "x.txt"); code != 2 {
		t.Errorf("bad rules dir: exit %d, want 2", code)
	}
}

func TestCheck(t *testing.T) {
	code, out, errs := run(t, "", "check", "--rules", filepath.Join(repo, "rules.d"))
	if code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("check of the shipped pack: exit %d %s %s", code, out, errs)
	}
	dir := t.TempDir()
	broken := "rules:\n  - name: broken\n    when: mentions(lex.nowhere)\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, "", "check", "--rules", dir)
	want := filepath.Join(dir, "broken.yaml") + `:3:24: rule "broken": when: unknown lexicon "nowhere"`
	if code != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("notifiers:\n  - {name: console, type: log}\n  - {name: x, type: fax}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, "", "check", "--config", cfg, "--rules", filepath.Join(repo, "rules.d"))
	if code != 1 || !strings.Contains(errs, `c.yaml:3:21: notifier "x": unknown type "fax"`) {
		t.Errorf("bad config: exit %d, stderr %q", code, errs)
	}
	routed := filepath.Join(dir, "routed")
	if err := os.MkdirAll(routed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(routed, "r.yaml"), []byte("rules:\n  - name: r\n    when: 'true'\n    notify: [pager]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, "", "check", "--rules", routed)
	if code != 1 || !strings.Contains(errs, filepath.Join(routed, "r.yaml")+`:4:14: rule "r": notify: no notifier named "pager"`) {
		t.Errorf("unknown notify: exit %d, stderr %q", code, errs)
	}
	// A config that parses but that run would refuse when it builds the
	// notifiers: check refuses it too.
	badSecret := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(badSecret, []byte("notifiers:\n  - {name: siem, type: webhook, url: 'http://127.0.0.1:9/h', secret: 'whsec_not*base64'}\ndefault_notify: [siem]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, "", "check", "--config", badSecret, "--rules", filepath.Join(repo, "rules.d"))
	if code != 1 || !strings.Contains(errs, "not valid base64") || strings.Contains(errs, "not*base64") {
		t.Errorf("broken webhook secret: exit %d, stderr %q", code, errs)
	}
}

func TestRuleTests(t *testing.T) {
	code, out, errs := run(t, "", "test", "--rules", filepath.Join(repo, "rules.d"))
	if code != 0 || !strings.Contains(out, "0 failed") {
		t.Fatalf("shipped pack tests: exit %d\n%s\n%s", code, out, errs)
	}
	dir := t.TempDir()
	files := map[string]string{
		"r.yaml": "rules:\n  - name: smuggling\n    when: mentions('smuggl*')\n    score: count('smuggl*')\n",
		"r_test.yaml": `tests:
  - name: passes
    article: {title: Smugglers caught, body: "Police caught smugglers."}
    expect: [{rule: smuggling, min_score: 2}]
  - name: fails on score
    article: {title: Smugglers caught, body: "Nothing else."}
    expect: [{rule: smuggling, min_score: 5}]
  - name: fails on match
    article: {title: Weather, body: "Sunny."}
    expect: [{rule: smuggling}]
`,
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ = run(t, "", "test", "--rules", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"FAIL " + filepath.Join(dir, "r_test.yaml") + ":5 fails on score", "rule smuggling scored 1, want at least 5",
		"matched smuggling score=1 severity=medium evidence: smuggl*×1", "rule smuggling did not match", "1 passed, 2 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "watchfloor ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := run(t, ""); code != 2 || !strings.Contains(errs, "usage:") {
		t.Errorf("no args: %d %q", code, errs)
	}
	if code, _, _ := run(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: %d", code)
	}
	if code, _, errs := run(t, "", "classify", "--help"); code != 0 || !strings.Contains(errs, "--format") {
		t.Errorf("help: %d %q", code, errs)
	}
}

func TestOutboxCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte("data_dir: "+filepath.Join(dir, "data")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := st.CommitArticle(context.Background(), store.ArticleRecord{ID: id}, nil,
			[]store.NewAlert{{AlertID: "al-" + id, Notifier: "siem", ArticleID: id, Rules: []string{"r"}, Payload: []byte("{}")}}); err != nil {
			t.Fatal(err)
		}
	}
	items, _ := st.ListAlerts(context.Background(), "", 0)
	if err := st.MarkDead(context.Background(), items[0].ID, "404 not found"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errs := run(t, "", "outbox", "list", "--config", cfgPath, "--status", "dead")
	if code != 0 || !strings.Contains(out, "dead") || !strings.Contains(out, "404 not found") || strings.Count(out, "\n") != 2 {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	code, out, _ = run(t, "", "outbox", "retry", "--config", cfgPath, "--all")
	if code != 0 || !strings.Contains(out, "1 dead letters queued") {
		t.Errorf("retry --all: %d %q", code, out)
	}
	code, _, errs = run(t, "", "outbox", "retry", "--config", cfgPath, "999")
	if code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("retry of a missing id: %d %q", code, errs)
	}
	code, out, _ = run(t, "", "outbox", "list", "--config", cfgPath, "--status", "pending")
	if code != 0 || strings.Count(out, "pending") != 2 {
		t.Errorf("pending after retry: %q", out)
	}
	if code, _, _ := run(t, "", "outbox"); code != 2 {
		t.Errorf("outbox without a subcommand: %d", code)
	}
}

func TestCheckExampleConfig(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "webhook-secret")
	if err := os.WriteFile(secret, []byte("whsec_c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(repo, "deploy/watchfloor.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "watchfloor.yaml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(example), "/etc/watchfloor/webhook-secret", secret)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-example")
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/example")
	code, out, errs := run(t, "", "check", "--config", cfg, "--rules", filepath.Join(repo, "rules.d"))
	if code != 0 || !strings.Contains(out, "ok: config "+cfg) {
		t.Errorf("check of the example config: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, "xoxb-example") {
		t.Error("a secret was printed")
	}
}
