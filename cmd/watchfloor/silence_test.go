package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/store"
)

// runBinary runs the built watchfloor in dir (so the default config's
// ./data is dir/data) without $WATCHFLOOR_CONFIG, and returns its exit
// status and output.
func runBinary(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WATCHFLOOR_CONFIG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errw bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errw
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errw.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, out.String(), errw.String()
}

var addedRe = regexp.MustCompile(`^silence ([a-z2-7]{13}) added: `)

// TestSilenceCommandsBesideRunningDaemon runs silence add, list and
// expire as real processes beside a store held as by a running daemon:
// the daemon's cache sees each change at its next refresh, and the
// silences route as they should.
func TestSilenceCommandsBesideRunningDaemon(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	daemon, err := store.Open(ctx, filepath.Join(dir, "data")) // holds the lock, like watchfloor run
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	cache := silences.NewCache(daemon)

	code, out, errs := runBinary(t, dir, "silence", "add", "--rule", "attack", "--rule", "strike", "--label", "region=sahel",
		"--for", "6h", "--reason", "known story", "--author", "ana")
	m := addedRe.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "--rule attack --rule strike --label region=sahel, until ") {
		t.Fatalf("add: exit %d, out %q, err %q", code, out, errs)
	}
	byRule := m[1]
	// No --author: the OS user, as this process sees it; JSON output.
	code, out, errs = runBinary(t, dir, "silence", "add", "--source", "feed:afp-*", "--for", "30m", "--reason", "feed replays its archive", "--format", "json")
	var bySource silences.View
	if err := json.Unmarshal([]byte(out), &bySource); code != 0 || err != nil {
		t.Fatalf("add --format json: exit %d, %v, out %q, err %q", code, err, out, errs)
	}
	if want := defaultAuthor(); bySource.Author != want || want == "" || bySource.State != "active" || bySource.Source != "feed:afp-*" {
		t.Errorf("added %+v, want author %q", bySource, want)
	}

	if err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	route := func(rule string, labels map[string]string, source string) []string {
		f := silences.Filter(cache.Active(time.Now()), []engine.Match{{Rule: rule, Labels: labels}}, source, time.Now())
		return f.SilenceIDs()
	}
	sahel := map[string]string{"region": "sahel"}
	routes := []struct {
		name, rule, source string
		labels             map[string]string
		want               []string
	}{
		{name: "rule and label", rule: "strike", labels: sahel, source: "feed:bbc", want: []string{byRule}},
		{name: "rule without the label", rule: "attack", source: "feed:bbc"},
		{name: "another rule", rule: "coup", labels: sahel, source: "feed:bbc"},
		{name: "source", rule: "coup", source: "feed:afp-africa", want: []string{bySource.ID}},
		{name: "another source", rule: "coup", source: "feed:afp"},
	}
	for _, tt := range routes {
		if got := route(tt.rule, tt.labels, tt.source); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: silenced by %v, want %v", tt.name, got, tt.want)
		}
	}

	code, out, errs = runBinary(t, dir, "silence", "list")
	if code != 0 || !strings.Contains(out, byRule+"  active") || !strings.Contains(out, bySource.ID+"  active") ||
		!strings.Contains(out, "known story") || !strings.Contains(out, "--source 'feed:afp-*'") {
		t.Errorf("list: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs = runBinary(t, dir, "silence", "expire", byRule)
	if code != 0 || out != "silence "+byRule+" expired\n" {
		t.Errorf("expire: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = runBinary(t, dir, "silence", "expire", byRule)
	if code != 0 || !strings.Contains(out, "had already ended") {
		t.Errorf("expire again: exit %d, out %q", code, out)
	}
	code, _, errs = runBinary(t, dir, "silence", "expire", "nosuchsilence")
	if code != exitInput || !strings.Contains(errs, `no such silence: "nosuchsilence"`) {
		t.Errorf("expire unknown: exit %d, err %q", code, errs)
	}

	code, out, errs = runBinary(t, dir, "silence", "list", "--format", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("list --format json: exit %d\n%s%s", code, out, errs)
	}
	states := map[string]string{}
	for _, l := range lines {
		var v silences.View
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		states[v.ID] = v.State
	}
	if states[byRule] != "expired" || states[bySource.ID] != "active" {
		t.Errorf("states after expiry: %v", states)
	}
	if err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := route("strike", sahel, "feed:bbc"); len(got) != 0 {
		t.Errorf("an expired silence still routes: %v", got)
	}
	if !cache.Refreshed().After(now) {
		t.Error("refresh time not advanced")
	}
}

// TestSilenceCommandMistakes: a silence that cannot be one is a usage
// error (exit 2) naming the problem, and stores nothing.
func TestSilenceCommandMistakes(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no matcher", args: []string{"add", "--for", "1h", "--reason", "r"}, want: "at least one matcher"},
		{name: "bad glob", args: []string{"add", "--source", "feed:[", "--for", "1h", "--reason", "r"}, want: `source "feed:[" is not a valid glob`},
		{name: "bad duration", args: []string{"add", "--rule", "a", "--for", "1 hour", "--reason", "r"}, want: `duration "1 hour"`},
		{name: "zero duration", args: []string{"add", "--rule", "a", "--for", "0s", "--reason", "r"}, want: "more than zero"},
		{name: "no duration", args: []string{"add", "--rule", "a", "--reason", "r"}, want: "give a duration"},
		{name: "no reason", args: []string{"add", "--rule", "a", "--for", "1h"}, want: "give a reason"},
		{name: "label without =", args: []string{"add", "--label", "sahel", "--for", "1h", "--reason", "r"}, want: `label "sahel": write it NAME=VALUE`},
		{name: "label twice", args: []string{"add", "--label", "a=1", "--label", "a=2", "--for", "1h", "--reason", "r"}, want: "given twice"},
		{name: "stray argument", args: []string{"add", "attack", "--for", "1h", "--reason", "r"}, want: `unexpected argument "attack"`},
		{name: "expire without id", args: []string{"expire"}, want: "give the ids"},
		{name: "bad format", args: []string{"list", "--format", "yaml"}, want: "want text or json"},
		{name: "unknown subcommand", args: []string{"mute"}, want: `unknown subcommand "mute"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runBinary(t, dir, append([]string{"silence"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, err %q; want 2 and %q (out %q)", code, errs, tt.want, out)
			}
		})
	}
	if list, err := st.Silences(context.Background(), time.Time{}); err != nil || len(list) != 0 {
		t.Errorf("stored %v %v", list, err)
	}
}

// TestOutboxListSilenced: outbox list --status silenced shows the alerts
// kept as silenced, with their silence ids, and not the others.
func TestOutboxListSilenced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alerts := []store.NewAlert{
		{AlertID: "al-q", Notifier: "ops", ArticleID: "a", Rules: []string{"attack"}, Payload: []byte("{}"), Status: store.StatusSilenced, SilencedBy: []string{"s1"}},
		{AlertID: "al-p", Notifier: "siem", ArticleID: "a", Rules: []string{"coup"}, Payload: []byte("{}")},
	}
	if _, err := st.CommitArticle(ctx, store.ArticleRecord{ID: "a"}, nil, alerts); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runBinary(t, dir, "outbox", "list", "--status", "silenced")
	if code != 0 || !regexp.MustCompile(`silenced +ops .*attack +silenced by s1\n`).MatchString(out) || strings.Contains(out, "siem") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}

func TestSilenceHelp(t *testing.T) {
	code, out, _ := run(t, "", "silence", "--help")
	if code != 0 || !strings.Contains(out, "watchfloor silence add") || !strings.Contains(out, "within 5s") {
		t.Errorf("exit %d: %s", code, out)
	}
	code, _, errs := run(t, "", "silence", "add", "--help")
	if code != 0 || !strings.Contains(errs, "--rule NAME") || !strings.Contains(errs, "--label K=V") || !strings.Contains(errs, "--for DURATION") {
		t.Errorf("add --help: exit %d: %s", code, errs)
	}
	if _, _, errs := run(t, "", "--help"); !strings.Contains(errs, "silence") {
		t.Errorf("the command list lacks silence:\n%s", errs)
	}
}

// shellWords splits a command line of the docs as a POSIX shell would,
// for the quoting they use ('…' and "…"), dropping a trailing # comment.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '#' && !in:
			return words
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestSilenceDocsExamples runs the commands and curl requests of the
// Silences section of docs/alerts.md: the commands as real processes on a
// store held as by the daemon, the requests against Handler; every one
// must succeed. The example id is replaced by that of a silence added.
func TestSilenceDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, "docs/alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	sec := string(doc)
	i := strings.Index(sec, "\n## Silences\n")
	if i < 0 {
		t.Fatal("docs/alerts.md has no Silences section")
	}
	sec = sec[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	const exampleID = "74ajallcb2u76"
	var commands, requests [][]string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(sec, -1) {
		block := strings.ReplaceAll(m[1], "\\\n", " ")
		for _, line := range strings.Split(block, "\n") {
			w := shellWords(line)
			switch {
			case len(w) == 0:
			case w[0] == "watchfloor":
				commands = append(commands, w[1:])
			case w[0] == "curl":
				requests = append(requests, w[1:])
			default:
				t.Errorf("unknown example command %q", line)
			}
		}
	}
	if len(commands) < 5 || len(requests) < 3 {
		t.Fatalf("found %d commands and %d requests", len(commands), len(requests))
	}

	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id := ""
	for _, args := range commands {
		for k, a := range args {
			if a == exampleID && id != "" {
				args[k] = id
			}
		}
		code, out, errs := runBinary(t, dir, args...)
		if code != 0 {
			t.Errorf("watchfloor %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		if m := addedRe.FindStringSubmatch(out); m != nil && id == "" {
			id = m[1]
		}
	}

	mux := http.NewServeMux()
	h := silences.Handler(st, silences.NewCache(st))
	mux.Handle(silences.APIPath, h)
	mux.Handle(silences.APIPath+"/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, args := range requests {
		method, body, target := "GET", "", ""
		hdr := http.Header{}
		for k := 0; k < len(args); k++ {
			switch a := args[k]; a {
			case "-sS":
			case "-X":
				k++
				method = args[k]
			case "-H":
				k++
				name, value, _ := strings.Cut(args[k], ":")
				hdr.Set(name, strings.TrimSpace(value))
			case "-d":
				k++
				body = args[k]
			default:
				target = strings.Replace(a, "http://127.0.0.1:9464", srv.URL, 1)
				if id != "" {
					target = strings.Replace(target, exampleID, id, 1)
				}
			}
		}
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Errorf("curl %s: %s %s", strings.Join(args, " "), resp.Status, b)
		}
	}
}
